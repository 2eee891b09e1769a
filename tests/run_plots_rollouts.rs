//! `rollsim run --plot DIR` writes, for each rollout, an SVG and a PNG figure.

use assert_cmd::Command;

#[test]
fn plot_writes_an_svg_and_a_png_per_rollout() {
    let dir = std::env::temp_dir().join(format!("rollsim-plots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args([
            "run",
            "models/quickstart.toml",
            "--plot",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let png = std::fs::read(dir.join("rollout-1-backend.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    assert!(
        png.len() > 20_000,
        "a drawn figure, not an empty image: {} bytes",
        png.len()
    );
    let svg = std::fs::read_to_string(dir.join("rollout-1-backend.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("red-black of backend"),
        "{}",
        &svg[..200.min(svg.len())]
    );
    for caption in ["instances of the rolled layer", "entry layer latency"] {
        assert!(svg.contains(caption), "{caption}");
    }
    let refused = Command::cargo_bin("rollsim")
        .unwrap()
        .args([
            "run",
            "models/metastable.toml",
            "--plot",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn compare_plot_writes_a_figure_per_rollout() {
    let dir = std::env::temp_dir().join(format!("rollsim-compare-plots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args([
            "compare",
            "models/quickstart.toml",
            "--runs",
            "3",
            "--quiet",
            "--plot",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = std::fs::read_to_string(dir.join("compare-1-backend.svg")).unwrap();
    for text in [
        "mean and 95% interval over 3 runs",
        "peak_instances_ratio",
        "red-black",
        "rolling",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    let png = std::fs::read(dir.join("compare-1-backend.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

/// Runs rollsim with `args`, the plot going to a fresh `dir`; the figure's SVG text.
fn plotted(name: &str, args: &[&str], figure: &str) -> String {
    let dir = std::env::temp_dir().join(format!("rollsim-plot-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .args(["--plot", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(dir.join(figure)).unwrap()
}

#[test]
fn run_plot_marks_failed_checks_and_the_slo() {
    let svg = plotted(
        "failed-checks",
        &[
            "run",
            "models/quickstart.toml",
            "--set",
            "rollout.release.error_rate=0.05",
        ],
        "rollout-1-backend.svg",
    );
    assert!(svg.contains("check: fail"), "a failed check in the legend");
    assert!(!svg.contains("check: pass"), "no check passed");
    // quickstart's SLO: 99.9% availability, p99 500 ms.
    assert!(svg.contains("SLO: at most 0.1 % failed per minute"));
    assert!(svg.contains("SLO: p99 at most 500 ms per minute"));
    let healthy = plotted(
        "passed-checks",
        &["run", "models/quickstart.toml"],
        "rollout-1-backend.svg",
    );
    assert!(healthy.contains("check: pass"));
    assert!(!healthy.contains("check: fail"));
}

#[test]
fn compare_plot_shows_the_rolled_back_share_and_a_readable_availability_axis() {
    let svg = plotted(
        "compare-judges",
        &[
            "compare",
            "models/quickstart.toml",
            "--runs",
            "2",
            "--quiet",
            "--set",
            "rollout.release.error_rate=0.05",
        ],
        "compare-1-backend.svg",
    );
    assert!(svg.contains("rolled_back (share of runs)"));
    assert!(svg.contains("2 of 2 runs"), "the count of runs rolled back");
    // Availability near 100%: the axis spans the intervals, not 0–100.
    let availability = svg.split("availability (%)").nth(1).unwrap();
    let panel = availability.split("latency_p99").next().unwrap();
    assert!(
        !panel.contains(">0<") && !panel.contains(">20<"),
        "a 0–100% axis"
    );
}

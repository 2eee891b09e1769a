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

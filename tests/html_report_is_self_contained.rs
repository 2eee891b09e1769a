//! `--html FILE` on `run`, `compare` and `plan` writes one self-contained page: the
//! command that reproduces it, the model, the same numbers as the text report, each
//! rollout's timeline with its checks, the figures inline; nothing to fetch, no
//! script; the same bytes for the same command; an unwritable path is an error that
//! names the file.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-html-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name)
        .display()
        .to_string()
}

/// Runs rollsim with `args` in `dir`: its stdout; panics with its stderr on failure.
fn rollsim(dir: &Path, args: &[&str]) -> String {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Fails if `page` would fetch anything or needs a script.
fn assert_self_contained(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..80]);
    let lower = page.to_lowercase();
    for fetch in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "src=\"//",
        "href=\"//",
    ] {
        assert!(!lower.contains(fetch), "the page holds {fetch:?}");
    }
    assert!(page.contains("<svg"), "figures inline");
}

#[test]
fn run_html_holds_the_metrics_timeline_checks_and_figure() {
    let dir = scratch("run");
    let quickstart = model("quickstart.toml");
    let args = [
        "run",
        quickstart.as_str(),
        "--set",
        "rollout.release.error_rate=0.05",
        "--html",
        "report.html",
    ];
    let text = rollsim(&dir, &args);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_self_contained(&page);
    // The command that reproduces it.
    assert!(
        page.contains(&format!(
            "rollsim run {quickstart} --set rollout.release.error_rate=0.05 --html report.html"
        )),
        "the command line"
    );
    // The model in words, and the per-layer table.
    assert!(page.contains("layer backend: 4 instances"));
    assert!(page.contains("<td>edge</td>"));
    // Every metric of the text report, with the same value.
    let mut metrics = 0;
    for line in text.lines().skip_while(|l| !l.starts_with("Rollout of")) {
        let Some((name, value)) = line.trim().split_once("  ") else {
            continue;
        };
        if line.starts_with("  ") && !value.trim().is_empty() && !name.contains(':') {
            let cell = format!("<td>{}</td><td>{}</td>", name, value.trim());
            assert!(page.contains(&cell), "metric row {cell}");
            metrics += 1;
        }
    }
    assert_eq!(metrics, 18, "every metric of DESIGN.md §2 the text reports");
    assert!(page.contains("<td>detection_time</td>"));
    // The timeline, every failed check marked as one.
    let failed_checks = text.matches("bake check: fail").count();
    assert!(failed_checks >= 2, "{text}");
    assert_eq!(
        page.matches("<tr class=\"fail\">").count(),
        failed_checks,
        "each failed check's row"
    );
    assert!(page.contains("bake check: fail (error rate"));
    // The figure shows the checks and the SLO.
    assert!(page.contains("check: fail"));
    assert!(page.contains("SLO: p99 at most"));
}

#[test]
fn the_html_report_is_byte_identical_for_the_same_model_and_seed() {
    let quickstart = model("quickstart.toml");
    let args = [
        "run",
        quickstart.as_str(),
        "--seed",
        "7",
        "--html",
        "r.html",
    ];
    let (a, b) = (scratch("same-a"), scratch("same-b"));
    rollsim(&a, &args);
    rollsim(&b, &args);
    let first = std::fs::read(a.join("r.html")).unwrap();
    assert!(first.len() > 10_000);
    assert_eq!(first, std::fs::read(b.join("r.html")).unwrap());
}

#[test]
fn compare_html_holds_every_metric_with_its_interval() {
    let dir = scratch("compare");
    let quickstart = model("quickstart.toml");
    let text = rollsim(
        &dir,
        &[
            "compare",
            quickstart.as_str(),
            "--runs",
            "2",
            "--quiet",
            "--html",
            "compare.html",
        ],
    );
    let page = std::fs::read_to_string(dir.join("compare.html")).unwrap();
    assert_self_contained(&page);
    // Each row of the text table is a row of the page's, cell for cell.
    let table = text.lines().skip_while(|l| !l.starts_with("metric"));
    let mut rows = 0;
    for line in table.skip(1).take_while(|l| !l.trim().is_empty()) {
        rows += 1;
        let cells: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let row: String = cells
            .iter()
            .map(|c| format!("<td>{}</td>", c.replace('&', "&amp;")))
            .collect();
        assert!(page.contains(&row), "row {row}");
    }
    assert_eq!(rows, 18, "every metric compared");
    assert!(
        page.contains("negative means fewer than that run"),
        "the page says what failed_requests (vs baseline) means"
    );
    assert!(
        page.contains("rolled_back (share of runs)"),
        "the figure's panel"
    );
}

#[test]
fn plan_html_holds_the_plan_and_its_figure() {
    let dir = scratch("plan");
    let quickstart = model("quickstart.toml");
    rollsim(
        &dir,
        &[
            "plan",
            quickstart.as_str(),
            "--runs",
            "1",
            "--every",
            "12h",
            "--quiet",
            "--html",
            "plan.html",
        ],
    );
    let page = std::fs::read_to_string(dir.join("plan.html")).unwrap();
    assert_self_contained(&page);
    assert!(page.contains("smallest steady fleet per layer"));
    assert!(page.contains("when the fleet can carry a rollout"));
}

#[test]
fn an_imported_rollout_heads_the_html_with_what_is_judged() {
    let dir = scratch("imported");
    let quickstart = model("quickstart.toml");
    let argo = model("imported/argo-canary.yaml");
    rollsim(
        &dir,
        &[
            "run",
            quickstart.as_str(),
            "--rollout",
            argo.as_str(),
            "--html",
            "imported.html",
        ],
    );
    let page = std::fs::read_to_string(dir.join("imported.html")).unwrap();
    assert_self_contained(&page);
    assert!(page.contains("is imported from"));
    assert!(page.contains("Argo Rollouts Rollout &quot;middle&quot; (canary)"));
    assert!(page.contains("Judged: error rate above 2%"));
    assert!(page.contains("Not judged: latency"));
    assert!(page.contains("Not represented, and what rollsim assumes instead"));
}

#[test]
fn text_in_the_html_is_escaped() {
    let dir = scratch("escaped");
    let quickstart = model("quickstart.toml");
    rollsim(
        &dir,
        &[
            "run",
            quickstart.as_str(),
            "--set",
            "name=<b>x</b> & 'y'",
            "--html",
            "e.html",
        ],
    );
    let page = std::fs::read_to_string(dir.join("e.html")).unwrap();
    assert!(!page.contains("<b>x</b>"));
    assert!(page.contains("&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"));
}

#[test]
fn an_unwritable_html_path_is_an_error_naming_the_file() {
    let dir = scratch("unwritable");
    let quickstart = model("quickstart.toml");
    for command in ["run", "compare", "plan"] {
        let output = Command::cargo_bin("rollsim")
            .unwrap()
            .current_dir(&dir)
            .args([command, quickstart.as_str(), "--html", "no/such/dir/r.html"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("--html no/such/dir/r.html: cannot write the report there"),
            "{command}: {stderr}"
        );
        // Refused before the work: nothing was printed.
        assert!(output.stdout.is_empty(), "{command}");
    }
    // A directory is refused by name too, as bad input.
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(["run", quickstart.as_str(), "--html", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
}

//! `rollsim compare`: strategies side by side over Monte Carlo runs with common random
//! numbers; the same output whatever the number of threads; JSON and CSV for machines.

use assert_cmd::Command;

fn compare(args: &[&str], threads: Option<&str>) -> std::process::Output {
    let mut cmd = Command::cargo_bin("rollsim").unwrap();
    cmd.arg("compare").args(args);
    if let Some(threads) = threads {
        cmd.env("RAYON_NUM_THREADS", threads);
    }
    cmd.output().unwrap()
}

#[test]
fn compare_output_is_byte_identical_with_one_thread_or_many() {
    let args = [
        "models/quickstart.toml",
        "--runs",
        "4",
        "--strategy",
        "red-black",
        "--strategy",
        "rolling",
        "--strategy",
        "canary",
    ];
    let one = compare(&args, Some("1"));
    let many = compare(&args, None);
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, many.stdout);
    let text = String::from_utf8(one.stdout).unwrap();
    assert!(
        text.contains("rolling − red-black") && text.contains("canary − red-black"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("peak_instances_ratio (×) ") && l.contains(" 2.00 ± 0.00 ")),
        "{text}"
    );
}

#[test]
fn differences_are_paired_by_run() {
    let output = compare(&["models/quickstart.toml", "--runs", "5", "--json"], None);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["seeds"], serde_json::json!([1, 2, 3, 4, 5]));
    let metrics = json["rollouts"][0]["metrics"].as_array().unwrap();
    let peak = metrics
        .iter()
        .find(|m| m["metric"] == "peak_instances_ratio")
        .unwrap();
    let red_black = peak["by_strategy"]["red-black"]["mean"].as_f64().unwrap();
    let rolling = peak["by_strategy"]["rolling"]["mean"].as_f64().unwrap();
    let difference = peak["difference_vs_first"]["rolling"]["mean"]
        .as_f64()
        .unwrap();
    assert!((difference - (rolling - red_black)).abs() < 1e-9);
    assert_eq!(peak["by_strategy"]["red-black"]["n"], 5);
}

#[test]
fn csv_has_a_row_per_metric_and_strategy() {
    let output = compare(&["models/quickstart.toml", "--runs", "2", "--csv"], None);
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "rollout,layer,metric,unit,strategy,mean,ci95,n,difference_vs_first,difference_ci95"
    );
    assert_eq!(lines.count(), 19 * 2);
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let output = compare(&["models/metastable.toml"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no [[rollouts]] section"));
    let output = compare(&["models/quickstart.toml", "--runs", "0"], None);
    assert_eq!(output.status.code(), Some(2));
    let output = compare(
        &[
            "models/quickstart.toml",
            "--strategy",
            "rolling",
            "--strategy",
            "rolling",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("given twice"));
}

#[test]
fn piped_runs_print_progress_as_plain_lines_and_quiet_ones_nothing() {
    let piped = compare(&["models/quickstart.toml", "--runs", "2"], None);
    let stderr = String::from_utf8_lossy(&piped.stderr);
    // A log gets whole lines, no bar drawn with carriage returns or escape codes.
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "no bar when stderr is not a terminal: {stderr:?}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("rehearsals: ") && l.contains("/4 done")),
        "progress as lines when stderr is not a terminal: {stderr}"
    );
    let quiet = compare(&["models/quickstart.toml", "--runs", "2", "--quiet"], None);
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

#[test]
fn compare_labels_failed_requests_as_a_difference_with_the_baseline() {
    let output = compare(&["models/quickstart.toml", "--runs", "2", "--quiet"], None);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("\nfailed_requests (vs baseline) "), "{text}");
    assert!(
        text.contains("negative means fewer than that run"),
        "a footnote says what a negative difference means: {text}"
    );
    // A healthy release: its requests are the new version's, not bad ones.
    assert!(text.contains("\nnew_version_requests "), "{text}");
    assert!(!text.contains("bad_version_requests"), "{text}");
}

#[test]
fn no_report_shows_a_negative_zero() {
    // Rolling without surge: fewer instances than before while it rolls, so the
    // instance-hours and their differences sit on both sides of zero.
    let args = [
        "models/quickstart.toml",
        "--runs",
        "3",
        "--quiet",
        "--set",
        "rollout.rolling.max_surge=0",
        "--strategy",
        "rolling",
        "--strategy",
        "red-black",
        "--strategy",
        "highlander",
    ];
    for format in [None, Some("--json"), Some("--csv")] {
        let mut with = args.to_vec();
        with.extend(format);
        let output = compare(&with, None);
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).unwrap();
        let negative_zero = text
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .find(|token| {
                token.starts_with('-')
                    && token[1..].chars().all(|c| c == '0' || c == '.')
                    && token.len() > 1
            });
        assert_eq!(negative_zero, None, "{format:?}: {text}");
    }
}

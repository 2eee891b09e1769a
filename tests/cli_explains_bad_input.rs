//! Bad input gets a clear error and exit code 2, never a panic.

use assert_cmd::Command;

fn fails_with(args: &[&str], expected: &[&str]) {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
    }
}

#[test]
fn a_non_positive_rate_is_refused_with_the_reason() {
    fails_with(
        &["queue", "--arrival-rate", "0/s"],
        &["--arrival-rate", "must be positive"],
    );
    fails_with(&["queue", "--arrival-rate", "-50/s"], &["must be positive"]);
    fails_with(
        &["queue", "--arrival-rate", "lots"],
        &["not a number", "e.g. \"1200/s\""],
    );
}

#[test]
fn a_bad_duration_names_the_unit_and_the_allowed_forms() {
    fails_with(
        &[
            "queue",
            "--arrival-rate",
            "50/s",
            "--service",
            "exp(10parsecs)",
        ],
        &["--service", "unknown unit \"parsecs\"", "e.g. \"250ms\""],
    );
    fails_with(
        &[
            "queue",
            "--arrival-rate",
            "50/s",
            "--service",
            "lognormal(mean=20ms, p99=5ms)",
        ],
        &["p99 (5ms) must exceed the mean (20ms)"],
    );
}

#[test]
fn an_unstable_queue_is_refused_before_it_runs_forever() {
    fails_with(
        &["queue", "--arrival-rate", "200/s", "--service", "exp(10ms)"],
        &["ρ", "≥ 1"],
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    fails_with(&["validate", "--scale", "-1"], &["not a scale"]);
    fails_with(
        &["queue", "--servers", "0", "--arrival-rate", "1/s"],
        &["--servers"],
    );
    fails_with(&["no-such-command"], &["unrecognized subcommand"]);
}

#[test]
fn queue_prints_theory_beside_the_simulation() {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args([
            "queue",
            "--servers",
            "4",
            "--arrival-rate",
            "300/s",
            "--customers",
            "200000",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("P(wait)") && stdout.contains("Little"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("n/a"),
        "M/M/4 has an Erlang C answer: {stdout}"
    );
}

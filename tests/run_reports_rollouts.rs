//! `rollsim run` on a model with a rollout prints the rollout's metrics and timeline;
//! `--strategy` switches the strategy; `--json` carries DESIGN.md §2's field names.

use assert_cmd::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("rollsim")
        .unwrap()
        .arg("run")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_plain_run_of_quickstart_shows_its_rollout_and_timeline() {
    let output = run(&["models/quickstart.toml"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("Rollout of backend by red-black (v0 → v1): promoted"),
        "{text}"
    );
    for metric in [
        "peak_instances_ratio",
        "switch_latency",
        "restore_time",
        "downstream_rate_ratio",
    ] {
        assert!(text.contains(metric), "{metric} in {text}");
    }
    assert!(
        text.contains("Timeline:\n  00:02:00  red-black rollout of backend v0 → v1 begins"),
        "{text}"
    );
}

#[test]
fn strategy_overrides_the_models_and_json_names_the_metrics_as_designed() {
    let output = run(&["models/quickstart.toml", "--strategy", "rolling", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rollout = &json["rollouts"][0];
    assert_eq!(rollout["strategy"], "rolling");
    assert_eq!(rollout["outcome"], "promoted");
    for field in [
        "peak_instances_ratio",
        "extra_instance_hours",
        "min_serving_ratio",
        "switch_latency",
        "switch_latency_full",
        "rollout_duration",
        "detection_time",
        "restore_time",
        "failed_requests",
        "new_version_requests",
        "bad_version_requests",
        "rollback_path",
        "downstream_rate_ratio",
        "availability",
        "minutes_in_slo_breach",
    ] {
        assert!(
            rollout.get(field).is_some(),
            "{field} missing from {rollout}"
        );
    }
    // Rolling never runs a full second fleet; behind discovery the instances it takes
    // out keep serving while the change reaches every caller (up to 90 s with Eureka's
    // caches), so with 4 instances and a surge of 1 it peaks at 7 alive (1.75).
    assert!(
        rollout["peak_instances_ratio"].as_f64().unwrap() < 2.0,
        "rolling, not a full second fleet"
    );
    assert_eq!(json["world"]["layers"][1]["layer"], "backend");
}

#[test]
fn a_strategy_for_a_model_without_rollouts_is_refused() {
    let output = run(&["models/metastable.toml", "--strategy", "rolling"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no [[rollouts]] section"));
    let output = run(&["models/quickstart.toml", "--strategy", "blue-green"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("red-black, rolling, highlander"),
        "{stderr}"
    );
}

#[test]
fn two_layers_roll_at_once_while_chaos_kills_instances() {
    let model = include_str!("../models/quickstart.toml")
        .replace("duration = \"10m\"", "duration = \"30m\"")
        + r#"
[[rollouts]]
layer = "edge"
start = "3m"
strategy = "rolling"
rolling = { max_surge = 2, max_unavailable = 0 }
# Chaos alone fails a few percent of requests for a minute or two after each kill, on
# both versions: the absolute limit must sit above that, the relative one still holds.
analysis = { max_error_rate = 0.1, max_latency_p99_ratio = 2.5 }

[chaos]
kills = [{ layer = "backend", rate = "6/h" }, { layer = "edge", rate = "6/h" }]
"#;
    let path =
        std::env::temp_dir().join(format!("rollsim-two-rollouts-{}.toml", std::process::id()));
    std::fs::write(&path, model).unwrap();
    let output = run(&[path.to_str().unwrap(), "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rollouts = json["rollouts"].as_array().unwrap();
    assert_eq!(rollouts.len(), 2);
    for rollout in rollouts {
        assert_eq!(rollout["outcome"], "promoted", "{rollout}");
    }
    let crashed: u64 = json["world"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["instances_crashed"].as_u64().unwrap())
        .sum();
    assert!(crashed > 0, "chaos struck during the rollouts");
}

/// Runs rollsim with `args`; its stdout.
fn stdout_of(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success(), "rollsim {args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_healthy_release_reports_new_version_requests_and_a_defective_one_bad_version_requests() {
    let healthy = stdout_of(&["run", "models/quickstart.toml"]);
    assert!(healthy.contains("  new_version_requests  "), "{healthy}");
    assert!(!healthy.contains("bad_version_requests"), "{healthy}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["run", "models/quickstart.toml", "--json"])).unwrap();
    let rollout = &json["rollouts"][0];
    assert!(
        rollout["new_version_requests"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    assert!(rollout["bad_version_requests"].is_null(), "{rollout}");

    let bad = [
        "run",
        "models/quickstart.toml",
        "--set",
        "rollout.release.error_rate=0.05",
    ];
    let defective = stdout_of(&bad);
    assert!(
        defective.contains("  bad_version_requests  "),
        "{defective}"
    );
    assert!(!defective.contains("new_version_requests"), "{defective}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&[&bad[..], &["--json"]].concat())).unwrap();
    let rollout = &json["rollouts"][0];
    assert!(
        rollout["bad_version_requests"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    assert!(rollout.get("new_version_requests").is_none(), "{rollout}");
}

#[test]
fn failed_requests_are_labelled_as_a_difference_with_the_baseline_run() {
    let text = stdout_of(&["run", "models/quickstart.toml"]);
    assert!(
        text.contains("failed_requests (vs baseline)")
            && text.contains("above the run without rollouts, same seed; negative: fewer"),
        "{text}"
    );
}

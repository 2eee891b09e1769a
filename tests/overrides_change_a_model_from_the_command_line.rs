//! `--set PATH=VALUE` varies a knob without editing the model file, on every command
//! that takes a model (`run`, `compare`, `plan`, `check`; a sweep takes its overrides in
//! its experiment file); a wrong path or value is a clear error naming the `--set`.

use assert_cmd::Command;

fn rollsim(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn set_changes_fields_of_layers_and_rollouts() {
    let output = rollsim(&[
        "run",
        "models/quickstart.toml",
        "--json",
        "--set",
        "layers.backend.instances=6",
        "--set",
        "rollout.strategy=rolling",
        "--set",
        "traffic.rate=300/s",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["world"]["layers"][1]["instances_start"], 6);
    assert_eq!(json["rollouts"][0]["strategy"], "rolling");
    let requests = json["world"]["layers"][0]["requests"].as_u64().unwrap();
    assert!(
        requests.abs_diff(180_000) < 3_000,
        "300/s for 10 minutes: {requests}"
    );
}

#[test]
fn bad_paths_and_values_name_the_set() {
    for (set, needle) in [
        (
            "layers.backend.instances=0",
            "must be between 1 and 100000, got 0 (with --set layers.backend.instances=0)",
        ),
        (
            "rollouts.3.strategy=rolling",
            "--set rollouts.3.strategy=rolling: index 3 is past the end of a list of 1",
        ),
        ("layers.backend.workers.count=2", "a single value"),
        (
            "rollout.strategy=blue-green",
            "unknown variant `blue-green`",
        ),
        (
            "layers.backend.sevice_time=5ms",
            "unknown field `sevice_time`",
        ),
        ("just-a-word", "write PATH=VALUE"),
    ] {
        let output = rollsim(&["run", "models/quickstart.toml", "--set", set]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{set}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{set}: expected {needle:?} in {stderr}"
        );
    }
}

#[test]
fn compare_takes_sets_too() {
    let output = rollsim(&[
        "compare",
        "models/quickstart.toml",
        "--runs",
        "2",
        "--json",
        "--set",
        "rollout.red_black.bake=5m",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = rollsim(&[
        "compare",
        "models/quickstart.toml",
        "--runs",
        "2",
        "--set",
        "rollout.red_black.bake=30s",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("could never pass"));
}

#[test]
fn check_takes_sets_too() {
    let output = rollsim(&[
        "check",
        "models/quickstart.toml",
        "--set",
        "layers.edge.instances=7",
    ]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("layer edge: 7 instances"));
    let output = rollsim(&[
        "check",
        "models/quickstart.toml",
        "--set",
        "layers.edge.instances=0",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("must be between 1 and 100000, got 0 (with --set layers.edge.instances=0)")
    );
}

#[test]
fn a_duration_set_sets_the_run_length_however_the_file_writes_it() {
    // What `benches/world.rs` relies on: the run length comes from the `--set`, not from
    // finding the text `duration = "1h"` in the file.
    use rollsim::engine::SimDuration;
    use rollsim::scenario::ModelText;
    use rollsim::scenario::overrides::Override;
    let file = std::fs::read_to_string("models/netflix-2011.toml").unwrap();
    assert!(file.contains("duration = \"1h\""));
    let rewritten = file.replace("duration = \"1h\"", "duration   =   \"60m\"");
    let set: Override = "duration=15m".parse().unwrap();
    for source in [&file, &rewritten] {
        let mut text = ModelText::parse(source, std::path::Path::new("netflix-2011.toml")).unwrap();
        text.apply(std::slice::from_ref(&set)).unwrap();
        let model = text.check("with --set duration=15m").unwrap();
        assert_eq!(model.duration, SimDuration::from_secs(15 * 60));
        assert_eq!(model.name, "netflix-2011", "the rest of the model is kept");
    }
}

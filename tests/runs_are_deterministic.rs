//! Same seed → byte-identical output, whatever the thread count.

use assert_cmd::Command;

fn validate_stdout(seed: &str, threads: Option<&str>) -> Vec<u8> {
    let mut cmd = Command::cargo_bin("rollsim").unwrap();
    cmd.args(["validate", "--scale", "0.02", "--seed", seed]);
    if let Some(threads) = threads {
        cmd.env("RAYON_NUM_THREADS", threads);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn validate_output_is_byte_identical_for_the_same_seed() {
    let first = validate_stdout("7", None);
    assert_eq!(first, validate_stdout("7", None));
    assert_eq!(first, validate_stdout("7", Some("1")));
    assert_ne!(first, validate_stdout("8", None));
}

#[test]
fn validate_json_is_byte_identical_for_the_same_seed() {
    let run = || {
        Command::cargo_bin("rollsim")
            .unwrap()
            .args(["validate", "--scale", "0.02", "--seed", "3", "--json"])
            .output()
            .unwrap()
            .stdout
    };
    let first = run();
    assert_eq!(first, run());
    let parsed: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 9);
}

fn run_stdout(args: &[&str]) -> Vec<u8> {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .arg("run")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn run_output_is_byte_identical_for_the_same_model_and_seed() {
    for model in ["models/quickstart.toml", "models/metastable.toml"] {
        let first = run_stdout(&[model]);
        assert_eq!(first, run_stdout(&[model]), "{model}");
        let json = run_stdout(&[model, "--json"]);
        assert_eq!(json, run_stdout(&[model, "--json"]), "{model} --json");
        assert_ne!(
            first,
            run_stdout(&[model, "--seed", "99"]),
            "{model}: --seed matters"
        );
    }
}

#[test]
fn the_whole_world_replays_event_for_event() {
    // netflix-2011 has every moving part: ELB and discovery, caches, retries with
    // jitter, Chaos Monkey, and two rollouts (a canary and a rolling upgrade). Fifteen
    // minutes with kills at 60/h to exercise them.
    let source = include_str!("../models/netflix-2011.toml")
        .replace("duration = \"1h\"", "duration = \"15m\"")
        .replace("rate = \"2/h\"", "rate = \"60/h\"");
    let model = rollsim::scenario::parse(&source, std::path::Path::new("netflix.toml")).unwrap();
    let run = || {
        let mut rehearsal = rollsim::rehearsal::rehearse(&model);
        (
            rehearsal.world.summary(),
            rehearsal.world.observations().clone(),
            rehearsal.records,
        )
    };
    let (summary, observations, records) = run();
    let (again, observations_again, records_again) = run();
    assert_eq!(summary, again);
    assert_eq!(
        records, records_again,
        "the controllers decided the same, at the same times"
    );
    assert!(records.iter().all(|r| !r.timeline.is_empty()));
    assert!(
        observations == observations_again,
        "identical per-second series"
    );
    assert!(
        summary.layers[1].calls.retries > 0,
        "kills made callers retry"
    );
}

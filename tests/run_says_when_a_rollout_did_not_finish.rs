//! A run that ends before a rollout finishes says so at the top of its report (right
//! after the run's one-line header, before any table), with the time the rollout still
//! needed (at least its waits left, at most with every launch taking its whole
//! deadline) and the `--set duration=` that lets it finish; the JSON carries the same
//! under `unfinished`.

use std::process::Command;

use serde_json::Value;

fn rollsim(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .output()
        .expect("rollsim runs");
    assert!(
        output.status.success(),
        "rollsim {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    serde_json::from_str(&rollsim(&args)).expect("JSON")
}

#[test]
fn a_run_too_short_for_its_rollout_says_so_first_and_how_long_to_run() {
    // quickstart's red/black rollout of the backend begins at 2m and is still launching
    // at 4m (bake 3m and 2m disabled still ahead).
    let text = rollsim(&["run", "models/quickstart.toml", "--set", "duration=4m"]);
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("quickstart: 4m simulated")),
        "the run's one-line header first:\n{text}"
    );
    assert_eq!(lines.next(), Some(""));
    assert!(
        lines.next().is_some_and(|l| l.starts_with(
            "NOT FINISHED: the run ended at 00:04:00, before 1 of 1 rollouts finished"
        )),
        "then the notice, before any table:\n{text}"
    );
    let notice_end = text.find("\nlayer ").expect("the layer table");
    let notice = &text[..notice_end];
    assert!(
        notice.contains(
            "backend (red-black, began 00:02:00): launching the new version; if nothing \
             fails, it needs at least 5m more (its waits left), at most 13m"
        ),
        "{notice}"
    );
    let set = notice
        .split("--set duration=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a suggested duration");
    assert_eq!(set, "17m", "4m + at most 13m");
    assert!(text.contains("): in progress"), "the rollout's own report");

    // The suggestion lets it finish: no notice, the rollout promoted.
    let finished = rollsim(&[
        "run",
        "models/quickstart.toml",
        "--set",
        &format!("duration={set}"),
    ]);
    assert!(!finished.contains("NOT FINISHED"), "{finished}");
    assert!(
        finished.contains("Rollout of backend by red-black (v0 → v1): promoted"),
        "{finished}"
    );
}

#[test]
fn the_time_left_brackets_when_each_strategy_really_finishes() {
    // For every strategy, the bounds given at 4m against the same run let go on to 60m
    // (same seed: the same run up to 4m).
    for strategy in [
        "red-black",
        "rolling",
        "highlander",
        "canary",
        "rolling-red-black",
    ] {
        let base = [
            "run",
            "models/quickstart.toml",
            "--set",
            &format!("rollout.strategy={strategy}"),
        ];
        let short = json(&[&base[..], &["--set", "duration=4m"]].concat());
        let long = json(&[&base[..], &["--set", "duration=60m"]].concat());
        let rollout = &long["rollouts"][0];
        assert_eq!(rollout["outcome"], "promoted", "{strategy}");
        assert!(long["unfinished"].is_null(), "{strategy}: finished in 60m");
        let started = rollout["timeline"][0]["at_s"].as_f64().unwrap();
        let finished_at = started + rollout["rollout_duration"].as_f64().unwrap();
        let needed = finished_at - 240.0;

        let unfinished = &short["unfinished"];
        assert_eq!(unfinished["ended_at_s"], 240.0, "{strategy}");
        assert_eq!(short["rollouts"][0]["outcome"], "in progress", "{strategy}");
        let left = &unfinished["rollouts"][0];
        assert_eq!(left["layer"], "backend");
        let (at_least, at_most) = (
            left["time_left_at_least_s"].as_f64().unwrap(),
            left["time_left_at_most_s"].as_f64().unwrap(),
        );
        assert!(
            at_least <= needed && needed <= at_most,
            "{strategy}: needed {needed} s more, said {at_least}–{at_most} s"
        );
        let set = unfinished["set_duration"].as_str().unwrap();
        let minutes: f64 = set.trim_end_matches('m').parse().unwrap();
        assert!(
            minutes * 60.0 >= finished_at && minutes * 60.0 < 240.0 + at_most + 60.0,
            "{strategy}: --set duration={set} for a finish at {finished_at} s"
        );
    }
}

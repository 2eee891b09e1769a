//! A release calendar (`[releases]`): teams release at random in their working hours,
//! and the release policy decides when each due release may start. What a platform
//! team relies on: the policy is never broken (no two rollouts at once on services
//! that call one another, at most N at once, nothing starts in a freeze), every policy
//! sees the same calendar for a seed, and Chaos Monkey keeps to its hours.

use std::path::Path;

use rollsim::rehearsal::rehearse;
use rollsim::rollout::{Instant, RolloutRecord};
use rollsim::scenario::{Scenario, parse};

/// A small three-service chain (edge → api → data) over a day, with many releases of
/// short red/black rollouts; `releases` is appended to the `[releases]` section.
const MODEL: &str = r#"seed = 5
duration = "{duration}"
[traffic]
entry = "edge"
rate = "100/s"
[layers.edge]
instances = 3
workers = 8
service_time = "exponential(mean=5ms)"
calls = [{ layer = "api" }]
balancer = { kind = "elb", deregistration_delay = "10s" }
[layers.api]
instances = 3
workers = 8
service_time = "exponential(mean=5ms)"
calls = [{ layer = "data" }]
[layers.data]
instances = 3
workers = 8
service_time = "exponential(mean=5ms)"
[releases]
per_day = 10
hours = "every day 08:00-20:00"
defect_probability = 0.2
rollout = { strategy = "red-black", red_black = { bake = "20m", cleanup = "destroy" }, analysis = { delay = "1m", max_latency_p99_ratio = 3 } }
{releases}
"#;

fn model_text(releases: &str, duration: &str) -> String {
    MODEL
        .replace("{duration}", duration)
        .replace("{releases}", releases)
}

fn model(releases: &str, duration: &str) -> Scenario {
    parse(&model_text(releases, duration), Path::new("calendar.toml")).unwrap()
}

/// When a rollout stopped deciding: promoted or aborted (or `end`).
fn decided(record: &RolloutRecord, end: Instant) -> Instant {
    let promoted = record
        .timeline
        .iter()
        .find(|(_, text)| text.starts_with("promoted"))
        .map(|(at, _)| *at);
    [promoted, record.aborted_at]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(end)
}

/// The deciding stretches of the started rollouts, with their layers.
fn stretches(records: &[RolloutRecord], end: Instant) -> Vec<(&str, Instant, Instant)> {
    records
        .iter()
        .filter_map(|r| Some((r.layer.as_str(), r.started_at?, decided(r, end))))
        .collect()
}

fn calls(a: &str, b: &str) -> bool {
    matches!(
        (a, b),
        ("edge", "api") | ("api", "edge") | ("api", "data") | ("data", "api")
    )
}

#[test]
fn no_two_rollouts_at_once_on_services_that_call_one_another() {
    let open = rehearse(&model("", "1d"));
    let end: Instant = open.world.end().into();
    let overlapping = |records: &[RolloutRecord]| {
        let s = stretches(records, end);
        let mut n = 0;
        for (i, a) in s.iter().enumerate() {
            for b in &s[i + 1..] {
                if calls(a.0, b.0) && a.1 < b.2 && b.1 < a.2 {
                    n += 1;
                }
            }
        }
        n
    };
    assert!(
        overlapping(&open.records) > 0,
        "without the policy, dependent rollouts overlap (else this test shows nothing)"
    );
    let strict = rehearse(&model("policy = { no_dependent_overlap = true }", "1d"));
    assert_eq!(overlapping(&strict.records), 0);
    assert!(
        strict
            .records
            .iter()
            .filter(|r| r.started_at.is_some())
            .count()
            > 5
    );
    let waited = strict
        .records
        .iter()
        .flat_map(|r| &r.timeline)
        .any(|(_, text)| text.contains("which calls or is called by"));
    assert!(waited, "a held release says what it waited for");
}

#[test]
fn at_most_n_rollouts_decide_at_once() {
    let limited = rehearse(&model("policy = { max_concurrent = 1 }", "1d"));
    let end: Instant = limited.world.end().into();
    let s = stretches(&limited.records, end);
    for (i, a) in s.iter().enumerate() {
        for b in &s[i + 1..] {
            assert!(!(a.1 < b.2 && b.1 < a.2), "{a:?} and {b:?} at once");
        }
    }
    assert!(s.len() > 5, "{} started", s.len());
}

#[test]
fn nothing_starts_in_a_freeze() {
    // The run starts Monday 00:00; releases all day, every day; frozen 12:00–16:00.
    let frozen = rehearse(&model(
        "policy = { freeze = [\"mon 12:00 - mon 16:00\"] }",
        "1d",
    ));
    let mut held = 0;
    for (record, release) in frozen.records.iter().zip(&frozen.releases) {
        let Some(started) = record.started_at else {
            continue;
        };
        let hour = started.since_start().as_secs_f64() / 3600.0;
        assert!(
            !(12.0..16.0).contains(&hour),
            "{record:?} started at {hour} h"
        );
        let due = release.due.as_secs_f64() / 3600.0;
        if (12.0..16.0).contains(&due) {
            held += 1;
            assert!(
                hour >= 16.0,
                "a release due in the freeze waits for its end"
            );
        }
    }
    assert!(held > 0, "some releases were due in the freeze");
}

#[test]
fn every_policy_sees_the_same_calendar() {
    let open = rehearse(&model("", "12h"));
    for policy in [
        "policy = { no_dependent_overlap = true }",
        "policy = { max_concurrent = 1, freeze = [\"mon 10:00 - mon 11:00\"] }",
    ] {
        let other = rehearse(&model(policy, "12h"));
        assert_eq!(other.releases, open.releases, "{policy}");
    }
    assert!(!open.releases.is_empty());
    let reseeded = {
        let mut m = model("", "12h");
        m.seed = 6;
        rehearse(&m)
    };
    assert_ne!(
        reseeded.releases, open.releases,
        "another seed, another calendar"
    );
}

#[test]
fn chaos_monkey_keeps_to_its_hours() {
    let with_hours = |hours: &str| {
        let text = format!(
            r#"seed = 2
duration = "1d"
[traffic]
entry = "edge"
rate = "20/s"
[layers.edge]
instances = 20
service_time = "exponential(mean=5ms)"
[chaos]
kills = [{{ layer = "edge", rate = "60/h"{hours} }}]
"#
        );
        let scenario = parse(&text, Path::new("chaos.toml")).unwrap();
        let mut world = rollsim::model::World::new(&scenario);
        let end = world.end();
        world.run_until(end);
        world.summary().layers[0].crashed
    };
    let all_day = with_hours("");
    let one_hour = with_hours(", hours = \"mon 09:00-10:00\"");
    // 60 an hour: ~1 440 a day, ~60 in one hour (Poisson: ±4 sd ≈ ±31).
    assert!((1300..1580).contains(&all_day), "{all_day}");
    assert!((29..92).contains(&one_hour), "{one_hour}");
}

#[test]
fn a_wrong_calendar_says_which_field_and_what_is_allowed() {
    let bad = |releases: &str| {
        let text = format!(
            "duration = \"1d\"\n[traffic]\nrate = \"10/s\"\nentry = \"edge\"\n[layers.edge]\ninstances = 2\n[releases]\n{releases}\n"
        );
        parse(&text, Path::new("bad.toml")).unwrap_err().to_string()
    };
    let e = bad("teams = { nope = {} }");
    assert!(
        e.contains("releases.teams.nope") && e.contains("\"edge\""),
        "{e}"
    );
    let e = bad("rollout = { layer = \"edge\" }");
    assert!(
        e.contains("releases.rollout.layer") && e.contains("leave `layer` out"),
        "{e}"
    );
    let e = bad("defect_probability = 1.5");
    assert!(
        e.contains("releases.defect_probability") && e.contains("[0, 1]"),
        "{e}"
    );
    let e = bad("hours = \"weekdays 9-5\"");
    assert!(
        e.contains("hours") && e.contains("mon-fri 09:00-17:00"),
        "{e}"
    );
    let e = bad("policy = { freeze = [\"fri 12:00\"] }");
    assert!(
        e.contains("freeze") && e.contains("DAY HH:MM - DAY HH:MM"),
        "{e}"
    );
    let e = bad("policy = { max_concurrent = 0 }");
    assert!(
        e.contains("max_concurrent") && e.contains("at least 1"),
        "{e}"
    );
    let e = bad("defects = [{ name = \"x\", weight = 1, release = {} }]");
    assert!(
        e.contains("releases.defects[0].release") && e.contains("healthy"),
        "{e}"
    );
}

#[test]
fn a_calendar_run_reports_every_release_and_the_weeks_figures() {
    let dir = std::env::temp_dir().join(format!("rollsim-calendar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("calendar.toml");
    std::fs::write(&file, model_text("", "12h")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(["run", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let week = &json["week"];
    let releases = json["releases"].as_array().unwrap();
    assert_eq!(week["releases"].as_u64().unwrap() as usize, releases.len());
    assert!(!releases.is_empty());
    let promoted = releases
        .iter()
        .filter(|r| r["outcome"] == "promoted")
        .count();
    assert_eq!(week["promoted"].as_u64().unwrap() as usize, promoted);
    let escaped = releases.iter().filter(|r| r["escaped"] == true).count();
    assert_eq!(week["escaped"].as_u64().unwrap() as usize, escaped);
    assert!(
        week["failed_requests"].as_u64().unwrap() as i64
            >= week["extra_failed_requests"].as_i64().unwrap()
    );
    assert!(json["world"].is_object());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_calendar_run_keeps_the_entrys_whole_series_and_the_recent_past_of_the_rest() {
    let day = rehearse(&model("", "1d"));
    let series = day.world.observations();
    let seconds = 24 * 3600;
    assert_eq!(
        series.layers[0].first_kept(),
        0,
        "the entry layer: every second"
    );
    assert_eq!(series.layers[0].len(), seconds);
    for layer in &series.layers[1..] {
        assert_eq!(layer.len(), seconds, "every second counted");
        assert!(
            layer.first_kept() >= seconds - 2 * 3600,
            "only the recent past kept: from {}",
            layer.first_kept()
        );
        assert!(layer.get(0).is_none() && layer.get(seconds - 1).is_some());
    }
    let horizon = model("", "1d").series_horizon().unwrap();
    assert_eq!(
        horizon.as_secs_f64(),
        3600.0,
        "an hour: the analyses look back 2 min"
    );
}

#[test]
fn commands_that_measure_rollouts_one_by_one_refuse_a_calendar() {
    let dir = std::env::temp_dir().join(format!("rollsim-calendar-refused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("calendar.toml");
    std::fs::write(&file, model_text("", "12h")).unwrap();
    for command in [&["compare"][..], &["plan"], &["plan", "canary"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollsim"))
            .args(command)
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("release calendar") && stderr.contains("rollsim run"),
            "{command:?}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

//! Rollouts in awkward places, each found once broken: an autoscaled layer, two
//! rollouts of one layer, a crash-looping release, and model files describing phases
//! that could never pass.

use std::path::Path;

use rollsim::model::InstanceState;
use rollsim::rehearsal::rehearse;
use rollsim::rollout::{Outcome, RollbackPath};
use rollsim::scenario;

fn load(name: &str) -> scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/models")
        .join(name);
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn autoscaling_is_suspended_while_a_rollout_works_so_a_rollback_restores_the_old_size() {
    let rehearsal = rehearse(&load("autoscaled_leak.toml"));
    let record = &rehearsal.records[0];
    for (t, note) in &record.timeline {
        println!("{t}  {note}");
    }
    assert_eq!(record.outcome, Outcome::RolledBack);
    assert_eq!(record.rollback_path, Some(RollbackPath::WarmCluster));
    let notes: Vec<&str> = record.timeline.iter().map(|(_, n)| n.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.starts_with("v0 serving again")),
        "{notes:#?}"
    );
    assert!(record.finished_at.is_some());
}

#[test]
fn a_second_rollout_of_a_layer_replaces_the_version_the_first_one_promoted() {
    let rehearsal = rehearse(&load("two_rollouts_one_layer.toml"));
    let second = &rehearsal.records[1];
    assert_eq!(
        (second.old_version, second.new_version),
        (1, 2),
        "{:#?}",
        second.timeline
    );
    assert_eq!(second.outcome, Outcome::Promoted);
}

#[test]
fn a_crash_looping_release_is_caught_by_its_crashes() {
    let rehearsal = rehearse(&load("crash_loop_rolling.toml"));
    let record = &rehearsal.records[0];
    assert_eq!(record.outcome, Outcome::RolledBack);
    let reason = record.abort_reason.clone().unwrap_or_default();
    assert!(reason.contains("instances of v1 crashed"), "{reason}");
}

#[test]
fn phases_that_could_never_pass_and_meaningless_settings_are_refused() {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/quickstart.toml"),
    )
    .unwrap();
    let cases = [
        (
            r#"red_black = { bake = "3m", cleanup = "disable", disabled_for = "2m" }"#,
            r#"red_black = { bake = "30s" }"#,
            "shorter than the analysis delay plus one interval",
        ),
        (
            r#"analysis = { delay = "1m", max_latency_p99_ratio = 2.5 }"#,
            r#"analysis = { interval = "10ms" }"#,
            "must be between 1s",
        ),
        (
            r#"analysis = { delay = "1m", max_latency_p99_ratio = 2.5 }"#,
            r#"analysis = { judge = "mann-whitney", interval = "2m", sample_interval = "100ms" }"#,
            "must be between 1s and the interval",
        ),
        (
            r#"strategy = "red-black""#,
            "strategy = \"red-black\"\nrelease = { crash_after = \"0s\" }",
            "at least 1s",
        ),
        (
            r#"red_black = { bake = "3m", cleanup = "disable", disabled_for = "2m" }"#,
            r#"red_black = { bake = "3m", canary = { instances = 9 } }"#,
            "layer's 4 instances",
        ),
    ];
    for (from, to, needle) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replace(from, to);
        let error = scenario::parse(&text, Path::new("quickstart.toml")).expect_err(to);
        assert!(error.to_string().contains(needle), "{to}: {error}");
    }
}

#[test]
fn percentages_that_round_to_zero_roll_one_instance_at_a_time_as_kubernetes_does() {
    // 25% of 3 instances rounds down to 0 unavailable, and no surge is allowed:
    // Kubernetes then takes one instance out at a time; both written as 0 is refused.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/quickstart.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace(
            "instances = 4\nworkers = 8\nservice_time = \"lognormal(mean=15ms",
            "instances = 3\nworkers = 8\nservice_time = \"lognormal(mean=15ms",
        )
        .replace(
            "strategy = \"red-black\"",
            "strategy = \"rolling\"\nrolling = { max_surge = \"0\", max_unavailable = \"25%\" }",
        );
    let model = scenario::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.layers["backend"].instances, 3);
    let rehearsal = rehearse(&model);
    let record = &rehearsal.records[0];
    assert_eq!(record.outcome, Outcome::Promoted, "{:#?}", record.timeline);
    let windows = &rehearsal.world.observations().layers[1];
    let serving: Vec<u32> = windows
        .iter()
        .map(|w| {
            w.instances[InstanceState::Warming.index()]
                + w.instances[InstanceState::InService.index()]
        })
        .collect();
    assert_eq!(
        serving.iter().max(),
        Some(&3),
        "never above the fleet: no surge"
    );
    assert_eq!(serving.iter().min(), Some(&2), "one instance out at a time");
    let refused = text.replace("max_unavailable = \"25%\"", "max_unavailable = \"0%\"");
    let error = scenario::parse(&refused, &path).unwrap_err().to_string();
    assert!(error.contains("are both 0"), "{error}");
}

#[test]
fn a_progress_deadline_waits_for_a_slow_but_moving_launch_and_a_launch_deadline_does_not() {
    // Instances boot one after another, 40 s apart (launch 1 s + boot spread 10–170 s):
    // the last is in service about 3 minutes after the launch. A 60 s deadline from the
    // launch gives up; Kubernetes' progress deadline (60 s since the last instance came
    // up, as Argo Rollouts and Flagger use it) waits.
    let model = |progress: bool| {
        format!(
            "seed = 2\nduration = \"30m\"\n[traffic]\nentry = \"api\"\nrate = \"200/s\"\n\
             [layers.api]\ninstances = 5\nservice_time = \"exp(5ms)\"\n\
             launch_time = \"det(1s)\"\nboot_time = \"uniform(10s, 170s)\"\nwarmup = \"0s\"\n\
             balancer = {{ kind = \"elb\", health_check_interval = \"5s\", healthy_threshold = 2 }}\n\
             [[rollouts]]\nlayer = \"api\"\nstart = \"2m\"\nstrategy = \"red-black\"\n\
             red_black = {{ healthy_deadline = \"100s\", progress_deadline = {progress}, \
             bake = \"5m\", cleanup = \"destroy\" }}\n"
        )
    };
    let outcome = |progress: bool| {
        let model = scenario::parse(&model(progress), Path::new("slow.toml")).unwrap();
        let record = rehearse(&model).records[0].clone();
        (record.outcome, record.abort_reason)
    };
    let (from_launch, reason) = outcome(false);
    assert_eq!(from_launch, Outcome::RolledBack, "{reason:?}");
    assert!(reason.unwrap_or_default().contains("not healthy in time"));
    let (from_progress, reason) = outcome(true);
    assert_eq!(from_progress, Outcome::Promoted, "{reason:?}");
}

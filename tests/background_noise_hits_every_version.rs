//! A layer's background noise: steady errors on every version, healthy ones included;
//! each instance's bad spells, for their share of its time; noise that leaves the
//! rest of the run's dice alone; and judges that a spell can fool, so that false
//! alarms are measured instead of being zero by construction.

use std::path::Path;

use rollsim::engine::{SimDuration, SimTime};
use rollsim::model::{ClusterId, FailureCause, World};
use rollsim::rehearsal::rehearse;
use rollsim::rollout::Outcome;
use rollsim::scenario::{self, rollout::ReleaseSpec};

const MODEL: &str = r#"
seed = 4
duration = "DURATION"
[traffic]
entry = "api"
rate = "1000/s"
[layers.api]
instances = INSTANCES
service_time = "exp(10ms)"
launch_time = "det(5s)"
boot_time = "det(10s)"
warmup = "0s"
balancer = { kind = "elb", health_check_interval = "2s", deregistration_delay = "5s" }
client = { retries = 0 }
NOISE
"#;

fn model(instances: u32, duration: &str, noise: &str) -> scenario::Scenario {
    let text = MODEL
        .replace("INSTANCES", &instances.to_string())
        .replace("DURATION", duration)
        .replace("NOISE", noise);
    scenario::parse(&text, Path::new("noise.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn at(seconds: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(seconds)
}

/// Failed ÷ taken attempts of a cluster over seconds `[from, to)`, and the attempts.
fn failed_share(world: &World, cluster: ClusterId, from: usize, to: usize) -> (f64, u64) {
    let index: usize = format!("{cluster:?}")
        .trim_start_matches("ClusterId(")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    let series = &world.observations().clusters[index];
    let first = series.first_window as usize;
    let windows = &series.windows[from - first..to - first];
    let taken: u64 = windows.iter().map(|w| u64::from(w.attempts)).sum();
    let failed: u64 = windows.iter().map(|w| u64::from(w.failed_total())).sum();
    (failed as f64 / taken.max(1) as f64, taken)
}

#[test]
fn steady_background_errors_fail_that_share_on_every_version_healthy_ones_included() {
    let scenario = model(10, "15m", "noise = { error_rate = 0.02 }");
    let mut world = World::new(&scenario);
    let api = world.layer_id("api").unwrap();
    let old = world.clusters_of(api)[0];
    world.run_until(at(60));
    let healthy = world.add_release(api, &ReleaseSpec::default());
    let new = world.launch_cluster(api, healthy, 10);
    world.run_until(at(600));
    for (cluster, name) in [(old, "old"), (new, "new")] {
        let (share, taken) = failed_share(&world, cluster, 200, 600);
        assert!(taken > 100_000, "{name} took half the traffic: {taken}");
        // ±0.2 percentage points is over 5 binomial standard errors at 200 000.
        assert!((share - 0.02).abs() < 0.002, "{name}: {share}");
    }
    let summary = world.summary();
    assert!(summary.layers[0].calls.failed[FailureCause::Error.index()] > 10_000);
}

#[test]
fn an_instance_fails_in_its_spells_for_their_share_of_its_time() {
    // Spells of 5 minutes, 25 minutes apart on average: 1/6 of the time, at 30% errors,
    // so 5% of requests over 100 instances × 2 hours (~800 spells).
    let scenario = model(
        100,
        "2h",
        r#"noise = { spells = { every = "25m", length = "5m", error_rate = 0.3 } }"#,
    );
    let mut world = World::new(&scenario);
    world.run_until(at(7200));
    let summary = world.summary();
    let calls = summary.layers[0].calls;
    let share = calls.failed[FailureCause::Error.index()] as f64 / calls.issued as f64;
    assert!((share - 0.05).abs() < 0.01, "{share}");
}

#[test]
fn a_slow_spell_slows_the_requests_of_its_instance() {
    let p99_ms = |noise: &str| {
        let mut world = World::new(&model(20, "30m", noise));
        world.run_until(at(1800));
        let summary = world.summary();
        summary.layers[0]
            .latency
            .quantile(0.99)
            .expect("requests succeeded")
            .as_millis_f64()
    };
    let quiet = p99_ms("");
    // A fifth of the time, ten times slower: the slowest percent are spell requests.
    let noisy =
        p99_ms(r#"noise = { spells = { every = "8m", length = "2m", latency_factor = 10.0 } }"#);
    assert!(
        noisy > 3.0 * quiet,
        "p99 {noisy} ms with spells vs {quiet} ms"
    );
}

#[test]
fn noise_leaves_the_traffic_and_service_dice_alone() {
    // Same seed, with and without noise: the same requests arrive (retries are off),
    // and without errors in the noise's spells the same requests succeed, in the same
    // times, so a rollout's run and its baseline differ only by what the rollout does.
    let run = |noise: &str| {
        let mut world = World::new(&model(10, "10m", noise));
        world.run_until(at(600));
        world.summary().layers[0].calls
    };
    let quiet = run("");
    let errors = run("noise = { error_rate = 0.01 }");
    assert_eq!(quiet.issued, errors.issued);
    assert!(errors.succeeded < quiet.succeeded);
}

#[test]
fn a_healthy_canary_in_a_bad_spell_is_failed_by_a_judge_that_compares_it_with_the_fleet() {
    // One canary instance among 8, judged on its error rate against the fleet's: with
    // spells a third of the time, it is sometimes in one while judged (a false alarm);
    // without noise a healthy canary is never failed.
    let rollout = r#"
[[rollouts]]
layer = "api"
start = "5m"
red_black = { canary = { instances = 1, duration = "10m" }, bake = "5m" }
analysis = { interval = "1m", failure_limit = 1, max_error_rate = 1.0, max_error_rate_increase = 0.02 }
"#;
    let rolled_back = |noise: &str| {
        (1..=8)
            .filter(|seed| {
                let mut scenario = model(8, "40m", &format!("{noise}\n{rollout}"));
                scenario.seed = *seed;
                let rehearsal = rehearse(&scenario);
                rehearsal.records[0].outcome == Outcome::RolledBack
            })
            .count()
    };
    assert_eq!(rolled_back(""), 0, "no false alarm without noise");
    let noisy =
        rolled_back(r#"noise = { spells = { every = "20m", length = "10m", error_rate = 0.2 } }"#);
    assert!(
        (1..8).contains(&noisy),
        "spells fail some healthy canaries, not all: {noisy} of 8"
    );
}

#[test]
fn bad_noise_settings_name_the_field_and_what_is_allowed() {
    let refused = |noise: &str, field: &str, needle: &str| {
        let text = MODEL
            .replace("INSTANCES", "2")
            .replace("DURATION", "1m")
            .replace("NOISE", noise);
        let error = scenario::parse(&text, Path::new("bad.toml")).expect_err(noise);
        assert_eq!(error.field, field, "{error}");
        assert!(error.message.contains(needle), "{needle:?} in {error}");
    };
    refused(
        "noise = { error_rate = 1.5 }",
        "layers.api.noise.error_rate",
        "probability in [0, 1]",
    );
    refused(
        r#"noise = { spells = { every = "0s", length = "1m", error_rate = 0.1 } }"#,
        "layers.api.noise.spells.every",
        "mean gap",
    );
    refused(
        r#"noise = { spells = { every = "1h", length = "1m" } }"#,
        "layers.api.noise.spells",
        "does nothing",
    );
    refused(
        r#"noise = { spells = { every = "1h", length = "1m", latency_factor = -2.0 } }"#,
        "layers.api.noise.spells.latency_factor",
        "multiplier",
    );
    refused(
        r#"noise = { rate = 0.1 }"#,
        "layers.api.noise.rate",
        "unknown field",
    );
}

#[test]
fn fast_mode_carries_background_errors_and_spells_to_the_whole_fleet() {
    // 400 instances at 20 000 requests/s: the fast mode simulates a few representatives
    // and carries the rest as flows, which must fail as often as request level does.
    let failed_share = |fidelity: &str| {
        let text = MODEL
            .replace("INSTANCES", "400")
            .replace("DURATION", "10m")
            .replace("rate = \"1000/s\"", "rate = \"20000/s\"")
            .replace(
                "NOISE",
                r#"noise = { error_rate = 0.01, spells = { every = "20m", length = "5m", error_rate = 0.1 } }"#,
            );
        let mut scenario = scenario::parse(
            &format!("fidelity = \"{fidelity}\"\n{text}"),
            Path::new("noise.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        scenario.seed = 11;
        let mut world = World::new(&scenario);
        world.run_until(at(600));
        let calls = world.summary().layers[0].calls;
        calls.failed[FailureCause::Error.index()] as f64 / calls.issued as f64
    };
    let (exact, fast) = (failed_share("exact"), failed_share("fast"));
    // 1% steady + 10% for a fifth of the time: 3% expected.
    assert!((exact - 0.03).abs() < 0.006, "request level: {exact}");
    assert!(
        (fast - exact).abs() < 0.2 * exact,
        "fast {fast} vs request level {exact}"
    );
}

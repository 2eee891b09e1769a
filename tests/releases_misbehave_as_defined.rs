//! A release's defects show on the instances that run it, and only there: error rates,
//! latency and capacity regressions, leaks that grow with uptime, crash loops, defects
//! for a fraction of requests or only under load.

use std::path::Path;

use rollsim::engine::{SimDuration, SimTime};
use rollsim::model::{ClusterId, FailureCause, World};
use rollsim::scenario::{self, rollout::ReleaseSpec};

const MODEL: &str = r#"
seed = 4
duration = "30m"
[traffic]
entry = "api"
rate = "1000/s"
[layers.api]
instances = 10
service_time = "exp(10ms)"
launch_time = "det(5s)"
boot_time = "det(10s)"
warmup = "0s"
balancer = { kind = "elb", health_check_interval = "2s", deregistration_delay = "5s" }
client = { retries = 0 }
"#;

fn at(seconds: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(seconds)
}

/// The world with a second cluster of 10 instances running `release` from 60 s, sharing
/// traffic with the old one; returns it run to `until` seconds.
fn half_on(release: &str, until: u64) -> (World, ClusterId, ClusterId) {
    let scenario = scenario::parse(MODEL, Path::new("releases.toml")).unwrap();
    let spec: ReleaseSpec = toml::from_str(release).unwrap();
    let mut world = World::new(&scenario);
    let api = world.layer_id("api").unwrap();
    let old = world.clusters_of(api)[0];
    world.run_until(at(60));
    let version = world.add_release(api, &spec);
    let new = world.launch_cluster(api, version, 10);
    world.run_until(at(until));
    (world, old, new)
}

/// Failed ÷ taken attempts, and the p50 latency, of a cluster over seconds `[from, to)`.
fn stats(world: &World, cluster: ClusterId, from: usize, to: usize) -> (f64, f64, u64) {
    let index: usize = format!("{cluster:?}")
        .trim_start_matches("ClusterId(")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    let series = &world.observations().clusters[index];
    let windows =
        &series.windows[from - series.first_window as usize..to - series.first_window as usize];
    let taken: u64 = windows.iter().map(|w| u64::from(w.attempts)).sum();
    let failed: u64 = windows.iter().map(|w| u64::from(w.failed_total())).sum();
    let mut latency = rollsim::stats::LatencyHistogram::default();
    for w in windows {
        latency.merge(&w.latency);
    }
    let p50 = latency.quantile(0.5).map_or(0.0, |d| d.as_millis_f64());
    (failed as f64 / taken.max(1) as f64, p50, taken)
}

#[test]
fn an_error_rate_fails_that_share_of_the_new_versions_requests_only() {
    let (world, old, new) = half_on("error_rate = 0.1", 600);
    let (new_errors, _, taken) = stats(&world, new, 200, 600);
    let (old_errors, _, _) = stats(&world, old, 200, 600);
    assert!(
        taken > 100_000,
        "the new cluster took half the traffic: {taken}"
    );
    assert!((new_errors - 0.1).abs() < 0.005, "{new_errors}");
    assert_eq!(old_errors, 0.0);
    let mut world = world;
    let summary = world.summary();
    assert!(summary.layers[0].calls.failed[FailureCause::Error.index()] > 10_000);
}

#[test]
fn a_latency_regression_slows_the_new_version_for_the_affected_fraction() {
    let (world, old, new) = half_on("latency_factor = 3.0", 600);
    let (_, old_p50, _) = stats(&world, old, 200, 600);
    let (_, new_p50, _) = stats(&world, new, 200, 600);
    assert!(new_p50 > 2.5 * old_p50, "{new_p50} vs {old_p50}");
    let (world, old, new) = half_on("latency_factor = 3.0\naffected_fraction = 0.1", 600);
    let (_, old_p50, _) = stats(&world, old, 200, 600);
    let (_, new_p50, _) = stats(&world, new, 200, 600);
    assert!(
        new_p50 < 1.3 * old_p50,
        "90% unaffected: {new_p50} vs {old_p50}"
    );
}

#[test]
fn a_capacity_regression_gives_instances_fewer_workers() {
    let (mut world, _, new) = half_on("capacity_factor = 0.25", 300);
    let view = world.cluster_view(new);
    assert_eq!(view.instances[3], 10);
    // Two workers instead of eight: at 50 requests/s × 10 ms per instance it still copes,
    // so the difference shows in utilisation, not failures.
    let api = &world.summary().layers[0];
    assert_eq!(api.calls.failed_total(), 0);
}

#[test]
fn a_leak_surfaces_with_uptime_and_spares_fresh_instances() {
    let (world, _, new) = half_on(
        "leak = { onset = \"10m\", ramp = \"5m\", max_error_rate = 0.4 }",
        1800,
    );
    // Ready at ~75 s: healthy until ~675 s, then errors ramp to 40% by ~975 s.
    let (early, _, _) = stats(&world, new, 100, 600);
    let (late, _, _) = stats(&world, new, 1100, 1700);
    assert_eq!(early, 0.0);
    assert!((late - 0.4).abs() < 0.02, "{late}");
}

#[test]
fn a_crash_loop_keeps_killing_and_replacing_instances() {
    let (mut world, _, _) = half_on("crash_after = \"uniform(20s, 40s)\"", 600);
    let api = &world.summary().layers[0];
    // Each new instance lives ~15 s launching + ~30 s serving: ~10 instances every 45 s.
    assert!(api.crashed > 80, "{}", api.crashed);
    assert!(api.launched > api.crashed, "every crash is replaced");
    assert!(
        api.calls.failed[FailureCause::Reset.index()] > 0,
        "requests die with them"
    );
}

#[test]
fn a_defect_under_load_strikes_only_when_workers_are_busy() {
    let (world, _, new) = half_on("error_rate = 1.0\nabove_load = 0.9", 600);
    // At 50 requests/s × 10 ms per instance, 8 workers are rarely 90% busy.
    let (quiet, _, _) = stats(&world, new, 200, 600);
    assert!(quiet < 0.01, "{quiet}");
}

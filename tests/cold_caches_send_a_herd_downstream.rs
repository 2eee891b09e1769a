//! A fresh cluster starts with cold caches: when traffic moves to it, every lookup
//! misses and goes to the layer below, whose request rate jumps, then settles as the
//! caches warm (the red/black "thundering herd" on the backend).

use std::path::Path;

use rollsim::engine::{SimDuration, SimTime};
use rollsim::model::World;
use rollsim::scenario;

const MODEL: &str = r#"
name = "cold-cache"
seed = 5
duration = "20m"

[traffic]
entry = "middle"
rate = "500/s"

[layers.middle]
instances = 5
service_time = "exp(5ms)"
launch_time = "det(10s)"
boot_time = "det(20s)"
calls = [{ layer = "backend", cache = { hit_ratio = 0.8, warmup_requests = 6000 } }]
balancer = { kind = "elb", deregistration_delay = "10s", health_check_interval = "5s" }

[layers.backend]
instances = 10
workers = 16
service_time = "exp(5ms)"
"#;

/// Mean backend attempts per second over windows `[from_s, to_s)`.
fn backend_rate(world: &World, from_s: usize, to_s: usize) -> f64 {
    let windows = &world.observations().layers[1][from_s..to_s];
    windows.iter().map(|w| f64::from(w.attempts)).sum::<f64>() / windows.len() as f64
}

#[test]
fn a_cold_cache_on_a_fresh_cluster_raises_the_backend_rate_then_it_settles() {
    let scenario = scenario::parse(MODEL, Path::new("cold-cache.toml")).expect("valid");
    let mut world = World::new(&scenario);
    let middle = world.layer_id("middle").expect("a middle layer");
    let old = world.clusters_of(middle)[0];
    world.run_until(SimTime::ZERO + SimDuration::from_secs(60));
    // A new cluster boots and registers with weight 0, then takes all traffic at 2 min.
    let version = world.add_release(middle, &Default::default());
    let fresh = world.launch_cluster(middle, version, 5);
    world.set_weight(fresh, Some(0.0));
    world.run_until(SimTime::ZERO + SimDuration::from_secs(120));
    let states = world.cluster_view(fresh).instances; // launching, booting, warming, in service, …
    assert_eq!(
        states[2] + states[3],
        5,
        "the new cluster is serving: {states:?}"
    );
    world.set_weight(fresh, None);
    world.set_enabled(old, false);
    world.run();

    let before = backend_rate(&world, 60, 120);
    let just_after = backend_rate(&world, 121, 131);
    let settled = backend_rate(&world, 900, 1200);
    println!(
        "backend rate: before {before:.0}/s, just after {just_after:.0}/s, settled {settled:.0}/s"
    );
    // 500/s × 20% misses = 100/s warm; all 500/s miss on cold caches.
    assert!(
        (before - 100.0).abs() < 10.0,
        "warm caches pass 20%: {before}"
    );
    assert!(
        just_after > 3.0 * before,
        "cold caches send a herd: {just_after} vs {before}"
    );
    assert!(
        (settled - before).abs() < 0.15 * before,
        "then it settles: {settled} vs {before}"
    );
}

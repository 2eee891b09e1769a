//! How the world's balancers, clusters, clients and chaos behave, as an operator
//! would see them: switches behind an ELB are immediate and behind discovery spread
//! over the refresh interval; weights split traffic; dead instances are refused until
//! the balancer notices; timed-out work still runs on the server; autoscaling follows
//! load; failed launches are replaced; herds arrive within their spread; least
//! outstanding requests balances old and new clusters as one pool.

use std::path::Path;

use rollsim::engine::{SimDuration, SimTime};
use rollsim::model::{ClusterId, FailureCause, World};
use rollsim::scenario;

fn world(model: &str) -> World {
    World::new(&scenario::parse(model, Path::new("test.toml")).expect("a valid model"))
}

fn at(seconds: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(seconds)
}

/// Share of the attempts cluster `cluster` took in window `second`, among all clusters of its layer.
fn share(world: &World, cluster: ClusterId, clusters: &[ClusterId], second: usize) -> f64 {
    let series = &world.observations().clusters;
    let attempts = |c: ClusterId| {
        let s = series
            .iter()
            .enumerate()
            .find(|(i, _)| *i == cluster_index(c))
            .map(|(_, s)| s)
            .expect("a series per cluster");
        second
            .checked_sub(s.first_window as usize)
            .and_then(|k| s.windows.get(k))
            .map_or(0.0, |w| f64::from(w.attempts))
    };
    let total: f64 = clusters.iter().map(|c| attempts(*c)).sum();
    attempts(cluster) / total.max(1.0)
}

fn cluster_index(cluster: ClusterId) -> usize {
    // Cluster ids count up from 0 in creation order, as their series do.
    format!("{cluster:?}")
        .trim_start_matches("ClusterId(")
        .trim_end_matches(')')
        .parse()
        .expect("ClusterId(n)")
}

const TWO_CLUSTERS: &str = r#"
seed = 3
duration = "5m"
[traffic]
entry = "api"
rate = "2000/s"
[layers.api]
instances = 10
service_time = "exp(5ms)"
launch_time = "det(5s)"
boot_time = "det(10s)"
BALANCER
"#;

/// A world with a second cluster of the same size, running a new (healthy) version,
/// serving but not yet taking traffic at 60 s: disabled, or registered with weight 0.
fn with_new_cluster(balancer: &str, disabled: bool) -> (World, ClusterId, ClusterId) {
    let mut world = world(&TWO_CLUSTERS.replace("BALANCER", balancer));
    let api = world.layer_id("api").unwrap();
    let old = world.clusters_of(api)[0];
    world.run_until(at(20));
    let version = world.add_release(api, &Default::default());
    let new = world.launch_cluster(api, version, 10);
    if disabled {
        world.set_enabled(new, false);
    } else {
        world.set_weight(new, Some(0.0));
    }
    world.run_until(at(60));
    (world, old, new)
}

const FAST_ELB: &str = r#"balancer = { kind = "elb", health_check_interval = "5s" }"#;

#[test]
fn an_elb_switch_moves_all_new_requests_at_once() {
    let (mut world, old, new) = with_new_cluster(FAST_ELB, false);
    world.set_weight(new, None);
    world.set_enabled(old, false);
    world.run_until(at(90));
    let clusters = [old, new];
    assert!(share(&world, new, &clusters, 59) < 0.001);
    for second in 61..89 {
        assert!(
            share(&world, new, &clusters, second) > 0.999,
            "second {second}"
        );
    }
}

#[test]
fn without_registry_and_balancer_caches_a_discovery_switch_spreads_over_one_client_refresh() {
    let (mut world, old, new) = with_new_cluster(
        r#"balancer = { kind = "discovery", refresh_interval = "30s", server_cache_interval = "0s", list_refresh_interval = "0s" }"#,
        true,
    );
    world.set_enabled(new, true);
    world.set_enabled(old, false);
    world.run_until(at(120));
    let clusters = [old, new];
    let shares: Vec<f64> = (60..95).map(|s| share(&world, new, &clusters, s)).collect();
    println!("share on the new cluster, second by second: {shares:.2?}");
    // Outside users refresh at uniformly random phases: the share grows about linearly.
    assert!(shares[5] > 0.05 && shares[5] < 0.35, "{}", shares[5]);
    assert!(shares[15] > 0.35 && shares[15] < 0.65, "{}", shares[15]);
    assert!(shares[25] > 0.7 && shares[25] < 0.95, "{}", shares[25]);
    assert!(
        shares[31..].iter().all(|s| *s > 0.999),
        "everyone refreshed after 30 s"
    );
}

#[test]
fn behind_discovery_a_weight_reaches_callers_with_their_view_like_a_registration() {
    // Both clusters registered, the new one weighted 0 from 20 s; at 60 s the controller
    // moves the whole weight to it. A caller routes by the weights of its view, so the
    // move spreads over one client refresh (30 s, no other cache), as a switch by
    // (de)registration does, instead of landing on everyone at once.
    let (mut world, old, new) = with_new_cluster(
        r#"balancer = { kind = "discovery", refresh_interval = "30s", server_cache_interval = "0s", list_refresh_interval = "0s" }"#,
        false,
    );
    world.set_weight(old, Some(0.0));
    world.set_weight(new, Some(1.0));
    world.run_until(at(120));
    let clusters = [old, new];
    let shares: Vec<f64> = (60..95).map(|s| share(&world, new, &clusters, s)).collect();
    println!("share on the new cluster, second by second: {shares:.2?}");
    assert!(share(&world, new, &clusters, 59) < 0.001);
    assert!(shares[5] > 0.05 && shares[5] < 0.35, "{}", shares[5]);
    assert!(shares[15] > 0.35 && shares[15] < 0.65, "{}", shares[15]);
    assert!(shares[25] > 0.7 && shares[25] < 0.95, "{}", shares[25]);
    assert!(
        shares[31..].iter().all(|s| *s > 0.999),
        "everyone refreshed after 30 s"
    );
}

#[test]
fn eurekas_default_caches_make_a_switch_take_40_to_100_seconds() {
    // Eureka's server response cache (30 s), the client's registry fetch (30 s) and
    // Ribbon's list refresh (30 s) in a row: a change waits for all three, 45 s on
    // average (three uniform residuals) and up to 90 s. The registry's cache phase is
    // one per run, so the mean is taken over eight runs.
    let mut means = Vec::new();
    for seed in 1..=8 {
        let model = TWO_CLUSTERS.replace("seed = 3", &format!("seed = {seed}"));
        let mut world = world(&model.replace("BALANCER", r#"balancer = { kind = "discovery" }"#));
        let api = world.layer_id("api").unwrap();
        let old = world.clusters_of(api)[0];
        world.run_until(at(20));
        let version = world.add_release(api, &Default::default());
        let new = world.launch_cluster(api, version, 10);
        world.set_enabled(new, false);
        world.run_until(at(60));
        world.set_enabled(new, true);
        world.set_enabled(old, false);
        world.run_until(at(200));
        let clusters = [old, new];
        let shares: Vec<f64> = (60..195)
            .map(|s| share(&world, new, &clusters, s))
            .collect();
        // A caller's mean wait for the switch: the area above the share curve.
        let mean_switch_secs: f64 = shares.iter().map(|s| 1.0 - s).sum();
        let all_by = shares.iter().position(|s| *s > 0.999).unwrap();
        println!("seed {seed}: mean switch {mean_switch_secs:.1} s, everyone by {all_by} s");
        assert!(
            (28.0..=62.0).contains(&mean_switch_secs),
            "{mean_switch_secs}"
        );
        assert!(
            all_by <= 91,
            "everyone within the three intervals: {all_by}"
        );
        assert!(
            shares[29] < 0.6,
            "one refresh is not enough: {}",
            shares[29]
        );
        means.push(mean_switch_secs);
    }
    let mean = means.iter().sum::<f64>() / means.len() as f64;
    println!("mean switch over runs: {mean:.1} s");
    assert!((40.0..=100.0).contains(&mean), "{mean}");
}

#[test]
fn weights_split_traffic_between_clusters() {
    let (mut world, old, new) = with_new_cluster(FAST_ELB, false);
    world.set_weight(old, Some(9.0));
    world.set_weight(new, Some(1.0));
    world.run_until(at(180));
    let clusters = [old, new];
    let mean = (61..180)
        .map(|s| share(&world, new, &clusters, s))
        .sum::<f64>()
        / 119.0;
    assert!((mean - 0.1).abs() < 0.005, "10% to the new cluster: {mean}");

    // Each cluster's series carries its own latency: the new one is still warming up
    // (twice as slow at first, easing to 1× over 2 min), the old one is warm.
    let median = |c: ClusterId| {
        let series = &world.observations().clusters[cluster_index(c)];
        let mut merged = rollsim::stats::LatencyHistogram::default();
        for w in &series.windows
            [(61 - series.first_window as usize)..(100 - series.first_window as usize)]
        {
            merged.merge(&w.latency);
        }
        merged.quantile(0.5).unwrap().as_secs_f64()
    };
    let (old_p50, new_p50) = (median(old), median(new));
    assert!(
        new_p50 > 1.3 * old_p50,
        "warming cluster slower: {new_p50} vs {old_p50}"
    );
    let view = world.cluster_view(new);
    assert_eq!(view.version, 1);
    let last = world.observations().clusters[cluster_index(new)]
        .windows
        .last()
        .unwrap();
    assert_eq!(
        last.instances[3], 10,
        "ten in service: {:?}",
        last.instances
    );
}

const OUTAGE: &str = r#"
seed = 11
duration = "4m"
[traffic]
entry = "api"
rate = "1000/s"
[layers.api]
instances = 10
service_time = "exp(5ms)"
client = { retries = 0 }
BALANCER
[chaos]
zone_outages = [{ at = "60s", fraction = 0.3 }]
"#;

/// First and last second in which calls were refused.
fn refused_seconds(world: &World) -> (usize, usize) {
    let windows = &world.observations().layers[0];
    let refused: Vec<usize> = windows
        .iter()
        .enumerate()
        .filter(|(_, w)| w.failed[FailureCause::Refused.index()] > 0)
        .map(|(i, _)| i)
        .collect();
    (*refused.first().unwrap(), *refused.last().unwrap())
}

#[test]
fn an_elb_refuses_requests_to_dead_instances_until_its_health_checks_fail() {
    let mut world = world(&OUTAGE.replace(
        "BALANCER",
        r#"balancer = { kind = "elb", health_check_interval = "10s", unhealthy_threshold = 3 }"#,
    ));
    world.run();
    let (first, last) = refused_seconds(&world);
    assert_eq!(first, 60);
    // Detection takes a random first check within 10 s plus two more, 10 s apart.
    assert!((80..90).contains(&last), "refused until {last}");
}

#[test]
fn discovery_clients_reach_dead_instances_until_eviction_and_their_refresh() {
    let mut world = world(&OUTAGE.replace(
        "BALANCER",
        r#"balancer = { kind = "discovery", heartbeat_interval = "30s", eviction_timeout = "90s", refresh_interval = "30s", server_cache_interval = "0s", list_refresh_interval = "0s" }"#,
    ));
    world.run();
    let (first, last) = refused_seconds(&world);
    assert_eq!(first, 60);
    // Evicted 60–90 s after death (last heartbeat up to 30 s before it), then seen by
    // clients within one refresh: refusals end between 120 s and 180 s.
    assert!((120..181).contains(&last), "refused until {last}");
    let summary = world.summary();
    let refused = summary.layers[0].calls.failed[FailureCause::Refused.index()];
    assert!(
        refused > 1000,
        "a third of the traffic for a minute or more: {refused}"
    );
}

#[test]
fn timed_out_requests_are_still_served_by_the_server() {
    let mut world = world(
        r#"
        duration = "2m"
        [traffic]
        entry = "api"
        rate = "900/s"
        [layers.api]
        instances = 2
        workers = 4
        queue_capacity = 1000
        service_time = "exp(10ms)"
        client = { timeout = "50ms", retries = 0 }
        "#,
    );
    world.run();
    let api = &world.summary().layers[0];
    let timeouts = api.calls.failed[FailureCause::Timeout.index()];
    assert!(timeouts > 1000, "overloaded: {timeouts} timeouts");
    assert!(
        api.attempts.succeeded > api.calls.succeeded + timeouts / 2,
        "the servers finished work the callers had given up on: {} served, {} received",
        api.attempts.succeeded,
        api.calls.succeeded
    );
}

#[test]
fn the_autoscaler_follows_a_surge_out_and_back_in() {
    let mut world = world(
        r#"
        duration = "40m"
        [traffic]
        entry = "api"
        rate = "800/s"
        bursts = [{ at = "5m", duration = "15m", factor = 3.0 }]
        [layers.api]
        instances = 4
        service_time = "exp(20ms)"
        balancer = { kind = "elb", deregistration_delay = "30s" }
        launch_time = "det(20s)"
        boot_time = "det(40s)"
        autoscaler = { min = 2, max = 20, target_utilisation = 0.5, scale_out_cooldown = "2m", scale_in_cooldown = "3m" }
        "#,
    );
    world.run();
    let api = &world.summary().layers[0];
    // 800/s × 20 ms = 16 busy workers: 4 instances of 8 workers at 50%; 12 in the surge.
    let windows = &world.observations().layers[0];
    let alive = |s: usize| windows[s].instances.iter().sum::<u32>();
    println!(
        "instances at 4, 19, 39 min: {} {} {}",
        alive(240),
        alive(1140),
        alive(2339)
    );
    assert!(
        (3..=5).contains(&alive(240)),
        "sized for the load before the surge"
    );
    assert!(
        (11..=14).contains(&alive(1140)),
        "scaled out during the surge"
    );
    assert!((3..=5).contains(&alive(2339)), "scaled back in after it");
    assert!(api.instances_max <= 16, "no runaway: {}", api.instances_max);
}

#[test]
fn failed_launches_are_replaced_until_the_cluster_is_whole() {
    let mut world = world(
        r#"
        seed = 2
        duration = "20m"
        [traffic]
        entry = "api"
        rate = "100/s"
        [layers.api]
        instances = 10
        launch_failure_probability = 0.5
        launch_time = "det(10s)"
        boot_time = "det(20s)"
        [chaos]
        zone_outages = [{ at = "1m", fraction = 1.0 }]
        "#,
    );
    world.run_until(at(61));
    let api = world.layer_id("api").unwrap();
    assert_eq!(
        world.instances_in_state(api, rollsim::model::InstanceState::Launching),
        10
    );
    world.run();
    let view = world.cluster_view(world.clusters_of(api)[0]);
    assert_eq!(
        view.instances[2] + view.instances[3],
        10,
        "all serving: {view:?}"
    );
}

#[test]
fn a_herd_arrives_within_its_spread() {
    let mut world = world(
        r#"
        duration = "2m"
        [traffic]
        entry = "api"
        rate = "100/s"
        herds = [{ at = "60s", clients = 5000, spread = "10s" }]
        [layers.api]
        instances = 10
        workers = 32
        service_time = "exp(5ms)"
        "#,
    );
    world.run();
    let windows = &world.observations().layers[0];
    let issued = |range: std::ops::Range<usize>| {
        windows[range]
            .iter()
            .map(|w| u64::from(w.issued))
            .sum::<u64>()
    };
    let during = issued(60..70);
    let outside = issued(0..60) + issued(70..120);
    assert!(
        during.abs_diff(1000 + 5000) < 250,
        "herd plus base rate: {during}"
    );
    assert!(
        outside.abs_diff(11_000) < 500,
        "base rate elsewhere: {outside}"
    );
}

/// p99 latency of `layer`'s requests in seconds `from..to`.
fn p99_between(world: &World, layer: usize, from: usize, to: usize) -> SimDuration {
    let mut all = rollsim::stats::histogram::LatencyHistogram::default();
    for window in &world.observations().layers[layer][from..to] {
        all.merge(&window.latency);
    }
    all.quantile(0.99).expect("requests finished")
}

#[test]
fn least_outstanding_balances_old_and_new_clusters_as_one_pool() {
    // 40 single-worker instances at 85% load: one cluster of 40, or 20 old plus 20 new
    // behind the same balancer (no weights: one target group). A real balancer sees one
    // pool either way, so the latency is the same; picking a cluster first and then the
    // least loaded inside it would queue more (each half balanced on its own).
    for balancer in [
        r#"balancer = { kind = "elb", algorithm = "least-outstanding", health_check_interval = "1s", healthy_threshold = 2 }"#,
        r#"balancer = { kind = "discovery", algorithm = "least-outstanding", refresh_interval = "1s" }"#,
    ] {
        let model = |instances: u32| {
            format!(
                "seed = 5\nduration = \"4m\"\n[traffic]\nentry = \"api\"\nrate = \"3400/s\"\n\
                 [layers.api]\ninstances = {instances}\nworkers = 1\nqueue_capacity = 1000\n\
                 service_time = \"exp(10ms)\"\nlaunch_time = \"det(1s)\"\nboot_time = \"det(1s)\"\n\
                 warmup = \"0s\"\n{balancer}\n"
            )
        };
        let mut one = world(&model(40));
        one.run();
        // The same 40 instances, half of them a new cluster: launched beside the old
        // one, which then shrinks to 20 once the new one serves.
        let mut split = world(&model(40));
        let api = split.layer_id("api").unwrap();
        let old = split.clusters_of(api)[0];
        split.run_until(at(10));
        let version = split.add_release(api, &Default::default());
        split.launch_cluster(api, version, 20);
        split.run_until(at(40));
        split.resize_cluster(old, 20);
        split.run();
        let (whole, halves) = (
            p99_between(&one, 0, 90, 240),
            p99_between(&split, 0, 90, 240),
        );
        let ratio = halves.as_secs_f64() / whole.as_secs_f64();
        assert!(
            (0.97..1.03).contains(&ratio),
            "{balancer}: p99 {halves} split in two clusters, {whole} as one ({ratio:.3})"
        );
    }
}

/// 1 000 edge workers on `callers` instances call a discovery layer of ten single-worker
/// instances, one of them 4× slower, through client-side least outstanding requests.
fn one_slow_backend_behind_client_side_balancers(callers: u32) -> String {
    format!(
        r#"
name = "client-side"
seed = 4
duration = "5m"
[traffic]
entry = "edge"
rate = "600/s"
[layers.edge]
instances = {callers}
workers = {workers}
queue_capacity = 1000
service_time = "exp(1ms)"
calls = [{{ layer = "backend", count = 1 }}]
balancer = {{ kind = "elb" }}
client = {{ timeout = "60s", retries = 0 }}
[layers.backend]
instances = 10
workers = 1
queue_capacity = 100000
service_time = "exp(10ms)"
balancer = {{ kind = "discovery", algorithm = "least-outstanding", refresh_interval = "5s" }}
client = {{ timeout = "60s", retries = 0 }}
[chaos]
impairments = [{{ kind = "slowdown", factor = 4.0, share = 0.1, at = "0s", duration = "1h", layers = ["backend"] }}]
"#,
        workers = 1000 / callers
    )
}

#[test]
fn a_client_side_balancer_knows_only_its_own_outstanding_requests() {
    // One caller sees every request on the slow instance and steers around it; fifty
    // callers each see a fiftieth of them, so the slow instance keeps getting traffic
    // (as Ribbon's or Finagle's per-client counts would): the tail grows with callers.
    let p99 = |callers: u32| {
        let mut world = world(&one_slow_backend_behind_client_side_balancers(callers));
        world.run();
        let summary = world.summary();
        summary.layers[1].latency.quantile(0.99).unwrap()
    };
    let (one, two, fifty) = (p99(1), p99(2), p99(50));
    println!("backend p99 with 1, 2, 50 callers: {one:?}, {two:?}, {fifty:?}");
    assert!(one < two && two < fifty, "{one:?} {two:?} {fifty:?}");
    assert!(
        fifty.as_secs_f64() > 3.0 * one.as_secs_f64(),
        "{one:?} → {fifty:?}"
    );
}

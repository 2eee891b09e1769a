//! On steady models, every layer obeys Little's law (L = λW) and its utilisation is the
//! offered load: the world's bookkeeping of time on instances is consistent.

use std::path::Path;

use rollsim::model::{LayerSummary, World, WorldSummary};

/// Relative tolerance of every comparison here.
const TOLERANCE: f64 = 0.02;

/// One layer behind an ELB: 10 instances × 4 workers, exp(20ms), 1 400/s, so
/// ρ = 1400 × 0.02 / 40 = 0.7. No retries, no chaos, a timeout nobody reaches.
const SINGLE_LAYER: &str = r#"
name = "mmc"
seed = 11
duration = "30m"

[traffic]
entry = "edge"
rate = "1400/s"

[layers.edge]
instances = 10
workers = 4
queue_capacity = 1000
service_time = "exp(20ms)"
balancer = { kind = "elb" }
client = { timeout = "30s", retries = 0 }
"#;

/// Edge (ELB) → backend (discovery) behind a 50% cache; both layers near ρ = 0.5.
const TWO_LAYERS: &str = r#"
name = "chain"
seed = 12
duration = "10m"

[traffic]
entry = "edge"
rate = "800/s"

[layers.edge]
instances = 8
workers = 8
queue_capacity = 1000
service_time = "exp(10ms)"
calls = [{ layer = "backend", count = 2, cache = { hit_ratio = 0.5, warmup_requests = 100 } }]
balancer = { kind = "elb" }
client = { timeout = "30s", retries = 0 }

[layers.backend]
instances = 6
workers = 8
queue_capacity = 1000
service_time = "exp(30ms)"
balancer = { kind = "discovery", refresh_interval = "5s" }
client = { timeout = "30s", retries = 0 }
"#;

fn run(text: &str) -> WorldSummary {
    let scenario = rollsim::scenario::parse(text, Path::new("x.toml")).unwrap();
    let mut world = World::new(&scenario);
    let started = std::time::Instant::now();
    world.run();
    let summary = world.summary();
    println!(
        "{}: {} events in {:.2?}",
        summary.name,
        summary.events,
        started.elapsed()
    );
    summary
}

fn relative_error(simulated: f64, expected: f64) -> f64 {
    (simulated - expected).abs() / expected.abs()
}

/// L against λW for one layer, printed, within [`TOLERANCE`].
fn assert_littles_law(layer: &LayerSummary) {
    let l = layer.mean_in_system;
    let lambda_w = layer.arrival_rate_per_second * layer.mean_sojourn_secs;
    let error = relative_error(l, lambda_w);
    println!(
        "{}: L = {l:.4}, λ = {:.2}/s, W = {:.3} ms, λW = {lambda_w:.4} ({:+.3}%)",
        layer.name,
        layer.arrival_rate_per_second,
        layer.mean_sojourn_secs * 1e3,
        (l - lambda_w) / lambda_w * 100.0
    );
    assert!(l > 0.0, "{}: nothing on the instances", layer.name);
    assert!(
        error < TOLERANCE,
        "{}: L = {l} but λW = {lambda_w} ({:.2}% off)",
        layer.name,
        error * 100.0
    );
}

/// A steady model is clean: every call succeeded or is still in flight.
fn assert_no_failures(summary: &WorldSummary) {
    for layer in &summary.layers {
        assert_eq!(
            layer.calls.failed_total(),
            0,
            "{}: {:?}",
            layer.name,
            layer.calls
        );
        assert_eq!(layer.calls.retries, 0, "{}: {:?}", layer.name, layer.calls);
    }
}

#[test]
fn a_single_layer_obeys_littles_law_and_runs_at_the_offered_load() {
    let summary = run(SINGLE_LAYER);
    assert_no_failures(&summary);
    let edge = &summary.layers[0];
    assert_littles_law(edge);
    // λ·E[S] / (instances · workers) = 1400 × 0.02 / 40.
    let offered = 1400.0 * 0.020 / 40.0;
    println!(
        "{}: utilisation {:.4}, offered load {offered:.4} ({:+.3}%)",
        edge.name,
        edge.utilisation,
        (edge.utilisation - offered) / offered * 100.0
    );
    assert!(
        relative_error(edge.utilisation, offered) < TOLERANCE,
        "utilisation {} vs {offered}",
        edge.utilisation
    );
    assert!(
        relative_error(edge.arrival_rate_per_second, 1400.0) < TOLERANCE,
        "λ = {}",
        edge.arrival_rate_per_second
    );
}

#[test]
fn each_layer_of_a_chain_with_a_cache_obeys_littles_law() {
    let summary = run(TWO_LAYERS);
    assert_no_failures(&summary);
    assert_eq!(summary.layers.len(), 2);
    for layer in &summary.layers {
        assert_littles_law(layer);
    }
    // The cache halves the two calls per edge request: about one backend call each.
    let (edge, backend) = (&summary.layers[0], &summary.layers[1]);
    let calls_per_request = backend.calls.issued as f64 / edge.calls.issued as f64;
    assert!(
        relative_error(calls_per_request, 1.0) < TOLERANCE,
        "{calls_per_request} backend calls per edge request"
    );
    // An edge job holds its worker while it waits for the backend: it stays longer
    // than a backend job (its own 10 ms, plus the slowest of its cache misses).
    assert!(
        edge.mean_sojourn_secs > backend.mean_sojourn_secs,
        "edge W = {} s, backend W = {} s",
        edge.mean_sojourn_secs,
        backend.mean_sojourn_secs
    );
}

//! Scale: one layer of `n` instances × 8 workers (log-normal 20 ms service, 200
//! requests/s per instance: 50% busy) behind an ELB, 20 simulated seconds per
//! iteration, at n = 30, 300, 3 000 and 30 000, in fast mode and (up to 3 000) at
//! request level, side by side in one run.
//!
//! The fast mode's cost should follow its representatives (about 32 per cluster), not
//! the fleet: from 30 to 3 000 instances it should grow at most 2×, and at 3 000 it
//! should be at least 30× faster than request level. Throughput is reported in real
//! requests stood for per wall second.
//!
//! Run: `cargo bench --bench scale`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rollsim::model::World;
use rollsim::scenario::{self, Fidelity, Scenario};

/// Per-instance rate: half of 8 workers at 20 ms.
const RATE_PER_INSTANCE: u64 = 200;
const SIMULATED_SECONDS: u64 = 20;

fn one_layer(instances: u64, fidelity: Fidelity) -> Scenario {
    let text = format!(
        r#"
name = "one-layer-{instances}"
duration = "{SIMULATED_SECONDS}s"
[traffic]
entry = "api"
rate = "{rate}/s"
[layers.api]
instances = {instances}
workers = 8
service_time = "lognormal(mean=20ms, p99=80ms)"
balancer = {{ kind = "elb" }}
client = {{ timeout = "1s", retries = 1 }}
"#,
        rate = instances * RATE_PER_INSTANCE
    );
    let mut model = scenario::parse(&text, Path::new("scale.toml")).expect("a valid model");
    model.fidelity = fidelity;
    model
}

fn simulate(model: &Scenario) -> u64 {
    let mut world = World::new(model);
    world.run();
    world.summary().layers[0].calls.issued
}

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_layer_20s");
    group.sample_size(10);
    for instances in [30u64, 300, 3_000, 30_000] {
        let requests = instances * RATE_PER_INSTANCE * SIMULATED_SECONDS;
        group.throughput(Throughput::Elements(requests));
        let fast = one_layer(instances, Fidelity::Fast);
        group.bench_with_input(BenchmarkId::new("fast", instances), &fast, |b, model| {
            b.iter(|| black_box(simulate(model)))
        });
        if instances <= 3_000 {
            let exact = one_layer(instances, Fidelity::Exact);
            group.bench_with_input(
                BenchmarkId::new("request_level", instances),
                &exact,
                |b, model| b.iter(|| black_box(simulate(model))),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);

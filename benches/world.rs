//! World speed: `models/netflix-2011.toml` (three layers, 150 instances, 2 400
//! requests/s at the evening peak fanning out to ~6 000 calls/s, caches, retries,
//! Chaos Monkey), one simulated hour per iteration.
//!
//! Throughput is reported in simulated requests (calls at every layer) per wall
//! second by criterion; events per second, the engine's cost per event for
//! comparison, and memory (peak attempts in flight, the per-second series, the
//! process's peak resident set) are printed once before the measurement.
//!
//! Run: `cargo bench --bench world`; with std's `BinaryHeap` as the event queue
//! instead of the 4-ary heap: `cargo bench --bench world --features std-event-heap`
//! (the two compared in `src/engine/queue.rs`).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use rollsim::engine::SimDuration;
use rollsim::model::World;
use rollsim::scenario::overrides::Override;
use rollsim::scenario::{self, ModelText, Scenario};

/// The model, run for `duration`: set as `--set duration=…` sets it, whatever the file
/// writes, and checked, so the bench cannot silently run another length.
fn netflix(duration: &str) -> Scenario {
    let file = Path::new("models/netflix-2011.toml");
    let source = scenario::read(file).expect("run from the crate root");
    let set: Override = format!("duration={duration}")
        .parse()
        .expect("a valid --set");
    let sets = [set];
    let mut text = ModelText::parse(&source, file).expect("valid TOML");
    text.apply(&sets).expect("the model takes a duration");
    let model = text.check("with --set duration").expect("a valid model");
    let wanted: SimDuration = duration.parse().expect("a duration");
    assert_eq!(model.duration, wanted, "the bench runs what it says");
    model
}

fn simulate(model: &Scenario) -> World {
    let mut world = World::new(model);
    world.run();
    world
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One untimed-by-criterion pass per duration: events/s and what memory grows with.
fn describe(durations: &[&str]) -> u64 {
    let mut requests_per_hour = 0;
    for duration in durations {
        let model = netflix(duration);
        let started = Instant::now();
        let mut world = simulate(&model);
        let wall = started.elapsed().as_secs_f64();
        let summary = world.summary();
        let requests: u64 = summary.layers.iter().map(|l| l.calls.issued).sum();
        if *duration == "1h" {
            requests_per_hour = requests;
        }
        println!(
            "netflix-2011 {duration}: {:.2} M events, {:.2} M requests, {:.2} s wall: \
             {:.2} M events/s, {:.2} M requests/s; peak attempts on instances {}, \
             per-second series {:.1} MiB, peak RSS {} MiB",
            summary.events as f64 / 1e6,
            requests as f64 / 1e6,
            wall,
            summary.events as f64 / wall / 1e6,
            requests as f64 / wall / 1e6,
            summary.jobs_peak,
            world.observations().memory_bytes() as f64 / (1 << 20) as f64,
            peak_rss_kib().map_or(0, |k| k / 1024),
        );
    }
    requests_per_hour
}

fn world(c: &mut Criterion) {
    let requests = describe(&["15m", "1h"]);
    let model = netflix("1h");
    let mut group = c.benchmark_group("world_netflix_2011_1h");
    group.sample_size(10);
    // Seconds per iteration: one iteration per sample (linear sampling would run 55).
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(std::time::Duration::from_secs(60));
    group.throughput(Throughput::Elements(requests));
    group.bench_function("simulated_requests", |b| {
        b.iter(|| black_box(simulate(black_box(&model))).events_handled())
    });
    group.finish();
}

criterion_group!(benches, world);
criterion_main!(benches);

//! Impairments (`chaos.impairments`): capacity lost without instances dying. A CPU cut or
//! a blackhole is a classic trigger of metastable failure (Bronson et al., HotOS 2021):
//! at high load with immediate retries the system stays down after the trigger ends,
//! while below the retry threshold λ(1 + r) < μ, or with a retry budget, it recovers.
//! A slowdown of some instances raises the tail as queueing theory predicts for their
//! share of traffic; added latency reaches callers without taking workers.

mod common;

use std::path::Path;

use rollsim::model::World;
use rollsim::scenario;

const METASTABLE: &str = include_str!("../models/metastable.toml");
const OUTAGE: &str = r#"zone_outages = [{ at = "5m", fraction = 0.3, layers = ["api"] }]"#;

/// `models/metastable.toml` (10 × 8 workers at 40 ms: 2 000/s of capacity; callers time
/// out at 200 ms and retry three times at once) with `impairment` in place of its zone
/// outage and users sending `rate`.
fn metastable_with(impairment: &str, rate: &str) -> String {
    assert!(METASTABLE.contains(OUTAGE) && METASTABLE.contains(r#"rate = "1500/s""#));
    METASTABLE
        .replace(OUTAGE, &format!("impairments = [{impairment}]"))
        .replace(r#"rate = "1500/s""#, &format!("rate = {rate:?}"))
}

fn run(model: &str) -> World {
    let scenario =
        scenario::parse(model, Path::new("impaired.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut world = World::new(&scenario);
    world.run();
    world
}

const BLACKHOLE: &str = r#"{ kind = "blackhole", at = "5m", duration = "20s", layers = ["api"] }"#;
const CPU_CUT: &str =
    r#"{ kind = "cpu_cut", capacity = 0.6, at = "5m", duration = "60s", layers = ["api"] }"#;

#[test]
fn a_short_blackhole_at_high_load_with_immediate_retries_leaves_the_system_down() {
    // λ = 1 500/s: during the blackhole every attempt times out and is retried, so
    // attempts reach 4λ = 6 000/s, three times the capacity, when the hole closes.
    let world = run(&metastable_with(BLACKHOLE, "1500/s"));
    let before = common::success_ratio(&world, 60, 300);
    let during = common::success_ratio(&world, 301, 319);
    let long_after = common::success_ratio(&world, 900, 1200);
    println!("before {before:.4}, during {during:.4}, 10–15 min after {long_after:.4}");
    assert!(before > 0.99, "fine before: {before}");
    assert!(during < 0.01, "nothing gets through a blackhole: {during}");
    assert!(long_after < 0.5, "still down long after: {long_after}");
}

#[test]
fn the_same_blackhole_below_the_retry_threshold_recovers() {
    // λ = 400/s: even with every attempt retried, 4λ = 1 600/s < 2 000/s.
    let world = run(&metastable_with(BLACKHOLE, "400/s"));
    let during = common::success_ratio(&world, 301, 319);
    let after = common::success_ratio(&world, 360, 1200);
    println!("during {during:.4}, after {after:.4}");
    assert!(during < 0.01, "{during}");
    assert!(after > 0.999, "recovers once the hole closes: {after}");
}

#[test]
fn a_retry_budget_recovers_from_the_same_blackhole_at_high_load() {
    let model = metastable_with(BLACKHOLE, "1500/s").replace(
        r#"jitter = "none" }"#,
        r#"jitter = "none", retry_budget = 0.1 }"#,
    );
    assert!(model.contains("retry_budget"));
    let after = common::success_ratio(&run(&model), 360, 1200);
    println!("retry budget 10%: after {after:.4}");
    assert!(after > 0.99, "{after}");
}

#[test]
fn a_short_cpu_cut_at_high_load_leaves_the_system_down_and_recovers_below_the_threshold() {
    // At 60% of its CPU the layer runs at ρ = 0.75 / 0.6 = 1.25 for a minute.
    let high = run(&metastable_with(CPU_CUT, "1500/s"));
    let (before, long_after) = (
        common::success_ratio(&high, 60, 300),
        common::success_ratio(&high, 900, 1200),
    );
    // At 400/s the cut layer runs at ρ = 0.33: nothing to notice.
    let low = run(&metastable_with(CPU_CUT, "400/s"));
    let low_during = common::success_ratio(&low, 300, 360);
    println!("high: before {before:.4}, long after {long_after:.4}; low during {low_during:.4}");
    assert!(before > 0.99 && long_after < 0.5, "{before} {long_after}");
    assert!(low_during > 0.999, "{low_during}");
}

/// p99 of a mixture of exponential sojourn times: `Σ wᵢ e^{−rᵢ t} = 0.01`, by bisection.
fn mixture_p99_secs(parts: &[(f64, f64)]) -> f64 {
    let tail = |t: f64| parts.iter().map(|(w, r)| w * (-r * t).exp()).sum::<f64>();
    let (mut low, mut high) = (0.0, 100.0);
    for _ in 0..200 {
        let mid = (low + high) / 2.0;
        if tail(mid) > 0.01 {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}

/// M/M/1 queues at ρ = 0.3 behind a uniform pick, with `impairments`.
fn one_in_ten_slowed(instances: u32, fidelity: &str, impairments: &str) -> String {
    format!(
        r#"
name = "slowdown"
seed = 3
duration = "20m"
fidelity = "{fidelity}"
fast_representatives = 20
[traffic]
entry = "api"
rate = "{rate}/s"
[layers.api]
instances = {instances}
workers = 1
queue_capacity = 100000
service_time = "exp(10ms)"
balancer = {{ kind = "discovery", refresh_interval = "5s" }}
client = {{ timeout = "60s", retries = 0 }}
[chaos]
impairments = [{impairments}]
"#,
        rate = 30 * instances
    )
}

const ONE_IN_TEN_SLOWER: &str =
    r#"{ kind = "slowdown", factor = 2.0, share = 0.1, at = "0s", duration = "1h" }"#;

fn p99_secs(text: &str) -> f64 {
    let mut world = run(text);
    let summary = world.summary();
    summary.layers[0]
        .latency
        .quantile(0.99)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn a_slowdown_of_one_instance_in_ten_raises_p99_as_queueing_theory_predicts() {
    // Ten M/M/1 queues behind a uniform pick (discovery's rotation over a list): each
    // gets Poisson 30/s at μ = 100/s, so its sojourn is exponential with rate μ − λ.
    // One instance slowed 2× has μ = 50/s: sojourn rate 20/s, on 10% of the requests.
    let healthy = p99_secs(&one_in_ten_slowed(10, "exact", ""));
    let slowed = p99_secs(&one_in_ten_slowed(10, "exact", ONE_IN_TEN_SLOWER));
    let healthy_theory = mixture_p99_secs(&[(1.0, 70.0)]);
    let slowed_theory = mixture_p99_secs(&[(0.9, 70.0), (0.1, 20.0)]);
    println!(
        "p99 healthy {:.1} ms (theory {:.1}), one in ten 2× slower {:.1} ms (theory {:.1})",
        healthy * 1e3,
        healthy_theory * 1e3,
        slowed * 1e3,
        slowed_theory * 1e3
    );
    for (simulated, theory) in [(healthy, healthy_theory), (slowed, slowed_theory)] {
        assert!(
            (simulated / theory - 1.0).abs() < 0.05,
            "{simulated} vs {theory}"
        );
    }
    assert!(slowed > 1.5 * healthy, "the slow tenth dominates the tail");
}

#[test]
fn the_fast_mode_hits_its_representatives_in_the_fleet_s_proportion() {
    // 200 instances through 20 representatives: two of them slowed stand for the 20
    // slowed instances, so the tail is the same mixture as at request level.
    let slowed = p99_secs(&one_in_ten_slowed(200, "fast", ONE_IN_TEN_SLOWER));
    let theory = mixture_p99_secs(&[(0.9, 70.0), (0.1, 20.0)]);
    println!(
        "fast mode: p99 {:.1} ms (theory {:.1})",
        slowed * 1e3,
        theory * 1e3
    );
    assert!((slowed / theory - 1.0).abs() < 0.08, "{slowed} vs {theory}");
}

#[test]
fn added_latency_reaches_callers_without_taking_workers() {
    let model = |impairments: &str| {
        format!(
            r#"
name = "latency"
seed = 5
duration = "10m"
[traffic]
entry = "api"
rate = "500/s"
[layers.api]
instances = 5
workers = 4
queue_capacity = 1000
service_time = "exp(20ms)"
balancer = {{ kind = "elb", algorithm = "least-outstanding" }}
client = {{ timeout = "10s", retries = 0 }}
[chaos]
impairments = [{impairments}]
"#
        )
    };
    let summarize = |text: &str| {
        let mut world = run(text);
        let summary = world.summary();
        let layer = &summary.layers[0];
        (
            layer.latency.mean().unwrap().as_secs_f64(),
            layer.utilisation,
            layer.calls.succeeded,
        )
    };
    let (mean, busy, ok) = summarize(&model(""));
    let (mean_delayed, busy_delayed, ok_delayed) = summarize(&model(
        r#"{ kind = "latency", added = "100ms", at = "0s", duration = "1h", layers = ["api"] }"#,
    ));
    println!("mean {mean:.4} s → {mean_delayed:.4} s; utilisation {busy:.3} → {busy_delayed:.3}");
    assert!(
        (mean_delayed - mean - 0.100).abs() < 0.003,
        "callers wait 100 ms more: {mean} → {mean_delayed}"
    );
    assert!(
        (busy_delayed / busy - 1.0).abs() < 0.02,
        "workers are not held: {busy} → {busy_delayed}"
    );
    assert!((ok_delayed as f64 / ok as f64 - 1.0).abs() < 0.01);
}

#[test]
fn an_impairment_ends_when_it_says() {
    // A 30 s blackhole at low load: failures stop within one timeout of its end.
    let world = run(&metastable_with(
        r#"{ kind = "blackhole", at = "2m", duration = "30s" }"#,
        "400/s",
    ));
    let layer = &world.observations().layers[0];
    let failed_in = |s: usize| layer[s].failed.iter().map(|n| u64::from(*n)).sum::<u64>();
    assert_eq!(failed_in(119), 0, "nothing before");
    assert!(failed_in(125) > 0, "all lost during");
    assert!((152..200).all(|s| failed_in(s) == 0), "nothing after");
}

#[test]
fn check_describes_the_models_chaos() {
    let dir = std::env::temp_dir().join(format!("rollsim-check-chaos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cut.toml");
    std::fs::write(&file, metastable_with(CPU_CUT, "1500/s")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "chaos: cpu_cut to 60% of CPU on 100% of the instances of api, from 5m for 1m"
        ),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

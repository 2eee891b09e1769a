//! The fast mode (representatives + sampled requests, `model::fast`) against request
//! level, side by side on the same models and seeds: every DESIGN.md §2 metric and
//! every layer's availability, p50 and p99 agree (the fast mode's mean lies inside the
//! request-level 95% interval, or within 5% of its mean, whichever is wider); the
//! controller's decisions agree run by run; defective releases are caught in fast mode
//! exactly when they are at request level; metastable overload begins at the same load.
//!
//! The quick cases run with every `cargo test`; the heavy ones (hundreds of instances,
//! tens of millions of requests per request-level run) are `#[ignore]`d and run by
//! `.ci/run`.

use std::path::Path;

use rollsim::metrics::Slo;
use rollsim::model::World;
use rollsim::rehearsal::metrics::rollout_metrics;
use rollsim::rehearsal::rehearse_with_baseline;
use rollsim::rollout::Outcome;
use rollsim::scenario::{self, Fidelity, Scenario, rollout::Strategy};
use rollsim::stats::special::student_t_975;

/// One run's measurements, by name, and each rollout's outcome.
struct Sample {
    values: Vec<(String, Option<f64>)>,
    outcomes: Vec<Outcome>,
}

fn secs(d: Option<rollsim::engine::SimDuration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

/// Rehearses `model` with `seed` in `fidelity`, beside its no-rollout baseline.
fn measure(model: &Scenario, fidelity: Fidelity, seed: u64) -> Sample {
    let mut model = model.clone();
    model.fidelity = fidelity;
    model.seed = seed;
    let (rehearsal, baseline) = rehearse_with_baseline(&model);
    let mut world = rehearsal.world;
    let slo = Slo::of(&model);
    let mut values = Vec::new();
    let mut outcomes = Vec::new();
    for record in &rehearsal.records {
        let m = rollout_metrics(&world, &baseline, record, slo);
        let name = |metric: &str| format!("{}.{metric}", m.layer);
        outcomes.push(m.outcome);
        values.extend([
            (name("peak_instances_ratio"), Some(m.peak_instances_ratio)),
            (name("extra_instance_hours"), Some(m.extra_instance_hours)),
            (name("min_serving_ratio"), Some(m.min_serving_ratio)),
            (name("switch_latency_s"), secs(m.switch_latency)),
            (name("rollout_duration_s"), secs(m.rollout_duration)),
            (name("detection_time_s"), secs(m.detection_time)),
            (name("restore_time_s"), secs(m.restore_time)),
            (name("failed_requests"), Some(m.failed_requests as f64)),
            (
                name("new_version_requests"),
                Some(m.new_version_requests as f64),
            ),
            (name("downstream_rate_ratio"), m.downstream_rate_ratio),
            (name("availability"), Some(m.availability)),
            (name("latency_p50_s"), secs(m.latency_p50)),
            (name("latency_p99_s"), secs(m.latency_p99)),
        ]);
    }
    for layer in world.summary().layers {
        values.extend([
            (
                format!("layer {}.availability", layer.name),
                Some(layer.success_ratio()),
            ),
            (
                format!("layer {}.p50_s", layer.name),
                secs(layer.latency.quantile(0.5)),
            ),
            (
                format!("layer {}.p99_s", layer.name),
                secs(layer.latency.quantile(0.99)),
            ),
        ]);
    }
    Sample { values, outcomes }
}

/// Mean and 95% half-width (Student's t) of `values`.
fn interval(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, f64::INFINITY);
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = student_t_975(values.len() as u64 - 1);
    (mean, t * (variance / n).sqrt())
}

/// Fast runs per request-level run: the fast mode is cheap, and a count it scales from
/// sampled requests (failures from Chaos Monkey's rare kills) varies `m` times more than
/// a real fleet's, so its mean is taken over more seeds.
const FAST_RUNS_PER_EXACT: u64 = 3;

/// Runs `model` with `seeds` at request level, and with `FAST_RUNS_PER_EXACT` times as
/// many seeds (the same first ones) in fast mode, and checks that they agree: every
/// metric's fast mean within the request-level 95% interval or 5% of its mean, and the
/// decisions of the paired runs (same seed) in at least 95% of pairs.
fn assert_modes_agree(label: &str, model: &Scenario, seeds: std::ops::Range<u64>) {
    let exact: Vec<Sample> = seeds
        .clone()
        .map(|s| measure(model, Fidelity::Exact, s))
        .collect();
    let fast_seeds = seeds.start..seeds.start + (seeds.end - seeds.start) * FAST_RUNS_PER_EXACT;
    let fast: Vec<Sample> = fast_seeds
        .map(|s| measure(model, Fidelity::Fast, s))
        .collect();
    let mut report = format!(
        "{label}: metric, request level mean ± 95% ({} runs), fast mean ({} runs)\n",
        exact.len(),
        fast.len()
    );
    let mut failures = Vec::new();
    for (k, (name, _)) in exact[0].values.iter().enumerate() {
        let column =
            |runs: &[Sample]| -> Vec<f64> { runs.iter().filter_map(|r| r.values[k].1).collect() };
        let (e, f) = (column(&exact), column(&fast));
        // A metric present in fewer than half the runs of either mode (a restore time
        // of a rollout that is rarely rolled back) has no mean worth comparing; its
        // presence is the decision, checked below.
        if e.len() * 2 < exact.len() || f.len() * 2 < fast.len() {
            continue;
        }
        let (mean_exact, half_width) = interval(&e);
        let (mean_fast, half_width_fast) = interval(&f);
        // A count the fast mode scales from sampled requests varies more from run to run
        // (Chaos Monkey's rare kills, × m): its mean is compared with the request-level
        // one by the 95% interval of their difference too (Welch), not only by the
        // request-level interval, which ignores the fast mean's own uncertainty.
        let standard_error = |half: f64, n: usize| {
            if n < 2 {
                f64::INFINITY
            } else {
                half / student_t_975(n as u64 - 1)
            }
        };
        let difference = 1.96
            * (standard_error(half_width, e.len()).powi(2)
                + standard_error(half_width_fast, f.len()).powi(2))
            .sqrt();
        let allowed = half_width.max(0.05 * mean_exact.abs()).max(difference);
        // The first fast runs use the request-level runs' seeds: where a metric's spread
        // is mostly between seeds (discovery's registry cache phase, one per run, sets
        // the switch latency), the paired differences see through it.
        let paired: Vec<f64> = exact
            .iter()
            .zip(&fast)
            .filter_map(|(e, f)| Some(f.values[k].1? - e.values[k].1?))
            .collect();
        let paired_ok = paired.len() >= 2 && {
            let (mean_difference, half_difference) = interval(&paired);
            mean_difference.abs() <= half_difference.max(0.05 * mean_exact.abs())
        };
        let ok = (mean_fast - mean_exact).abs() <= allowed || paired_ok;
        report.push_str(&format!(
            "  {name:<40} {mean_exact:>14.4} ± {half_width:<12.4} {mean_fast:>14.4} {}\n",
            if ok { "" } else { "  <-- differs" }
        ));
        if !ok {
            failures.push(name.clone());
        }
    }
    let pairs = exact.len() * exact[0].outcomes.len();
    let agreeing: usize = exact
        .iter()
        .zip(&fast)
        .map(|(e, f)| {
            e.outcomes
                .iter()
                .zip(&f.outcomes)
                .filter(|(a, b)| a == b)
                .count()
        })
        .sum();
    report.push_str(&format!(
        "  decisions agree in {agreeing} of {pairs} paired runs\n"
    ));
    // Where request level's own decision is a matter of chance (a healthy release judged
    // on the edge of a threshold), no other simulation can agree with it run by run: the
    // fast mode must then roll back as often, within the request-level share's 95%
    // (Wilson) interval.
    let mut shares_agree = true;
    for k in 0..exact[0].outcomes.len() {
        let share = |runs: &[Sample]| {
            runs.iter()
                .filter(|r| r.outcomes[k] == Outcome::RolledBack)
                .count() as f64
                / runs.len() as f64
        };
        let (e, f) = (share(&exact), share(&fast));
        let (low, high) = wilson(e, exact.len() as f64);
        let inside = f >= low - 1e-9 && f <= high + 1e-9;
        shares_agree &= inside;
        report.push_str(&format!(
            "  rollout {k}: rolled back in {:.0}% of request-level runs (95%: {:.0}–{:.0}%), {:.0}% of fast runs{}\n",
            100.0 * e,
            100.0 * low,
            100.0 * high,
            100.0 * f,
            if inside { "" } else { "  <-- differs" }
        ));
    }
    eprintln!("{report}");
    assert!(failures.is_empty(), "{report}\ndiffering: {failures:?}");
    assert!(
        agreeing as f64 >= 0.95 * pairs as f64 || shares_agree,
        "{report}\ndecisions agree in only {agreeing} of {pairs}, and the rollback shares differ"
    );
}

/// The 95% Wilson score interval of a share `p` observed over `n` runs.
fn wilson(p: f64, n: f64) -> (f64, f64) {
    let z = 1.959_963_984_540_054_f64;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn model(text: &str) -> Scenario {
    scenario::parse(text, Path::new("test.toml")).expect("a valid model")
}

fn with_strategy(model: &Scenario, strategy: Strategy) -> Scenario {
    let mut model = model.clone();
    for rollout in &mut model.rollouts {
        rollout.strategy = strategy;
    }
    model
}

fn load(path: &str) -> Scenario {
    scenario::load(Path::new(path)).expect("a committed model")
}

#[test]
fn quickstart_in_fast_mode_agrees_with_request_level() {
    // One representative per cluster of 4: every simulated request stands for 4, the
    // hardest case for the sampling (new clusters, discovery views, background load).
    let mut quickstart = load("models/quickstart.toml");
    quickstart.fast_representatives = Some(1);
    for strategy in [Strategy::RedBlack, Strategy::Rolling] {
        assert_modes_agree(
            &format!("quickstart, {strategy}, 1 representative per cluster"),
            &with_strategy(&quickstart, strategy),
            1..11,
        );
    }
}

#[test]
fn fast_mode_is_chosen_for_big_fleets_and_said_in_the_output() {
    let small = load("models/quickstart.toml");
    assert_eq!(World::new(&small).fidelity(), Fidelity::Exact);
    let mut big = small.clone();
    big.layers.get_mut("edge").expect("edge").instances = 640;
    let world = World::new(&big);
    assert_eq!(world.fidelity(), Fidelity::Fast);
    assert_eq!(world.sampling_step(), 640 / 32);
    big.fidelity = Fidelity::Exact;
    assert_eq!(World::new(&big).fidelity(), Fidelity::Exact);

    let run = |extra: &[&str]| {
        let output = assert_cmd::Command::cargo_bin("rollsim")
            .expect("binary")
            .args(["run", "models/quickstart.toml", "--set", "duration=3m"])
            .args(extra)
            .output()
            .expect("runs");
        assert!(output.status.success());
        String::from_utf8(output.stdout).expect("utf-8")
    };
    assert!(run(&[]).lines().next().unwrap().contains("request level"));
    let fast = run(&["--fast", "--set", "fast_representatives=2"]);
    assert!(
        fast.lines()
            .next()
            .unwrap()
            .contains("fast mode (each simulated request stands for 2)"),
        "{fast}"
    );
    let json = run(&["--fast", "--set", "fast_representatives=2", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value["world"]["fidelity"], "fast");
    assert_eq!(value["world"]["sampling_step"], 2);
}

#[test]
fn fast_runs_are_byte_identical_for_the_same_seed() {
    let run = || {
        let output = assert_cmd::Command::cargo_bin("rollsim")
            .expect("binary")
            .args([
                "run",
                "models/quickstart.toml",
                "--fast",
                "--set",
                "fast_representatives=1",
                "--json",
            ])
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .expect("runs");
        assert!(output.status.success());
        output.stdout
    };
    assert_eq!(run(), run());
}

/// One layer of 300 instances × 8 workers (capacity 400 requests/s each) behind an ELB,
/// at `load` of capacity, rolled out by `strategy`, with `release`.
fn api_300(load: f64, release: &str) -> Scenario {
    let rate = 300.0 * 400.0 * load;
    model(&format!(
        r#"
name = "api-300"
duration = "12m"
[traffic]
entry = "api"
rate = "{rate}/s"
[layers.api]
instances = 300
workers = 8
service_time = "lognormal(mean=20ms, p99=80ms)"
launch_time = "det(20s)"
boot_time = "det(30s)"
warmup = "1m"
balancer = {{ kind = "elb", deregistration_delay = "30s" }}
client = {{ timeout = "1s", retries = 1 }}
[[rollouts]]
layer = "api"
start = "1m"
strategy = "red-black"
red_black = {{ canary = {{ instances = 1, duration = "2m" }}, bake = "2m", cleanup = "destroy" }}
rolling = {{ max_surge = "25%", max_unavailable = "25%" }}
analysis = {{ interval = "30s", delay = "1m", max_latency_p99_ratio = 2.5 }}
release = {{ {release} }}
"#
    ))
}

#[test]
#[ignore = "heavy: 300 instances at up to 96 000 requests/s, 40 request-level runs; run by .ci/run"]
fn one_layer_of_300_agrees_at_50_and_80_percent_load() {
    for load in [0.5, 0.8] {
        for strategy in [Strategy::RedBlack, Strategy::Rolling] {
            assert_modes_agree(
                &format!("300 instances at {load} load, {strategy}"),
                &with_strategy(&api_300(load, ""), strategy),
                1..11,
            );
        }
    }
}

#[test]
#[ignore = "heavy: 20 request-level runs of 300 instances; run by .ci/run"]
fn defective_releases_are_caught_in_fast_mode_exactly_when_at_request_level() {
    for release in ["error_rate = 0.05", "latency_factor = 3.0"] {
        let model = api_300(0.5, release);
        for seed in 1..11 {
            let exact = measure(&model, Fidelity::Exact, seed);
            let fast = measure(&model, Fidelity::Fast, seed);
            assert_eq!(
                exact.outcomes, fast.outcomes,
                "{release}, seed {seed}: request level {:?}, fast {:?}",
                exact.outcomes, fast.outcomes
            );
            assert!(
                exact.outcomes.iter().all(|o| *o == Outcome::RolledBack),
                "{release}, seed {seed}: the defect is caught at request level"
            );
        }
    }
}

/// netflix-2011 with 8 representatives for its largest layer (24 instances): one
/// simulated request stands for 3 (edge 7 representatives of 20, middle 8 of 24,
/// backend 2 of 6).
fn netflix_fast(strategy: Strategy) -> Scenario {
    let mut netflix = load("models/netflix-2011.toml");
    netflix.fast_representatives = Some(8);
    with_strategy(&netflix, strategy)
}

#[test]
#[ignore = "heavy: netflix-2011 for an hour, 20 request-level runs; run by .ci/run"]
fn netflix_2011_red_black_in_fast_mode_agrees_with_request_level() {
    let model = netflix_fast(Strategy::RedBlack);
    assert_modes_agree("netflix-2011, red-black, m = 3", &model, 1..11);
}

/// A known gap, kept as a test (skipped by `.ci/run`, issue 13 open): rolling on
/// netflix-2011 is judged on the edge of the p99 threshold while new instances warm up.
/// Healthy releases are rolled back in 90% of request-level runs for both layers and in
/// 80% and 70% of fast runs (inside the Wilson intervals of 10 runs), the backend's
/// detection and restore agree, but the middle's switch latency (24.5 ± 1.4 s → 27.7 s),
/// its cold-cache herd (1.17 ± 0.02 → 1.25) and the entry p99 during the rollout
/// (1.15 → 1.21 s) differ.
#[test]
#[ignore = "known gap of the fast mode (issue 13): run with --ignored to see it"]
fn netflix_2011_rolling_in_fast_mode_agrees_with_request_level() {
    let model = netflix_fast(Strategy::Rolling);
    assert_modes_agree("netflix-2011, rolling, m = 3", &model, 1..11);
}

/// `models/metastable.toml` at ten times its size (100 instances), at `load` of its
/// capacity: the success ratio of its last five minutes.
fn metastable_end_success(load: f64, fidelity: Fidelity, seed: u64) -> f64 {
    let mut model = load_model_text(
        &std::fs::read_to_string("models/metastable.toml")
            .expect("a committed model")
            .replace("instances = 10", "instances = 100")
            .replace(
                "rate = \"1500/s\"",
                &format!("rate = \"{}/s\"", 20_000.0 * load),
            ),
    );
    model.fidelity = fidelity;
    model.fast_representatives = Some(10);
    model.seed = seed;
    let mut world = World::new(&model);
    world.run();
    let windows = &world.observations().layers[0];
    let last = &windows[windows.len() - 300..windows.len()];
    let succeeded: u64 = last.iter().map(|w| u64::from(w.succeeded)).sum();
    let failed: u64 = last
        .iter()
        .map(|w| w.failed.iter().map(|&f| u64::from(f)).sum::<u64>())
        .sum();
    succeeded as f64 / (succeeded + failed).max(1) as f64
}

fn load_model_text(text: &str) -> Scenario {
    scenario::parse(text, Path::new("models/metastable.toml")).expect("a valid model")
}

#[test]
#[ignore = "heavy: 14 request-level runs of a metastable system at 100 instances; run by .ci/run"]
fn metastable_onset_load_agrees_within_five_percent() {
    use rayon::prelude::*;
    // The lowest load (of capacity) at which the system is still down five to ten
    // minutes after the capacity dip, found on a 3% grid, in each mode.
    let loads = [0.59, 0.62, 0.65, 0.68, 0.71, 0.74, 0.77, 0.80];
    let onset = |fidelity: Fidelity| -> (Option<f64>, Vec<f64>) {
        let ends: Vec<f64> = loads
            .par_iter()
            .map(|&load| {
                (1..3)
                    .map(|seed| metastable_end_success(load, fidelity, seed))
                    .sum::<f64>()
                    / 2.0
            })
            .collect();
        let first_down = loads
            .iter()
            .zip(&ends)
            .find(|(_, end)| **end < 0.5)
            .map(|(load, _)| *load);
        (first_down, ends)
    };
    let (exact, exact_ends) = onset(Fidelity::Exact);
    let (fast, fast_ends) = onset(Fidelity::Fast);
    let report = format!(
        "loads {loads:?}\nrequest level end success {exact_ends:.3?} → onset {exact:?}\n\
         fast end success {fast_ends:.3?} → onset {fast:?}"
    );
    eprintln!("{report}");
    let exact = exact.expect("the system stays down at some load of the grid");
    let fast = fast.expect("so does the fast mode");
    assert!((fast - exact).abs() <= 0.05 * exact, "{report}");
}

//! Quiet clusters and thinned calls (`model::quiet`) against the fast mode they
//! shortcut, where every representative carries a whole instance's load through
//! background arrivals and every sampled call is made (`fast_quiet_busy = 0`), side
//! by side on the same seeds: on the 32-service model at its evening peak, every
//! layer's availability, mean, p50 and p99 latency and busy workers agree (the quiet
//! mean within the background mode's 95% interval or 5% of its mean, whichever is
//! wider), and so do a rollout's decisions and the failures a defective release
//! causes at the entry. The fast mode itself is held to request level in
//! `fast_mode_agrees_with_request_level.rs`.

use std::path::Path;

use rollsim::metrics::Slo;
use rollsim::rehearsal::metrics::rollout_metrics;
use rollsim::rehearsal::rehearse_with_baseline;
use rollsim::rollout::Outcome;
use rollsim::scenario::{self, Scenario};
use rollsim::stats::special::student_t_975;

/// One run: values by name, each rollout's outcome, and the simulated events.
struct Sample {
    values: Vec<(String, f64)>,
    outcomes: Vec<Outcome>,
    events: u64,
}

fn measure(model: &Scenario, quiet: bool, seed: u64) -> Sample {
    let mut model = model.clone();
    model.seed = seed;
    model.fast_quiet_busy = Some(if quiet { 0.6 } else { 0.0 });
    model.fast_thinning = quiet;
    let (rehearsal, baseline) = rehearse_with_baseline(&model);
    let mut world = rehearsal.world;
    let slo = Slo::of(&model);
    let mut values = Vec::new();
    let mut outcomes = Vec::new();
    for record in &rehearsal.records {
        let m = rollout_metrics(&world, &baseline, record, slo);
        outcomes.push(m.outcome);
        values.push((
            format!("{}.failed_requests", m.layer),
            m.failed_requests as f64,
        ));
    }
    let summary = world.summary();
    for layer in &summary.layers {
        let ms = |d: Option<rollsim::engine::SimDuration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
        values.extend([
            (
                format!("{} availability", layer.name),
                layer.success_ratio(),
            ),
            (
                format!("{} p50 ms", layer.name),
                ms(layer.latency.quantile(0.5)),
            ),
            (
                format!("{} p99 ms", layer.name),
                ms(layer.latency.quantile(0.99)),
            ),
            (
                format!("{} mean ms", layer.name),
                layer.latency.mean().map_or(0.0, |d| d.as_secs_f64() * 1e3),
            ),
            (format!("{} busy", layer.name), layer.utilisation),
        ]);
    }
    Sample {
        values,
        outcomes,
        events: summary.events,
    }
}

fn interval(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (
        mean,
        student_t_975(values.len() as u64 - 1) * (variance / n).sqrt(),
    )
}

/// Runs `model` with and without quiet clusters on `seeds` and checks that they agree;
/// returns the events each simulated, summed over the seeds.
fn assert_quiet_agrees(label: &str, model: &Scenario, seeds: std::ops::Range<u64>) -> (u64, u64) {
    let loaded: Vec<Sample> = seeds.clone().map(|s| measure(model, false, s)).collect();
    let quiet: Vec<Sample> = seeds.map(|s| measure(model, true, s)).collect();
    let mut report = format!("{label}: value, background load mean ± 95%, quiet mean\n");
    let mut failures = Vec::new();
    for (k, (name, _)) in loaded[0].values.iter().enumerate() {
        let column = |runs: &[Sample]| -> Vec<f64> { runs.iter().map(|r| r.values[k].1).collect() };
        let (mean_loaded, half) = interval(&column(&loaded));
        let (mean_quiet, half_quiet) = interval(&column(&quiet));
        // Both means vary from run to run: the interval of their difference (Welch),
        // or 5% of the reference, whichever is wider.
        let t = student_t_975(loaded.len() as u64 - 1);
        let difference = ((half / t).powi(2) + (half_quiet / t).powi(2)).sqrt() * 1.96;
        let allowed = half.max(difference).max(0.05 * mean_loaded.abs());
        let ok = (mean_quiet - mean_loaded).abs() <= allowed;
        report.push_str(&format!(
            "  {name:<32} {mean_loaded:>12.4} ± {half:<10.4} {mean_quiet:>12.4}{}\n",
            if ok { "" } else { "  <-- differs" }
        ));
        if !ok {
            failures.push(name.clone());
        }
    }
    let decisions = |runs: &[Sample]| -> Vec<Vec<Outcome>> {
        runs.iter().map(|r| r.outcomes.clone()).collect()
    };
    let events = |runs: &[Sample]| runs.iter().map(|r| r.events).sum::<u64>();
    let (events_loaded, events_quiet) = (events(&loaded), events(&quiet));
    report.push_str(&format!(
        "  events: {events_loaded} with background load, {events_quiet} quiet\n"
    ));
    eprintln!("{report}");
    assert!(failures.is_empty(), "{report}\ndiffering: {failures:?}");
    assert_eq!(decisions(&loaded), decisions(&quiet), "{report}");
    (events_loaded, events_quiet)
}

/// The 32-service model from 19:40 on Monday (the evening peak is at 20:00).
fn services_at_peak(minutes: u32, rollout: &str) -> Scenario {
    let mut text = std::fs::read_to_string("models/services-32.toml").expect("committed");
    text = text.replace("duration = \"1d\"", &format!("duration = \"{minutes}m\""));
    text = text.replace("start = 0 }", "start = 19.67 }");
    text.push_str(rollout);
    scenario::parse(&text, Path::new("services-32.toml")).expect("a valid model")
}

#[test]
fn quiet_services_agree_with_fully_loaded_representatives_at_the_evening_peak() {
    let model = services_at_peak(12, "");
    let (loaded, quiet) = assert_quiet_agrees("services-32, 12 min at the peak", &model, 1..5);
    assert!(
        quiet * 3 < loaded * 2,
        "quiet clusters should save work: {quiet} events vs {loaded}"
    );
}

#[test]
#[ignore = "heavy: the 32-service model with rollouts, 4 × 5 runs of 80 minutes; run by .ci/run"]
fn rollouts_in_a_quiet_service_graph_decide_and_fail_as_with_fully_loaded_representatives() {
    // A red/black with a 10-minute bake is over (old cluster torn down) by 80 minutes.
    let healthy = services_at_peak(
        80,
        r#"
[[rollouts]]
layer = "api-05"
strategy = "red-black"
start = "2m"
red_black = { bake = "10m" }
"#,
    );
    assert_quiet_agrees("services-32, red/black of api-05", &healthy, 1..6);
    let defective = services_at_peak(
        80,
        r#"
[[rollouts]]
layer = "data-02"
strategy = "red-black"
start = "2m"
red_black = { bake = "10m" }
release = { error_rate = 0.05 }
"#,
    );
    assert_quiet_agrees(
        "services-32, defective red/black of data-02",
        &defective,
        1..6,
    );
}

//! `plan canary` measures a canary's power by rehearsing it: for a threshold judge on
//! an error-rate regression that power is a binomial tail, which the rehearsals must
//! reproduce; more traffic and longer canaries must not lower it (for a regression
//! over the judge's limit); and with background noise a healthy release is failed at a
//! measured rate, held to the bound for the canary recommended.

use std::path::Path;

use rollsim::engine::SimDuration;
use rollsim::plan::canary::power::Targets;
use rollsim::plan::canary::regression::Regression;
use rollsim::plan::canary::{CanaryPlan, CanaryQuestion, JudgeChoice, plan_canary};
use rollsim::scenario::Scenario;

/// One layer of 4 instances; a canary of 1 takes a quarter of `rate`; the judge checks
/// every 6 s, fails a check over a 1.2% error rate, and aborts at the first failure.
fn model(rate: u32, noise: Option<f64>) -> Scenario {
    let noise = noise.map_or(String::new(), |p| {
        format!("noise = {{ error_rate = {p} }}\n")
    });
    let text = format!(
        r#"
name = "canary-binomial"
seed = 1
duration = "10m"
[traffic]
entry = "api"
rate = "{rate}/s"
[layers.api]
instances = 4
workers = 8
service_time = "exp(5ms)"
boot_time = "1s"
{noise}
[[rollouts]]
layer = "api"
start = "10s"
strategy = "canary"
analysis = {{ interval = "6s", delay = "0s", failure_limit = 1, min_requests = 1, max_error_rate = 0.012, max_error_rate_increase = 1.0, max_latency_p99_ratio = 100.0, sample_interval = "1s" }}
"#
    );
    rollsim::scenario::parse(&text, Path::new("canary-binomial.toml")).expect("a valid model")
}

fn question(
    model: &Scenario,
    regression: Regression,
    durations_s: &[u64],
    runs: usize,
    targets: Targets,
) -> CanaryQuestion {
    let analysis = model.rollouts[0].analysis.clone();
    CanaryQuestion {
        layer: "api".into(),
        regressions: vec![regression],
        instances: vec![1],
        durations: durations_s
            .iter()
            .map(|s| SimDuration::from_secs(*s))
            .collect(),
        judges: vec![JudgeChoice::named(analysis.clone())],
        own_analysis: Some(analysis),
        targets,
        runs,
        first_batch: runs,
        seed: 1,
    }
}

const ANYTHING: Targets = Targets {
    power: 0.0,
    false_alarm: 1.0,
};

/// P(X > limit × n) for X ~ Binomial(n, p).
fn binomial_tail_over(n: u64, p: f64, limit: f64) -> f64 {
    let most_passing = (limit * n as f64).floor() as u64;
    let mut pmf = (1.0 - p).powf(n as f64);
    let mut below = 0.0;
    for k in 0..=most_passing {
        below += pmf;
        pmf *= (n - k) as f64 / (k + 1) as f64 * p / (1.0 - p);
    }
    1.0 - below
}

/// The same tail over the sample sizes a check gets: requests arriving at the canary
/// in 6 s are Poisson with mean `n` (a split of Poisson arrivals), and the limit's
/// integer part moves with them (at n = 600 a check fails from 8 errors, at 583 from 7).
fn binomial_tail_over_poisson_sizes(n: u64, p: f64, limit: f64) -> f64 {
    let mean = n as f64;
    let spread = (6.0 * mean.sqrt()) as u64;
    let ln_pmf = |k: u64| {
        let k = k as f64;
        k * mean.ln() - mean - (1..=k as u64).map(|i| (i as f64).ln()).sum::<f64>()
    };
    (n.saturating_sub(spread).max(1)..=n + spread)
        .map(|size| ln_pmf(size).exp() * binomial_tail_over(size, p, limit))
        .sum()
}

/// Requests the canary serves in one 6 s check, from the plan's healthy rehearsals.
fn per_check(plan: &CanaryPlan, candidate: usize) -> u64 {
    let c = &plan.candidates[candidate];
    let checks = c.duration.as_secs_f64() / 6.0;
    (c.new_version_requests / checks).round() as u64
}

fn within(share: &rollsim::plan::canary::power::Share, expected: f64) -> bool {
    share.ci95.0 <= expected && expected <= share.ci95.1
}

#[test]
fn threshold_power_on_an_error_regression_is_the_binomial_tail() {
    let model = model(400, None);
    let plan = plan_canary(
        &model,
        &question(&model, Regression::Errors(1.0), &[6, 12], 200, ANYTHING),
        &|| {},
    );
    assert_eq!(plan.candidates.len(), 2);
    let n = per_check(&plan, 0);
    assert!((550..=650).contains(&n), "a quarter of 400/s for 6 s: {n}");
    let q = binomial_tail_over_poisson_sizes(n, 0.01, 0.012);
    // One check: caught when it fails. Two: when either does (the first failure aborts).
    for (candidate, expected) in [(0, q), (1, 1.0 - (1.0 - q) * (1.0 - q))] {
        let caught = &plan.candidates[candidate].regressions[0].caught;
        eprintln!("caught {caught:?}, binomial {expected:.3} (n = {n})");
        assert_eq!(caught.runs, 200);
        assert!(
            within(caught, expected),
            "{caught:?} against the binomial {expected:.3} (n = {n})"
        );
    }
    // Without noise a healthy release fails no check.
    assert!(plan.candidates.iter().all(|c| c.false_alarms.hits == 0));
}

#[test]
fn more_traffic_or_a_longer_canary_never_lowers_the_power() {
    let durations = [6, 12, 18, 24];
    let powers = |rate| {
        let model = model(rate, None);
        let plan = plan_canary(
            &model,
            &question(&model, Regression::Errors(1.6), &durations, 60, ANYTHING),
            &|| {},
        );
        plan.candidates
            .iter()
            .map(|c| c.regressions[0].caught)
            .collect::<Vec<_>>()
    };
    let (low, high) = (powers(200), powers(600));
    for shares in [&low, &high] {
        for pair in shares.windows(2) {
            assert!(
                pair[1].share >= pair[0].ci95.0,
                "longer canary lowered power: {pair:?}"
            );
        }
    }
    for (less, more) in low.iter().zip(&high) {
        assert!(
            more.share >= less.ci95.0,
            "more traffic lowered power: {less:?} → {more:?}"
        );
    }
    assert!(
        high[0].share > low[0].share,
        "three times the sample catches more: {low:?} {high:?}"
    );
}

#[test]
fn with_background_noise_false_alarms_are_measured_and_held_to_the_bound() {
    let model = model(400, Some(0.008));
    let targets = Targets {
        power: 0.9,
        false_alarm: 0.2,
    };
    let plan = plan_canary(
        &model,
        &question(&model, Regression::Errors(2.0), &[6, 12, 24], 100, targets),
        &|| {},
    );
    let recommended = &plan.candidates[plan.recommended.expect("a 6 s canary meets the targets")];
    assert_eq!(recommended.duration, SimDuration::from_secs(6));
    let fa = &recommended.false_alarms;
    eprintln!("false alarms {fa:?}");
    assert!(
        fa.share <= 0.2 && fa.hits > 0,
        "measured, not zero by construction: {fa:?}"
    );
    let n = per_check(&plan, 0);
    let expected = binomial_tail_over_poisson_sizes(n, 0.008, 0.012);
    eprintln!("false alarms: binomial {expected:.3}");
    assert!(
        within(fa, expected),
        "{fa:?} against the binomial {expected:.3} (n = {n})"
    );
    // A longer canary holds more checks, each a chance of a false alarm.
    let longest = plan.candidates.last().unwrap();
    assert!(
        longest.false_alarms.share > fa.share,
        "{:?}",
        longest.false_alarms
    );
    assert!(!longest.meets_targets);
}

fn rollsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn plan_canary_answers_with_a_recommendation_or_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("rollsim-plan-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("model.toml");
    let text = std::fs::read_to_string("models/quickstart.toml").unwrap();
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap();
    let out = rollsim(&[
        "plan",
        "canary",
        path,
        "--detect",
        "errors+5%",
        "--durations",
        "6m,8m",
        "--runs",
        "3",
        "--power",
        "60",
        "--false-alarm",
        "50",
        "--json",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = &json["plan"];
    let recommended = plan["recommended"].as_u64().expect("errors+5% is caught") as usize;
    let candidate = &plan["candidates"][recommended];
    assert_eq!(candidate["instances"], 1);
    assert!(
        candidate["regressions"][0]["caught"]["hits"]
            .as_u64()
            .unwrap()
            >= 2
    );
    for (args, says) in [
        (vec!["--detect", "slower"], "allowed"),
        (vec!["--layer", "nope"], "the model's layers"),
        (vec!["--instances", "0"], "allowed: 1 to"),
        (vec!["--hour", "25"], "no daily traffic shape"),
    ] {
        let mut all = vec!["plan", "canary", path, "--runs", "1"];
        all.extend(args);
        let out = rollsim(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {stderr}");
        assert!(stderr.contains(says), "{all:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_imported_analysis_is_planned_as_it_judges_and_says_what_it_cannot_see() {
    let out = rollsim(&[
        "plan",
        "canary",
        "models/quickstart.toml",
        "--rollout",
        "models/imported/argo-canary.yaml",
        "--layer",
        "backend",
        "--detect",
        "errors+5%",
        "--detect",
        "p99x3",
        "--durations",
        "5m",
        "--runs",
        "3",
        "--quiet",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 judge weighed"), "{text}");
    assert!(
        text.contains("imported analysis of Argo Rollouts Rollout \"middle\""),
        "{text}"
    );
    // Its error-rate limit of 2% catches 5% more errors; nothing in it judges latency.
    assert!(text.contains("errors+5%: caught in 3/3 runs"), "{text}");
    assert!(text.contains("p99x3: caught in 0/3 runs"), "{text}");
    assert!(text.contains("latency is not judged"), "{text}");
}

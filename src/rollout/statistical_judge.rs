//! A statistical canary judge in the manner of Kayenta's NetflixACAJudge: each metric's
//! series on the new version is compared with the old version's by a Mann–Whitney U
//! test; a metric fails when the difference is significant (p < 1 − `confidence`) and
//! the new version is worse by more than `tolerance` relative to the old one's median
//! (Hodges–Lehmann shift). The check's score is the weighted share of metrics that
//! pass; at or above `pass_score` it passes, below `marginal_score` it fails, between
//! it is marginal (neither). The error rate is critical: if it fails, the score is 0.
//!
//! A series is one point per sample (`sample_interval`): the error rate, p50 and p99 of
//! what each version's instances finished in that sample. Fewer than
//! [`MIN_POINTS`] points on either side is no data for that metric; no metric with data
//! is no data for the check.

use crate::scenario::rollout::AnalysisSpec;
use crate::stats::mann_whitney::mann_whitney;

use super::analysis::Verdict;
use super::platform::VersionMetrics;

/// Fewest points a series needs.
pub const MIN_POINTS: usize = 5;

struct Metric {
    name: &'static str,
    weight: f64,
    critical: bool,
    /// Smallest baseline scale the tolerance is relative to (in the metric's units).
    floor: f64,
    value: fn(&VersionMetrics) -> Option<f64>,
}

const METRICS: [Metric; 3] = [
    Metric {
        name: "error rate",
        weight: 50.0,
        critical: true,
        floor: 0.002,
        value: |m| (m.requests > 0).then(|| m.error_rate()),
    },
    Metric {
        name: "p99",
        weight: 25.0,
        critical: false,
        floor: 0.001,
        value: |m| m.latency.quantile(0.99).map(|d| d.as_secs_f64()),
    },
    Metric {
        name: "p50",
        weight: 25.0,
        critical: false,
        floor: 0.001,
        value: |m| m.latency.quantile(0.5).map(|d| d.as_secs_f64()),
    },
];

/// Judges the new version's samples against the old version's.
pub fn judge(
    spec: &AnalysisSpec,
    candidate: &[VersionMetrics],
    baseline: &[VersionMetrics],
) -> Verdict {
    let (mut weight_total, mut weight_passed) = (0.0, 0.0);
    let mut critical_failure = false;
    let mut notes: Vec<String> = Vec::new();
    for metric in &METRICS {
        let c: Vec<f64> = candidate.iter().filter_map(metric.value).collect();
        let b: Vec<f64> = baseline.iter().filter_map(metric.value).collect();
        if c.len() < MIN_POINTS || b.len() < MIN_POINTS {
            continue;
        }
        let Some(test) = mann_whitney(&c, &b) else {
            continue;
        };
        weight_total += metric.weight;
        let scale = median(&b).abs().max(metric.floor);
        let relative = test.shift / scale;
        let significant = test.p_value < 1.0 - spec.confidence;
        if significant && relative > spec.tolerance {
            notes.push(format!(
                "{} +{:.0}% (p={:.1e})",
                metric.name,
                100.0 * relative,
                test.p_value
            ));
            critical_failure |= metric.critical;
        } else {
            weight_passed += metric.weight;
        }
    }
    if weight_total == 0.0 {
        return Verdict::NoData(format!(
            "fewer than {MIN_POINTS} samples with traffic on a version"
        ));
    }
    let score = if critical_failure {
        0.0
    } else {
        100.0 * weight_passed / weight_total
    };
    let detail = if notes.is_empty() {
        String::new()
    } else {
        format!(": {}", notes.join(", "))
    };
    if score >= spec.pass_score {
        Verdict::Pass
    } else if score >= spec.marginal_score {
        Verdict::Marginal(format!("score {score:.0}/100{detail}"))
    } else {
        Verdict::Fail(format!("score {score:.0}/100{detail}"))
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RngStreams, SimDuration};
    use rand::RngExt;

    /// `n` samples of 200 requests with an error probability and a latency in ms (±20%).
    fn samples(n: usize, error_rate: f64, latency_ms: f64, seed: u64) -> Vec<VersionMetrics> {
        let mut rng = RngStreams::new(seed).stream("samples");
        (0..n)
            .map(|_| {
                let mut m = VersionMetrics {
                    requests: 200,
                    ..VersionMetrics::default()
                };
                for _ in 0..200 {
                    if rng.random::<f64>() < error_rate {
                        m.errors += 1;
                    } else {
                        let ms = latency_ms * (0.8 + 0.4 * rng.random::<f64>());
                        m.latency.record(SimDuration::from_secs_f64(ms / 1000.0));
                    }
                }
                m
            })
            .collect()
    }

    #[test]
    fn the_same_behaviour_passes() {
        let spec = AnalysisSpec::default();
        assert_eq!(
            judge(
                &spec,
                &samples(12, 0.001, 20.0, 1),
                &samples(12, 0.001, 20.0, 2)
            ),
            Verdict::Pass
        );
    }

    #[test]
    fn a_higher_error_rate_is_critical() {
        let spec = AnalysisSpec::default();
        match judge(
            &spec,
            &samples(12, 0.05, 20.0, 1),
            &samples(12, 0.001, 20.0, 2),
        ) {
            Verdict::Fail(why) => assert!(why.starts_with("score 0/100: error rate"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_slower_release_loses_the_latency_weight() {
        let spec = AnalysisSpec::default();
        // Both latency metrics fail: 50 of 100 points, marginal.
        match judge(
            &spec,
            &samples(12, 0.0, 40.0, 1),
            &samples(12, 0.0, 20.0, 2),
        ) {
            Verdict::Marginal(why) => assert!(why.contains("score 50/100"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Within the tolerance (25%): passes.
        assert_eq!(
            judge(
                &spec,
                &samples(12, 0.0, 22.0, 1),
                &samples(12, 0.0, 20.0, 2)
            ),
            Verdict::Pass
        );
    }

    #[test]
    fn too_few_samples_are_no_data() {
        let spec = AnalysisSpec::default();
        assert!(matches!(
            judge(&spec, &samples(3, 0.0, 20.0, 1), &samples(12, 0.0, 20.0, 2)),
            Verdict::NoData(_)
        ));
    }
}

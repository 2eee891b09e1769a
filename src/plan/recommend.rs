//! The planner's advice on how to roll each layer, from a [`Comparison`] of strategies,
//! said in words with the numbers behind it.
//!
//! # The rule
//! 1. The strategies with the fewest failed requests (beyond the no-rollout baseline)
//!    qualify: the one with the fewest, and every one not significantly worse than it
//!    (the 95% interval of the paired difference reaches 0; runs share their random
//!    numbers, so they pair).
//! 2. If the release is defective: those that caught it (rolled it back) in the most
//!    runs remain, as a defect left serving at the end of a run has done damage the
//!    run did not see; then, as a worse defect of the same kind fails in proportion to
//!    the requests the bad version serves before traffic is back, the ones with the
//!    least bad-version exposure (or not significantly more, paired). A healthy release
//!    skips this step.
//! 3. The cheapest in extra instance-hours among those left is advised.

use crate::metrics::RolloutMetrics;
use crate::plan::compare::Comparison;
use crate::rollout::Outcome;
use crate::scenario::rollout::Strategy;
use crate::stats::{Estimate, Interval};
use crate::stats::{Num, plus_minus};

/// What one strategy costs and risks for one rollout, over the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyCost {
    /// The strategy.
    pub strategy: Strategy,
    /// Extra instances at the peak of the rollout (peak ratio − 1) × the layer's size.
    pub extra_instances: Estimate,
    /// Extra instance-hours.
    pub extra_instance_hours: Estimate,
    /// Failed requests beyond the baseline.
    pub failed_requests: Estimate,
    /// Runs in which the (healthy or not) release was promoted.
    pub promoted_runs: usize,
    /// Runs in which it was rolled back.
    pub rolled_back_runs: usize,
    /// Runs still under way when the run ended.
    pub unfinished_runs: usize,
    /// Requests the new version served (all of them bad ones if the release is).
    pub new_version_requests: Estimate,
    /// Abort → traffic back on the old version, over the runs that rolled back.
    pub restore_time_s: Option<Estimate>,
    /// Runs in all.
    pub runs: usize,
}

/// The advice for one rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// The rolled layer.
    pub layer: String,
    /// Every strategy's cost, in the comparison's order.
    pub costs: Vec<StrategyCost>,
    /// The strategy advised.
    pub best: Strategy,
    /// The advice in words.
    pub words: String,
    /// Whether the release rolled out is defective (its requests are bad ones).
    pub defective: bool,
}

fn interval(c: &Comparison, s: usize, k: usize, f: fn(&RolloutMetrics) -> Option<f64>) -> Estimate {
    c.interval(s, k, f).unwrap_or(Estimate {
        mean: 0.0,
        n: 0,
        interval: Interval::StudentT { half_width: 0.0 },
    })
}

/// Advice per rollout of the comparison; `sizes[k]` is the rolled layer's size and
/// `defective[k]` whether its release has a defect.
pub fn advise(c: &Comparison, sizes: &[u32], defective: &[bool]) -> Vec<Advice> {
    c.rollouts
        .iter()
        .enumerate()
        .map(|(k, layer)| {
            let costs: Vec<StrategyCost> = (0..c.strategies.len())
                .map(|s| {
                    let size = f64::from(sizes[k]);
                    let extra =
                        interval(c, s, k, |m| Some(m.peak_instances_ratio - 1.0)).scaled(size);
                    StrategyCost {
                        strategy: c.strategies[s],
                        extra_instances: extra,
                        extra_instance_hours: interval(c, s, k, |m| Some(m.extra_instance_hours)),
                        failed_requests: interval(c, s, k, |m| Some(m.failed_requests as f64)),
                        promoted_runs: c.metrics[s].iter().filter(|run| run[k].outcome == Outcome::Promoted).count(),
                        rolled_back_runs: c.metrics[s].iter().filter(|run| run[k].outcome == Outcome::RolledBack).count(),
                        unfinished_runs: c.metrics[s].iter().filter(|run| run[k].outcome == Outcome::InProgress).count(),
                        new_version_requests: interval(c, s, k, |m| Some(m.new_version_requests as f64)),
                        restore_time_s: c.interval(s, k, |m| m.restore_time.map(|d| d.as_secs_f64())),
                        runs: c.metrics[s].len(),
                    }
                })
                .collect();
            // Fewest failures; a strategy not significantly worse than that one (the 95%
            // interval of its paired difference in failed requests reaches 0) ties, and
            // the cheapest in instance-hours among those wins.
            let all: Vec<usize> = (0..costs.len()).collect();
            let mut qualify = least(c, k, &all, |m| m.failed_requests as f64);
            if defective[k] {
                let caught_most = qualify.iter().map(|s| costs[*s].rolled_back_runs).max();
                qualify.retain(|s| Some(costs[*s].rolled_back_runs) == caught_most);
                qualify = least(c, k, &qualify, |m| m.new_version_requests as f64);
            }
            let best = qualify
                .iter()
                .map(|s| &costs[*s])
                .min_by(|a, b| a.extra_instance_hours.mean.total_cmp(&b.extra_instance_hours.mean))
                .expect("the safest one qualifies");
            let mut words = format!(
                "Roll {layer} with {}: {:.0} extra instances at the peak, {} extra instance-hours, \
                 {} failed requests beyond no rollout, promoted in {} of {} runs.",
                best.strategy,
                Num(best.extra_instances.mean),
                plus_minus(&best.extra_instance_hours, 1),
                plus_minus(&best.failed_requests, 0),
                best.promoted_runs,
                best.runs
            );
            if defective[k] {
                words.push_str(&format!(
                    " The release is defective: its version served {} requests before traffic was back \
                     (a worse defect of the same kind fails in proportion).",
                    plus_minus(&best.new_version_requests, 0)));
            }
            if let Some(restore) = best.restore_time_s {
                words.push_str(&format!(
                    " It rolled back in {} of {} runs, restoring traffic to the old version in {} s.",
                    best.rolled_back_runs,
                    best.runs,
                    plus_minus(&restore, 0)));
            }
            for other in costs.iter().filter(|c| c.strategy != best.strategy) {
                words.push_str(&format!(
                    " {} would need {:.0} extra instances and {:.1} instance-hours, fail {} requests, promoted in {} of {}",
                    other.strategy,
                    Num(other.extra_instances.mean),
                    Num(other.extra_instance_hours.mean),
                    plus_minus(&other.failed_requests, 0),
                    other.promoted_runs,
                    other.runs
                ));
                if defective[k] {
                    words.push_str(&format!(
                        ", with {} requests on the bad version",
                        plus_minus(&other.new_version_requests, 0)));
                }
                if let Some(restore) = other.restore_time_s {
                    words.push_str(&format!(
                        ", restoring in {} s",
                        plus_minus(&restore, 0)));
                }
                words.push('.');
            }
            let unfinished = best.unfinished_runs;
            if unfinished > 0 {
                words.push_str(&format!(
                    " In {unfinished} of {} runs its rollout was still under way when the run ended; a longer run would tell how it ends.",
                    best.runs
                ));
            }
            Advice {
                layer: layer.clone(),
                best: best.strategy,
                costs,
                words,
                defective: defective[k],
            }
        })
        .collect()
}

/// Among `candidates`, the one with the least mean `metric` for rollout `k` and every
/// one not significantly above it (the 95% interval of the paired difference reaches 0).
fn least(
    c: &Comparison,
    k: usize,
    candidates: &[usize],
    metric: fn(&RolloutMetrics) -> f64,
) -> Vec<usize> {
    let mean = |s: usize| c.metrics[s].iter().map(|run| metric(&run[k])).sum::<f64>();
    let Some(lowest) = candidates
        .iter()
        .copied()
        .min_by(|a, b| mean(*a).total_cmp(&mean(*b)))
    else {
        return Vec::new();
    };
    candidates
        .iter()
        .copied()
        .filter(|&s| {
            let paired: Vec<f64> = c.metrics[s]
                .iter()
                .zip(&c.metrics[lowest])
                .map(|(a, b)| metric(&a[k]) - metric(&b[k]))
                .collect();
            s == lowest
                || Estimate::of(&paired).is_none_or(|d| d.mean - d.finite_half_width() <= 0.0)
        })
        .collect()
}

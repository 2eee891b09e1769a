//! The planner's advice on how to roll each layer: from a [`Comparison`] of strategies,
//! the one with the fewest failed requests (beyond the no-rollout baseline), or a
//! cheaper one in instance-hours that is not significantly worse (paired by run, as the
//! runs share their random numbers); said in words with the numbers behind it.

use crate::plan::compare::{Comparison, Interval};
use crate::rehearsal::metrics::RolloutMetrics;
use crate::rollout::Outcome;
use crate::scenario::rollout::Strategy;

/// What one strategy costs and risks for one rollout, over the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyCost {
    /// The strategy.
    pub strategy: Strategy,
    /// Extra instances at the peak of the rollout (peak ratio − 1) × the layer's size.
    pub extra_instances: Interval,
    /// Extra instance-hours.
    pub extra_instance_hours: Interval,
    /// Failed requests beyond the baseline.
    pub failed_requests: Interval,
    /// Runs in which the (healthy or not) release was promoted.
    pub promoted_runs: usize,
    /// Runs in which it was rolled back.
    pub rolled_back_runs: usize,
    /// Abort → traffic back on the old version, over the runs that rolled back.
    pub restore_time_s: Option<Interval>,
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
}

fn interval(c: &Comparison, s: usize, k: usize, f: fn(&RolloutMetrics) -> Option<f64>) -> Interval {
    c.interval(s, k, f).unwrap_or(Interval {
        mean: 0.0,
        half_width: 0.0,
        n: 0,
    })
}

/// Advice per rollout of the comparison; `sizes[k]` is the rolled layer's size.
pub fn advise(c: &Comparison, sizes: &[u32]) -> Vec<Advice> {
    c.rollouts
        .iter()
        .enumerate()
        .map(|(k, layer)| {
            let costs: Vec<StrategyCost> = (0..c.strategies.len())
                .map(|s| {
                    let size = f64::from(sizes[k]);
                    let mut extra = interval(c, s, k, |m| Some(m.peak_instances_ratio - 1.0));
                    extra.mean *= size;
                    extra.half_width *= size;
                    StrategyCost {
                        strategy: c.strategies[s],
                        extra_instances: extra,
                        extra_instance_hours: interval(c, s, k, |m| Some(m.extra_instance_hours)),
                        failed_requests: interval(c, s, k, |m| Some(m.failed_requests as f64)),
                        promoted_runs: c.metrics[s].iter().filter(|run| run[k].outcome == Outcome::Promoted).count(),
                        rolled_back_runs: c.metrics[s].iter().filter(|run| run[k].outcome == Outcome::RolledBack).count(),
                        restore_time_s: c.interval(s, k, |m| m.restore_time.map(|d| d.as_secs_f64())),
                        runs: c.metrics[s].len(),
                    }
                })
                .collect();
            // Fewest failures; a strategy not significantly worse than that one (the 95%
            // interval of its paired difference in failed requests reaches 0) ties, and
            // the cheapest in instance-hours among those wins.
            let safest = (0..costs.len())
                .min_by(|a, b| costs[*a].failed_requests.mean.total_cmp(&costs[*b].failed_requests.mean))
                .expect("at least one strategy");
            let not_worse = |s: usize| {
                let paired: Vec<f64> = c.metrics[s]
                    .iter()
                    .zip(&c.metrics[safest])
                    .map(|(a, b)| (a[k].failed_requests - b[k].failed_requests) as f64)
                    .collect();
                Interval::of(&paired).is_none_or(|d| d.mean - finite(d.half_width) <= 0.0)
            };
            let best = (0..costs.len())
                .filter(|s| *s == safest || not_worse(*s))
                .map(|s| &costs[s])
                .min_by(|a, b| a.extra_instance_hours.mean.total_cmp(&b.extra_instance_hours.mean))
                .expect("the safest one qualifies");
            let mut words = format!(
                "Roll {layer} with {}: {:.0} extra instances at the peak, {:.1} ± {:.1} extra instance-hours, \
                 {:.0} ± {:.0} failed requests beyond no rollout, promoted in {} of {} runs.",
                best.strategy,
                best.extra_instances.mean,
                best.extra_instance_hours.mean,
                finite(best.extra_instance_hours.half_width),
                best.failed_requests.mean,
                finite(best.failed_requests.half_width),
                best.promoted_runs,
                best.runs
            );
            if let Some(restore) = best.restore_time_s {
                words.push_str(&format!(
                    " It rolled back in {} of {} runs, restoring traffic to the old version in {:.0} ± {:.0} s.",
                    best.rolled_back_runs,
                    best.runs,
                    restore.mean,
                    finite(restore.half_width)
                ));
            }
            for other in costs.iter().filter(|c| c.strategy != best.strategy) {
                words.push_str(&format!(
                    " {} would need {:.0} extra instances and {:.1} instance-hours, fail {:.0} ± {:.0} requests, promoted in {} of {}.",
                    other.strategy,
                    other.extra_instances.mean,
                    other.extra_instance_hours.mean,
                    other.failed_requests.mean,
                    finite(other.failed_requests.half_width),
                    other.promoted_runs,
                    other.runs
                ));
            }
            Advice {
                layer: layer.clone(),
                best: best.strategy,
                costs,
                words,
            }
        })
        .collect()
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

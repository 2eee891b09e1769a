//! Monte Carlo comparison of strategies with common random numbers.
//!
//! # How
//! 1. Run `i` (of `runs`) uses seed `seed + i` for every strategy, so run `i` of every
//!    strategy sees the same arrivals, service times and chaos: differences between
//!    strategies are theirs, not the dice's.
//! 2. Per run, the model is rehearsed once per strategy (every rollout set to it), and
//!    once without rollouts ([`crate::rehearsal::baseline`]: the baseline the metrics
//!    compare with, shared by the strategies of that run).
//! 3. Runs go in parallel (rayon); results are kept in run order, so the output does
//!    not depend on the number of threads.
//! 4. Per metric and strategy: the mean and its 95% confidence interval (Student's t
//!    over runs, an [`Estimate`]); per other strategy, the paired difference with the
//!    first strategy and its interval (paired, since run `i` shares its seed).

use rayon::prelude::*;

use crate::metrics::{RolloutMetrics, Slo};
use crate::rehearsal::{baseline, rehearse};
use crate::scenario::Scenario;
use crate::scenario::rollout::Strategy;
use crate::stats::Estimate;

/// Every run's metrics: `metrics[strategy][run][rollout]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The model's name.
    pub model: String,
    /// The strategies, in the order asked.
    pub strategies: Vec<Strategy>,
    /// The seed of each run.
    pub seeds: Vec<u64>,
    /// The rolled layer of each rollout of the model.
    pub rollouts: Vec<String>,
    /// `metrics[strategy][run][rollout]`.
    pub metrics: Vec<Vec<Vec<RolloutMetrics>>>,
    /// Real requests each simulated one stood for (1: request level; see
    /// [`crate::model::fast`]).
    pub sampling_step: u32,
}

/// Rehearses `model` with each strategy `runs` times (seeds `seed`, `seed + 1`, …),
/// calling `on_rehearsal_done` after each rehearsal (for progress).
///
/// The model must have rollouts, and be valid with each strategy (see
/// [`crate::scenario::recheck`]).
pub fn compare(
    model: &Scenario,
    strategies: &[Strategy],
    runs: usize,
    seed: u64,
    on_rehearsal_done: &(dyn Fn() + Sync),
) -> Comparison {
    let slo = Slo::of(model);
    let seeds: Vec<u64> = (0..runs as u64).map(|i| seed.wrapping_add(i)).collect();
    // One run: the baseline and every strategy, for one seed.
    let per_run: Vec<Vec<Vec<RolloutMetrics>>> = seeds
        .par_iter()
        .with_max_len(1)
        .map(|&run_seed| {
            let mut seeded = model.clone();
            seeded.seed = run_seed;
            // One baseline per seed, shared by every strategy's rehearsal of that seed.
            let baseline = baseline(&seeded);
            strategies
                .par_iter()
                .with_max_len(1)
                .map(|&strategy| {
                    let mut variant = seeded.clone();
                    for rollout in &mut variant.rollouts {
                        rollout.strategy = strategy;
                    }
                    let metrics = rehearse(&variant).rollout_metrics(&baseline, slo);
                    on_rehearsal_done();
                    metrics
                })
                .collect()
        })
        .collect();
    // per_run[run][strategy][rollout] → metrics[strategy][run][rollout]
    let metrics = (0..strategies.len())
        .map(|s| per_run.iter().map(|run| run[s].clone()).collect())
        .collect();
    Comparison {
        model: model.name.clone(),
        strategies: strategies.to_vec(),
        seeds,
        rollouts: model.rollouts.iter().map(|r| r.layer.clone()).collect(),
        metrics,
        sampling_step: model.sampling_step(),
    }
}

impl Comparison {
    /// The interval of `metric` for strategy `s` and rollout `k` over the runs that have it.
    pub fn interval(
        &self,
        s: usize,
        k: usize,
        metric: fn(&RolloutMetrics) -> Option<f64>,
    ) -> Option<Estimate> {
        let values: Vec<f64> = self.metrics[s]
            .iter()
            .filter_map(|run| metric(&run[k]))
            .collect();
        Estimate::of(&values)
    }

    /// The paired difference (strategy `s` − strategy 0) of `metric` for rollout `k`,
    /// over the runs where both have it.
    pub fn difference(
        &self,
        s: usize,
        k: usize,
        metric: fn(&RolloutMetrics) -> Option<f64>,
    ) -> Option<Estimate> {
        let values: Vec<f64> = self.metrics[s]
            .iter()
            .zip(&self.metrics[0])
            .filter_map(|(a, b)| Some(metric(&a[k])? - metric(&b[k])?))
            .collect();
        Estimate::of(&values)
    }
}

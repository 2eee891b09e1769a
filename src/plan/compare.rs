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
//! 5. Per layer and strategy, the same for the layer's queueing figures over the whole
//!    rehearsal ([`QueueingFigures`]: mean latency, p99, Wq, P(wait), L, W, λ).

use rayon::prelude::*;

use crate::metrics::{RolloutMetrics, Slo};
use crate::model::QueueingFigures;
use crate::rehearsal::{OnAdvance, baseline_reporting, rehearse_reporting};
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
    /// The model's layers, entry layer first.
    pub layers: Vec<String>,
    /// Each layer's queueing figures over the whole rehearsal:
    /// `queueing[strategy][run][layer]`.
    pub queueing: Vec<Vec<Vec<QueueingFigures>>>,
    /// Real requests each simulated one stood for (1: request level; see
    /// [`crate::model::fast`]).
    pub sampling_step: u32,
    /// The model's SLO (the figures draw its targets).
    pub slo: Slo,
}

/// Rehearses `model` with each strategy `runs` times (seeds `seed`, `seed + 1`, …),
/// calling `on_rehearsal_done` after each rehearsal and `on_advance` as each run (the
/// rehearsals and the baselines) goes (for progress).
///
/// The model must have rollouts, and be valid with each strategy (see
/// [`crate::scenario::recheck`]).
pub fn compare(
    model: &Scenario,
    strategies: &[Strategy],
    runs: usize,
    seed: u64,
    on_rehearsal_done: &(dyn Fn() + Sync),
    on_advance: OnAdvance<'_>,
) -> Comparison {
    let slo = Slo::of(model);
    let seeds: Vec<u64> = (0..runs as u64).map(|i| seed.wrapping_add(i)).collect();
    // One run: the baseline and every strategy, for one seed.
    type PerStrategy = (Vec<RolloutMetrics>, Vec<QueueingFigures>, Vec<String>);
    let per_run: Vec<Vec<PerStrategy>> = seeds
        .par_iter()
        .with_max_len(1)
        .map(|&run_seed| {
            let mut seeded = model.clone();
            seeded.seed = run_seed;
            // One baseline per seed, shared by every strategy's rehearsal of that seed.
            let baseline = baseline_reporting(&seeded, on_advance);
            strategies
                .par_iter()
                .with_max_len(1)
                .map(|&strategy| {
                    let mut variant = seeded.clone();
                    for rollout in &mut variant.rollouts {
                        rollout.strategy = strategy;
                    }
                    let mut rehearsal = rehearse_reporting(&variant, on_advance);
                    let metrics = rehearsal.rollout_metrics(&baseline, slo);
                    let summary = rehearsal.world.summary();
                    let queueing = summary.layers.iter().map(|l| l.queueing()).collect();
                    let names = summary.layers.iter().map(|l| l.name.clone()).collect();
                    on_rehearsal_done();
                    (metrics, queueing, names)
                })
                .collect()
        })
        .collect();
    // per_run[run][strategy][rollout] → metrics[strategy][run][rollout]
    let metrics: Vec<Vec<Vec<RolloutMetrics>>> = (0..strategies.len())
        .map(|s| per_run.iter().map(|run| run[s].0.clone()).collect())
        .collect();
    let queueing = (0..strategies.len())
        .map(|s| per_run.iter().map(|run| run[s].1.clone()).collect())
        .collect();
    Comparison {
        model: model.name.clone(),
        strategies: strategies.to_vec(),
        seeds,
        rollouts: model.rollouts.iter().map(|r| r.layer.clone()).collect(),
        metrics,
        // In the world's order (entry layer first), as every run has them.
        layers: per_run
            .first()
            .and_then(|run| run.first())
            .map_or_else(Vec::new, |first| first.2.clone()),
        queueing,
        sampling_step: model.sampling_step(),
        slo,
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

    /// The interval of queueing figure `f` (an index into [`QueueingFigures::named`])
    /// of layer `l` for strategy `s`, over the runs that have it.
    pub fn layer_interval(&self, s: usize, l: usize, f: usize) -> Option<Estimate> {
        let values: Vec<f64> = self.queueing[s]
            .iter()
            .filter_map(|run| run.get(l)?.named()[f].2)
            .collect();
        Estimate::of(&values)
    }

    /// The paired difference (strategy `s` − strategy 0) of queueing figure `f` of
    /// layer `l`, over the runs where both have it.
    pub fn layer_difference(&self, s: usize, l: usize, f: usize) -> Option<Estimate> {
        let values: Vec<f64> = self.queueing[s]
            .iter()
            .zip(&self.queueing[0])
            .filter_map(|(a, b)| Some(a.get(l)?.named()[f].2? - b.get(l)?.named()[f].2?))
            .collect();
        Estimate::of(&values)
    }
}

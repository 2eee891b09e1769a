//! Fleet sizing: per layer, the smallest steady fleet that keeps the entry layer within
//! its SLO at the traffic peak, found by simulation.
//!
//! # How
//! 1. The model is made steady: no rollouts, no chaos, no bursts or herds, the traffic
//!    flat at its peak rate (`rate`, which a daily shape scales down from), autoscaling
//!    off, `PLAN_DURATION` long; the first `PLAN_WARMUP` is not measured.
//! 2. One layer at a time (the others as in the model), a size is judged by `runs` runs
//!    (seeds seed, seed+1, …): it *meets* the SLO if the upper end of the 95% interval of
//!    the entry layer's p99 is within the target, and the lower end of its availability's
//!    is at least the target. So "meets" is a statement with 95% confidence, not a lucky run.
//! 3. The smallest size that meets is searched by bisection (doubling up from the
//!    model's size if that does not meet, up to `MAX_GROWTH` ×), and the size one below
//!    it is always judged too, so the answer comes with its evidence. Queueing theory
//!    brackets the search first: no size below [`stability_bound`] (the fewest
//!    instances whose workers can carry the layer's peak load at all, ρ < 1) is
//!    simulated, since such a fleet is overloaded and its queues grow without bound;
//!    bisection starts there. For a big fleet this skips the most expensive runs
//!    (overloaded ones, full of timeouts and retries) and most of the steps.
//! 4. Runs use the model's fidelity (`auto`: the fast mode for big fleets).

use rayon::prelude::*;

use crate::engine::SimDuration;
use crate::model::World;
use crate::model::observe::windows_in;
use crate::scenario::Scenario;
use crate::scenario::chaos::ChaosSpec;
use crate::stats::Estimate;
use crate::stats::LatencyHistogram;

/// Length of a sizing run.
pub const PLAN_DURATION: SimDuration = SimDuration::from_mins(10);
/// Start of a sizing run that is not measured.
pub const PLAN_WARMUP: SimDuration = SimDuration::from_mins(2);
/// Largest fleet tried, as a multiple of the model's.
pub const MAX_GROWTH: u32 = 8;

/// What the entry layer must achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// p99 latency at most this.
    pub latency_p99: SimDuration,
    /// Success ratio at least this.
    pub availability: f64,
}

/// One size of one layer, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Instances of the layer.
    pub instances: u32,
    /// The entry layer's p99 over runs, in ms.
    pub latency_p99_ms: Estimate,
    /// The entry layer's availability over runs.
    pub availability: Estimate,
    /// Whether it meets the target with 95% confidence.
    pub meets: bool,
}

/// The sizing of one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerPlan {
    /// The layer.
    pub layer: String,
    /// Its size in the model.
    pub current: u32,
    /// The smallest size that meets the target (none up to `MAX_GROWTH` × current).
    pub smallest: Option<u32>,
    /// Every size judged, ascending.
    pub evaluations: Vec<Evaluation>,
}

impl LayerPlan {
    /// The evaluation of `instances`, if it was judged.
    pub fn at(&self, instances: u32) -> Option<&Evaluation> {
        self.evaluations.iter().find(|e| e.instances == instances)
    }
}

/// The steady peak version of `model`.
pub fn steady_peak(model: &Scenario) -> Scenario {
    let mut steady = model.clone();
    steady.rollouts.clear();
    steady.chaos = ChaosSpec::default();
    steady.traffic.shape = None;
    steady.traffic.points.clear();
    steady.traffic.bursts.clear();
    steady.traffic.herds.clear();
    steady.duration = PLAN_DURATION;
    for layer in steady.layers.values_mut() {
        layer.autoscaler = None;
    }
    steady
}

/// Sizes every layer of `model` (in the model's order), calling `on_size_judged` after
/// each size is judged (for progress).
pub fn size_fleets(
    model: &Scenario,
    target: Target,
    runs: usize,
    seed: u64,
    on_size_judged: &(dyn Fn() + Sync),
) -> Vec<LayerPlan> {
    let steady = steady_peak(model);
    let world = World::new(&steady);
    let layers: Vec<String> = (0..steady.layers.len())
        .map(|i| {
            world
                .layer_name(crate::model::LayerId(i as u16))
                .to_string()
        })
        .collect();
    layers
        .iter()
        .map(|layer| size_layer(&steady, layer, target, runs, seed, on_size_judged))
        .collect()
}

fn size_layer(
    steady: &Scenario,
    layer: &str,
    target: Target,
    runs: usize,
    seed: u64,
    on_size_judged: &(dyn Fn() + Sync),
) -> LayerPlan {
    let current = steady.layers[layer].instances;
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let judge = |n: u32, evaluations: &mut Vec<Evaluation>| -> bool {
        if let Some(e) = evaluations.iter().find(|e| e.instances == n) {
            return e.meets;
        }
        let e = evaluate(steady, layer, n, target, runs, seed);
        on_size_judged();
        let meets = e.meets;
        evaluations.push(e);
        meets
    };
    // An upper bound that meets.
    let mut high = current.max(1);
    while !judge(high, &mut evaluations) {
        if high >= current.max(1) * MAX_GROWTH {
            evaluations.sort_by_key(|e| e.instances);
            return LayerPlan {
                layer: layer.to_string(),
                current,
                smallest: None,
                evaluations,
            };
        }
        high *= 2;
    }
    // Bisection on [low, high]: `high` meets; `low − 1` does not (or is 0, or is
    // below the stability bound, where the layer is overloaded whatever the dice).
    let mut low = stability_bound(steady, layer).clamp(1, high);
    while low < high {
        let mid = low + (high - low) / 2;
        if judge(mid, &mut evaluations) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    if high > 1 {
        judge(high - 1, &mut evaluations);
    }
    evaluations.sort_by_key(|e| e.instances);
    LayerPlan {
        layer: layer.to_string(),
        current,
        smallest: Some(high),
        evaluations,
    }
}

/// The fewest instances of `layer` whose workers can carry its peak load (utilisation
/// below 1) in `steady` (its steady peak model): the layer's attempt rate at least (the
/// entry rate × every call count × cache miss ratio along the call paths, no retries)
/// × the mean of its own service time (a worker is busy longer: it also waits for the
/// calls it makes) ÷ workers per instance. Any fewer is overloaded: the layer's queues
/// grow without bound and no SLO can hold.
pub fn stability_bound(steady: &Scenario, layer: &str) -> u32 {
    // Rate into each layer: the entry's, plus what its callers send, recomputed until
    // it settles (as many rounds as layers: the call graph is acyclic, checked when
    // the model is loaded).
    let entry = steady.traffic.entry.as_str();
    let mut rate: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    for _ in 0..steady.layers.len() {
        let mut next: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
        next.insert(entry, steady.traffic.rate.per_second());
        for (name, spec) in &steady.layers {
            let here = rate.get(name.as_str()).copied().unwrap_or(0.0);
            for call in &spec.calls {
                let miss = call.cache.as_ref().map_or(1.0, |c| 1.0 - c.hit_ratio);
                *next.entry(call.layer.as_str()).or_insert(0.0) +=
                    here * f64::from(call.count) * miss;
            }
        }
        rate = next;
    }
    let Some(spec) = steady.layers.get(layer) else {
        return 1;
    };
    let busy_workers =
        rate.get(layer).copied().unwrap_or(0.0) * spec.service_time.mean().as_secs_f64();
    let bound = (busy_workers / f64::from(spec.workers.max(1))).floor() + 1.0;
    bound.min(f64::from(u32::MAX)) as u32
}

fn evaluate(
    steady: &Scenario,
    layer: &str,
    instances: u32,
    target: Target,
    runs: usize,
    seed: u64,
) -> Evaluation {
    let seeds: Vec<u64> = (0..runs as u64).collect();
    let results: Vec<(f64, f64)> = seeds
        .par_iter()
        .with_max_len(1)
        .map(|i| {
            let mut model = steady.clone();
            model.seed = seed.wrapping_add(*i);
            if let Some(spec) = model.layers.get_mut(layer) {
                spec.instances = instances;
            }
            let mut world = World::new(&model);
            world.run();
            let from = windows_in(PLAN_WARMUP);
            entry_slo(&world, from..usize::MAX)
        })
        .collect();
    let p99: Vec<f64> = results.iter().map(|r| r.0).collect();
    let availability: Vec<f64> = results.iter().map(|r| r.1).collect();
    let p99 = Estimate::of(&p99).expect("at least one run");
    let availability = Estimate::of(&availability).expect("at least one run");
    let upper_p99 = if runs > 1 {
        p99.mean + p99.half_width_95()
    } else {
        p99.mean
    };
    let lower_availability = if runs > 1 {
        availability.mean - availability.half_width_95()
    } else {
        availability.mean
    };
    Evaluation {
        instances,
        latency_p99_ms: p99,
        availability,
        meets: upper_p99 <= target.latency_p99.as_millis_f64()
            && lower_availability >= target.availability,
    }
}

/// The entry layer's p99 (ms) and availability over the `seconds` of the run (an
/// infinite p99 and no availability if nothing finished then).
pub(crate) fn entry_slo(world: &World, seconds: std::ops::Range<usize>) -> (f64, f64) {
    let windows = &world.observations().layers[0];
    let mut latency = LatencyHistogram::default();
    let (mut ok, mut all) = (0u64, 0u64);
    let end = seconds.end.min(windows.len());
    for w in &windows[seconds.start.min(end)..end] {
        latency.merge(&w.latency);
        ok += u64::from(w.succeeded);
        all += u64::from(w.succeeded) + w.failed.iter().map(|n| u64::from(*n)).sum::<u64>();
    }
    let p99 = latency
        .quantile(0.99)
        .map_or(f64::INFINITY, |d| d.as_millis_f64());
    let availability = if all == 0 {
        0.0
    } else {
        ok as f64 / all as f64
    };
    (p99, availability)
}

/// The capacity lines of a plan's figure, in requests per second within the SLO: the
/// fleet's (its tightest layer's), and, when rolling was asked for and its dip is the
/// lower, the fleet's while each rolled layer has its `max_unavailable` out.
pub(crate) fn capacity_lines(
    sized: &Scenario,
    plans: &[LayerPlan],
    rolling_asked: bool,
) -> Vec<(String, f64)> {
    let mut lines: Vec<(String, f64)> = fleet_capacity(sized, plans, None)
        .map(|c| {
            (
                "≈ capacity within the SLO (sizing, tightest layer)".to_string(),
                c,
            )
        })
        .into_iter()
        .collect();
    let dip = sized
        .rollouts
        .iter()
        .filter_map(|r| {
            let size = sized.layers[&r.layer].instances;
            let (_, out) = r.rolling.batch_limits(size);
            fleet_capacity(sized, plans, Some((&r.layer, out)))
        })
        .reduce(f64::min);
    if let Some(dip) = dip.filter(|dip| rolling_asked && lines.first().is_none_or(|c| *dip < c.1)) {
        lines.push((
            "≈ capacity while rolling, max_unavailable out".to_string(),
            dip,
        ));
    }
    lines
}

/// Requests per second the model's fleet carries within the SLO, estimated from the
/// sizing: the sized rate × model size ÷ smallest size, of the tightest layer (capacity
/// taken as proportional to instances); with `without` = (layer, n), that layer has n
/// instances fewer. `None` if a layer found no size.
fn fleet_capacity(
    sized: &Scenario,
    plans: &[LayerPlan],
    without: Option<(&str, u32)>,
) -> Option<f64> {
    plans
        .iter()
        .map(|p| {
            let out = without.filter(|w| w.0 == p.layer).map_or(0, |w| w.1);
            p.smallest
                .map(|n| f64::from(p.current.saturating_sub(out)) / f64::from(n))
        })
        .collect::<Option<Vec<f64>>>()?
        .into_iter()
        .reduce(f64::min)
        .map(|ratio| ratio * sized.traffic.rate.per_second())
}

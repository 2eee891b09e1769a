//! The rollout metrics of DESIGN.md §2 ([`crate::metrics`]) as the simulator measures
//! them, per rolled layer: from a rehearsal's per-second series and the controller's
//! record, against a baseline run of the same model and seed without rollouts (common
//! random numbers: same traffic, same faults).
//!
//! Window-based figures have one-second resolution: a latency "until ≥ 99% of the
//! layer's requests are served by the new version" ends with the first such window.

use crate::metrics::{Measured, PerSecond, RolloutMetrics, Slo, SloTally, Timings};
use crate::model::observe::{ClusterWindow, LayerSeries, window_of};
use crate::model::{InstanceState, LayerId, World};
use crate::rollout::RolloutRecord;
use crate::stats::LatencyHistogram;

use super::Rehearsal;

/// Window of the downstream rate ratio.
const DOWNSTREAM_WINDOW_S: usize = 60;

impl Rehearsal {
    /// The metrics of every rollout, in record order, against `baseline` (the same model
    /// and seed run without rollouts, to the same end: [`super::baseline`]).
    pub(crate) fn rollout_metrics(&self, baseline: &World, slo: Slo) -> Vec<RolloutMetrics> {
        self.records
            .iter()
            .map(|record| rollout_metrics(&self.world, baseline, record, slo))
            .collect()
    }
}

/// Computes the metrics of `record`'s rollout in `world`, against `baseline` (the same
/// model and seed run without rollouts, to the same end).
pub fn rollout_metrics(
    world: &World,
    baseline: &World,
    record: &RolloutRecord,
    slo: Slo,
) -> RolloutMetrics {
    let layer = world.layer_id(&record.layer).expect("the record's layer");
    let end_s = world.observations().layers[0].len();
    let start_s = record
        .started_at
        .map_or(end_s, |t| window_of(t.into()).min(end_s));
    let finish_s = record
        .finished_at
        .map_or(end_s, |t| window_of(t.into()).min(end_s));
    let span = start_s..finish_s.max(start_s);
    let windows = &world.observations().layers[layer.index()];
    let alive = |s: usize| {
        windows
            .get(s)
            .map_or(0, |w| w.instances.iter().sum::<u32>())
    };
    let serving = |s: usize| {
        windows.get(s).map_or(0, |w| {
            w.instances[InstanceState::Warming.index()]
                + w.instances[InstanceState::InService.index()]
        })
    };
    // Window `s` counts instances at its end: window `start_s − 1` is the last count at
    // or before the start, the fleet the rollout began with.
    let (before, serving_before) = if start_s > 0 {
        (alive(start_s - 1), serving(start_s - 1))
    } else {
        (record.baseline_size, record.baseline_size)
    };
    let peak = span.clone().map(alive).max().unwrap_or(before);
    // From the first count after the start: new instances that serve within the first
    // second are in it, the old fleet at the start is not (`into_metrics` adds it).
    let min_serving = span.clone().map(serving).min().unwrap_or(serving_before);
    let alive_seconds: u64 = span.clone().map(|s| u64::from(alive(s))).sum();
    let extra_hours = (alive_seconds as f64 - f64::from(before) * span.len() as f64) / 3600.0;

    let traffic = LayerTraffic {
        world,
        layer,
        end_s,
    };
    let timings = Timings::of(record, start_s, &traffic);
    // The users' view (SLO, downstream load) runs until the traffic has settled, if
    // that is after the controller's end: a controller may call a rollout done while
    // callers behind discovery still move onto the new version (or back to the old).
    let traffic_span = start_s
        ..finish_s
            .max(timings.settled_s(record))
            .clamp(start_s, end_s);
    let new = record.new_version;
    let new_version_requests: u64 = (0..end_s)
        .flat_map(|s| cluster_windows(world, layer, s))
        .filter(|(v, _)| *v == new)
        .map(|(_, w)| u64::from(w.succeeded) + u64::from(w.failed_total()))
        .sum();

    let entry = &world.observations().layers[0];
    let baseline_entry = &baseline.observations().layers[0];
    // From the start to the end of the run: a rollout's failures may outlast it.
    let failed = |ws: &LayerSeries| -> i64 {
        (start_s..end_s)
            .filter_map(|s| ws.get(s))
            .map(|w| i64::from(w.failed.iter().sum::<u32>()))
            .sum()
    };
    let failed_requests = failed(entry) - failed(baseline_entry);
    let mut service = SloTally::default();
    for minute in traffic_span.clone().step_by(60) {
        let (mut ok, mut all) = (0u64, 0u64);
        let mut minute_latency = LatencyHistogram::default();
        for s in minute..(minute + 60).min(traffic_span.end) {
            if let Some(w) = entry.get(s) {
                ok += u64::from(w.succeeded);
                all += u64::from(w.succeeded) + u64::from(w.failed.iter().sum::<u32>());
                minute_latency.merge(&w.latency);
            }
        }
        service.add_minute(ok, all, &minute_latency, slo);
    }
    let downstream_rate_ratio = world
        .layers_below(layer)
        .into_iter()
        .filter_map(|below| {
            let ours = &world.observations().layers[below.index()];
            let theirs = &baseline.observations().layers[below.index()];
            traffic_span
                .clone()
                .step_by(DOWNSTREAM_WINDOW_S)
                .filter_map(|m| {
                    let range = m..(m + DOWNSTREAM_WINDOW_S).min(traffic_span.end);
                    let sum = |ws: &LayerSeries| -> u64 {
                        range
                            .clone()
                            .filter_map(|s| ws.get(s))
                            .map(|w| u64::from(w.attempts))
                            .sum()
                    };
                    let (a, b) = (sum(ours), sum(theirs));
                    (b > 0).then(|| a as f64 / b as f64)
                })
                .reduce(f64::max)
        })
        .reduce(f64::max);
    Measured {
        peak,
        before,
        serving_before,
        min_serving,
        extra_hours,
        timings,
        failed_requests,
        new_version_requests,
        release_defective: !world.release_is_healthy(layer, new),
        downstream_rate_ratio,
        service,
    }
    .into_metrics(record, slo)
}

/// The rolled layer's traffic, second by second, from the world's series.
struct LayerTraffic<'a> {
    world: &'a World,
    layer: LayerId,
    /// Windows of the run.
    end_s: usize,
}

impl PerSecond for LayerTraffic<'_> {
    fn windows(&self) -> usize {
        self.end_s
    }

    fn share(&self, s: usize, filter: &dyn Fn(u32) -> bool) -> Option<f64> {
        let total = u64::from(
            self.world.observations().layers[self.layer.index()]
                .get(s)?
                .attempts,
        );
        let on: u64 = cluster_windows(self.world, self.layer, s)
            .iter()
            .filter(|(version, _)| filter(*version))
            .map(|(_, w)| u64::from(w.attempts))
            .sum();
        (total > 0).then(|| on as f64 / total as f64)
    }

    fn took(&self, s: usize, version: u32) -> bool {
        cluster_windows(self.world, self.layer, s)
            .iter()
            .any(|(v, w)| *v == version && w.attempts > 0)
    }

    fn finished(&self, s: usize, version: u32) -> bool {
        cluster_windows(self.world, self.layer, s)
            .iter()
            .any(|(v, w)| *v == version && w.succeeded + w.failed_total() > 0)
    }
}

/// The windows of second `s` of every cluster of `layer`, with their versions.
fn cluster_windows(world: &World, layer: LayerId, s: usize) -> Vec<(u32, &ClusterWindow)> {
    world
        .all_clusters_of(layer)
        .into_iter()
        .filter_map(|c| {
            let series = world.series_of(c);
            s.checked_sub(series.first_window as usize)
                .and_then(|k| series.windows.get(k))
                .map(|w| (series.version, w))
        })
        .collect()
}

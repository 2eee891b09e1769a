//! `--vs-sim`: the live run beside the simulator's prediction of the same (scaled,
//! one-layer) model, metric by metric.
//!
//! # How
//! 1. The simulator runs the live model, cut at the live run's end so both cover the
//!    same time, `runs` times with seeds `seed, seed + 1, …` (each beside its own
//!    baseline run without the rollout), in parallel: [`crate::plan::compare`].
//! 2. Per metric: the live value, the simulator's mean with its 95% confidence
//!    interval and the range of its runs, the difference, and a verdict: `yes` if the
//!    live value lies in the interval of the mean, `runs` if it lies only within the
//!    range the simulated runs spread over (one live run is one draw, not a mean),
//!    `no` otherwise.

use crate::plan::compare::{Interval, compare};
use crate::rehearsal::metrics::RolloutMetrics;
use crate::report::compare::METRICS;
use crate::scenario::Scenario;

use super::scale::LiveModel;

/// Resolution of live durations: the driver's tick (timers fire a few ms late).
const TIME_RESOLUTION_S: f64 = 0.05;

/// The metrics compared, by name (as in DESIGN.md §2 and `compare`'s table).
const COMPARED: [&str; 12] = [
    "promoted",
    "rolled_back",
    "peak_instances_ratio",
    "min_serving_ratio",
    "switch_latency",
    "switch_latency_full",
    "rollout_duration",
    "detection_time",
    "restore_time",
    "failed_requests",
    "bad_version_requests",
    "availability",
];

/// One metric, live and simulated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The metric's name.
    pub(crate) name: &'static str,
    /// Its unit.
    pub(crate) unit: &'static str,
    /// Measured live.
    pub(crate) live: Option<f64>,
    /// The simulator's mean and 95% interval.
    pub(crate) sim: Option<Interval>,
    /// Smallest and largest simulated value.
    pub(crate) range: Option<(f64, f64)>,
}

impl Row {
    /// `yes`, `runs` or `no` (see the module); `-` without both values.
    pub(crate) fn verdict(&self) -> &'static str {
        match (self.live, self.sim, self.range) {
            (Some(live), Some(sim), Some((low, high))) => {
                let resolution = if self.unit == "s" {
                    TIME_RESOLUTION_S
                } else {
                    0.0
                };
                let tolerance = resolution + 1e-9 * (1.0 + live.abs());
                if (live - sim.mean).abs() <= sim.half_width + tolerance {
                    "yes"
                } else if live >= low - tolerance && live <= high + tolerance {
                    "runs"
                } else {
                    "no"
                }
            }
            _ => "-",
        }
    }
}

/// The simulator's model: the live one, ending when the live run ended.
pub(crate) fn sim_model(live: &LiveModel, end_secs: f64) -> Scenario {
    let mut model = live.scenario.clone();
    let seconds = end_secs.ceil().max(1.0) as u64;
    model.duration = crate::engine::SimDuration::from_secs(seconds);
    model
}

/// Every compared metric: `measured` live, against `runs` simulated runs of `model`.
pub(crate) fn versus(model: &Scenario, measured: &RolloutMetrics, runs: usize) -> Vec<Row> {
    let strategy = model.rollouts[0].strategy;
    let comparison = compare(model, &[strategy], runs.max(2), model.seed, &|| {});
    COMPARED
        .iter()
        .filter_map(|name| METRICS.iter().find(|m| m.name == *name))
        .map(|metric| {
            let values: Vec<f64> = comparison.metrics[0]
                .iter()
                .filter_map(|run| (metric.value)(&run[0]))
                .collect();
            let range = values
                .iter()
                .copied()
                .fold(None, |acc: Option<(f64, f64)>, v| {
                    Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
                });
            Row {
                name: metric.name,
                unit: metric.unit,
                live: (metric.value)(measured),
                sim: Interval::of(&values),
                range,
            }
        })
        .collect()
}

/// The side-by-side table.
pub(crate) fn render(rows: &[Row], runs: usize) -> String {
    let mut table = vec![vec![
        "metric".to_string(),
        "live".into(),
        format!("sim mean ± 95% CI ({runs} runs)"),
        "sim runs' range".into(),
        "live − sim".into(),
        "live in CI".into(),
    ]];
    for row in rows {
        // Counts whole, the rest to two decimals.
        let number = |x: f64| {
            if row.unit.is_empty() || row.unit == "share" {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            }
        };
        let dash = || "-".to_string();
        table.push(vec![
            if row.unit.is_empty() {
                row.name.to_string()
            } else {
                format!("{} ({})", row.name, row.unit)
            },
            row.live.map_or_else(dash, number),
            row.sim.map_or_else(dash, |s| {
                if s.half_width.is_finite() {
                    format!("{} ± {}", number(s.mean), number(s.half_width))
                } else {
                    number(s.mean)
                }
            }),
            row.range
                .map_or_else(dash, |(lo, hi)| format!("{} – {}", number(lo), number(hi))),
            row.live
                .zip(row.sim)
                .map_or_else(dash, |(live, sim)| number(live - sim.mean)),
            row.verdict().to_string(),
        ]);
    }
    crate::report::table::render(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_value_is_in_the_interval_in_the_runs_range_or_outside() {
        let row = |live| Row {
            name: "x",
            unit: "",
            live: Some(live),
            sim: Some(Interval {
                mean: 10.0,
                half_width: 1.0,
                n: 5,
            }),
            range: Some((7.0, 14.0)),
        };
        assert_eq!(row(10.5).verdict(), "yes");
        assert_eq!(row(13.0).verdict(), "runs");
        assert_eq!(row(20.0).verdict(), "no");
        let late = Row {
            unit: "s",
            ..row(11.04)
        };
        assert_eq!(late.verdict(), "yes", "within the timers' resolution");
        let missing = Row {
            live: None,
            ..row(1.0)
        };
        assert_eq!(missing.verdict(), "-");
    }
}

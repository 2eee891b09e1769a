//! `live --vs-sim`: the live run beside the simulator's prediction of the same (scaled,
//! one-layer) model, metric by metric.
//!
//! # How
//! 1. The simulator runs the live model, cut at the live run's end so both cover the
//!    same time (`LiveModel::ending_at`), `runs` times with seeds `seed, seed + 1, …`
//!    (each beside its own baseline run without the rollout), in parallel:
//!    [`crate::plan::compare`].
//! 2. Per metric: the live value, the simulator's mean with its 95% confidence
//!    interval and the range of its runs, the difference, and a verdict: `yes` if the
//!    live value lies in the interval of the mean, `runs` if it lies only within the
//!    range the simulated runs spread over (one live run is one draw, not a mean),
//!    `no` otherwise.

use crate::metrics::RolloutMetrics;
use crate::plan::compare::compare;
use crate::scenario::Scenario;
use crate::stats::Estimate;
#[cfg(test)]
use crate::stats::Interval;
use crate::stats::Num;

use super::compare::METRICS;

/// Resolution of live durations: the driver's tick (timers fire a few ms late).
const TIME_RESOLUTION_S: f64 = 0.05;

/// The metrics compared, by name (as in DESIGN.md §2 and `compare`'s table).
const COMPARED: [&str; 13] = [
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
    "new_version_requests",
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
    pub(crate) sim: Option<Estimate>,
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
                if (live - sim.mean).abs() <= sim.half_width_95() + tolerance {
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

/// Every compared metric: `measured` live, against `runs` simulated runs of `model`.
pub(crate) fn versus(model: &Scenario, measured: &RolloutMetrics, runs: usize) -> Vec<Row> {
    let strategy = model.rollouts[0].strategy;
    let comparison = compare(model, &[strategy], runs.max(2), model.seed, &|| {}, &|_| {});
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
                sim: Estimate::of(&values),
                range,
            }
        })
        // The new version's requests are healthy ones or bad ones, not both.
        .filter(|row| row.live.is_some() || row.sim.is_some())
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
                format!("{:.0}", Num(x))
            } else {
                format!("{:.2}", Num(x))
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
                if s.half_width_95().is_finite() {
                    format!("{} ± {}", number(s.mean), number(s.half_width_95()))
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
    super::table::render(&table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Slo;
    use crate::scenario::chaos::KillSpec;
    use crate::scenario::rollout::Strategy;

    #[test]
    fn a_live_value_is_in_the_interval_in_the_runs_range_or_outside() {
        let row = |live| Row {
            name: "x",
            unit: "",
            live: Some(live),
            sim: Some(Estimate {
                mean: 10.0,
                n: 5,
                interval: Interval::StudentT { half_width: 1.0 },
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

    /// What `rollsim live models/live.toml --vs-sim` simulates: the model made live at
    /// the default time scale (60), cut at the scaled run's end, with `strategy`.
    fn scaled_live_model(strategy: Strategy) -> Scenario {
        let mut model = crate::scenario::parse(
            include_str!("../../models/live.toml"),
            std::path::Path::new("models/live.toml"),
        )
        .expect("models/live.toml is valid");
        model.rollouts[0].strategy = strategy;
        let live = crate::live::scale::live_model(&model, None, 60.0).expect("playable live");
        live.ending_at(live.scenario.duration.as_secs_f64())
    }

    fn min_serving_ratios(model: &Scenario, seeds: std::ops::Range<u64>) -> Vec<f64> {
        seeds
            .map(|seed| {
                let mut model = model.clone();
                model.seed = seed;
                let (rehearsal, baseline) = crate::rehearsal::rehearse_with_baseline(&model);
                assert!(
                    rehearsal.records[0].started_at.is_some(),
                    "seed {seed}: the rollout ran"
                );
                rehearsal.rollout_metrics(&baseline, Slo::of(&model))[0].min_serving_ratio
            })
            .collect()
    }

    #[test]
    fn min_serving_ratio_is_at_most_one_for_every_strategy_on_the_scaled_live_model() {
        // Scaled ÷ 60, new instances launch and boot in about a second, so some serve
        // before the end of the rollout's first one-second window: seeds 5, 6 and 8
        // reported 1.25 (5 of 4 serving) for red/black and highlander before the
        // minimum included the rollout's start.
        for strategy in Strategy::ALL {
            let ratios = min_serving_ratios(&scaled_live_model(strategy), 1..9);
            for (seed, ratio) in (1..).zip(&ratios) {
                assert!(
                    (0.0..=1.0).contains(ratio),
                    "{strategy}, seed {seed}: min_serving_ratio {ratio}"
                );
            }
            match strategy {
                // The old cluster serves all along: exactly the fleet it began with.
                Strategy::RedBlack
                | Strategy::Highlander
                | Strategy::Canary
                | Strategy::RollingRedBlack => {
                    assert!(ratios.iter().all(|r| *r == 1.0), "{strategy}: {ratios:?}")
                }
                // max_unavailable 25% of 4: one instance out at a time.
                Strategy::Rolling => {
                    assert!(ratios.iter().all(|r| *r == 0.75), "{strategy}: {ratios:?}")
                }
            }
        }
    }

    #[test]
    fn min_serving_ratio_is_at_most_one_when_chaos_kills_around_the_start() {
        // Kills every ~5 s of the scaled minute: replacements boot before, at and after
        // the rollout's start, so the fleet serving at the start varies from run to run.
        for strategy in Strategy::ALL {
            let mut model = scaled_live_model(strategy);
            model.chaos.kills.push(KillSpec {
                layer: "web".into(),
                rate: crate::engine::Rate::per_second_checked(0.2).expect("a rate"),
                hours: None,
            });
            for (seed, ratio) in (1..).zip(min_serving_ratios(&model, 1..9)) {
                assert!(
                    (0.0..=1.0).contains(&ratio),
                    "{strategy}, seed {seed}: min_serving_ratio {ratio}"
                );
            }
        }
    }
}

//! When to roll: the hours of a weekday at which each strategy can roll out a healthy
//! release while the entry layer keeps its SLO, found by rehearsing the rollout at
//! each hour.
//!
//! # How
//! 1. For each start hour (every `step` from 00:00, on a Tuesday), the model's daily
//!    shape is shifted so that its first rollout starts at that hour. The release is
//!    made healthy: the question is whether the fleet's capacity and the strategy's
//!    mechanics (surge, unavailable instances, cold caches, draining) keep the SLO, not
//!    whether a defect is caught (the plan's rollback columns answer that).
//! 2. Each strategy is rehearsed `runs` times per hour (seeds seed, seed + 1, …, the
//!    same at every hour and for every strategy), until its rollouts finish or the run
//!    ends.
//! 3. Over the span from the first rollout's start to the last one's end, the entry
//!    layer's p99 and availability per run. The hour is *safe* if, with 95% confidence,
//!    the p99 is within the target and the availability at least the target (the upper
//!    end of the p99's interval and the lower end of the availability's, as in
//!    [`super::capacity`]), and no run rolled the healthy release back (a false alarm
//!    under load is a failed rollout too).

use rayon::prelude::*;

use crate::engine::{SimDuration, SimTime};
use crate::model::observe::window_of;
use crate::plan::capacity::{Target, entry_slo};
use crate::rehearsal::rehearse_until_done;
use crate::rollout::Outcome;
use crate::scenario::Scenario;
use crate::scenario::rollout::ReleaseSpec;
use crate::scenario::rollout::Strategy;
use crate::stats::Estimate;

/// Hours from Monday 00:00 to the Tuesday whose hours are scanned.
const TUESDAY_H: f64 = 24.0;

/// One strategy at one start hour, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct HourJudgement {
    /// Hour of the day (0–24) at which the first rollout starts.
    pub hour: f64,
    /// Entry traffic at that moment, requests per second.
    pub rate_per_second: f64,
    /// The entry layer's p99 during the rollouts, over runs, in ms.
    pub latency_p99_ms: Estimate,
    /// The entry layer's availability during the rollouts, over runs.
    pub availability: Estimate,
    /// Runs in which a rollout was rolled back.
    pub rolled_back_runs: usize,
    /// Runs in all.
    pub runs: usize,
    /// Whether the strategy keeps the SLO at this hour with 95% confidence.
    pub safe: bool,
}

/// One strategy's judgement at every hour scanned.
#[derive(Debug, Clone, PartialEq)]
pub struct SafeHours {
    /// The strategy.
    pub strategy: Strategy,
    /// Ascending by hour.
    pub hours: Vec<HourJudgement>,
}

impl SafeHours {
    /// The safe windows as (from, to) hours, each safe start hour standing for the
    /// time until the next hour scanned (the last for the `step` after it); a window
    /// across midnight is one window (its `to` below `from`).
    pub fn windows(&self, step: SimDuration) -> Vec<(f64, f64)> {
        let step_h = step.as_secs_f64() / 3600.0;
        let mut windows: Vec<(f64, f64)> = Vec::new();
        for (i, h) in self.hours.iter().enumerate() {
            if !h.safe {
                continue;
            }
            let until = self
                .hours
                .get(i + 1)
                .map_or(h.hour + step_h, |next| next.hour);
            match windows.last_mut() {
                Some(last) if (last.1 - h.hour).abs() < 1e-9 => last.1 = until,
                _ => windows.push((h.hour, until)),
            }
        }
        if windows.len() > 1 {
            let (first, last) = (windows[0], windows[windows.len() - 1]);
            if first.0 < 1e-9 && last.1 >= 24.0 - 1e-9 {
                windows.pop();
                windows[0].0 = last.0;
            }
        }
        for w in &mut windows {
            w.1 = w.1.min(24.0);
        }
        windows
    }
}

/// The start hours scanned: 0, `step`, 2 `step`, … below 24.
pub fn start_hours(step: SimDuration) -> Vec<f64> {
    let step_h = step.as_secs_f64() / 3600.0;
    (0..)
        .map(|i| f64::from(i) * step_h)
        .take_while(|h| *h < 24.0 - 1e-9)
        .collect()
}

/// The start hours scanned for `model`: every `step` from 00:00, and always the daily
/// peak and trough of its traffic (a coarse step would otherwise skip the hardest
/// and the easiest hour, and say "any hour" without having tried the peak).
pub fn start_hours_of(model: &Scenario, step: SimDuration) -> Vec<f64> {
    let mut hours = start_hours(step);
    if let Some(shape) = &model.traffic.shape {
        let peak = shape.peak_hour.rem_euclid(24.0);
        hours.push(peak);
        hours.push((peak + 12.0).rem_euclid(24.0));
    }
    hours.sort_by(f64::total_cmp);
    hours.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    hours
}

/// `model` shifted so that its first rollout starts at `hour` on a Tuesday, with a
/// healthy release; `None` if it has no daily shape or no rollouts.
pub fn at_hour(model: &Scenario, hour: f64) -> Option<Scenario> {
    let first_start = model.rollouts.iter().map(|r| r.start).min()?;
    let mut shifted = model.clone();
    let shape = shifted.traffic.shape.as_mut()?;
    shape.start = (TUESDAY_H + hour - first_start.as_secs_f64() / 3600.0).rem_euclid(168.0);
    for rollout in &mut shifted.rollouts {
        rollout.release = ReleaseSpec::default();
    }
    Some(shifted)
}

/// The entry rate of `model` (shifted by [`at_hour`]) when its first rollout starts.
pub fn rate_at_start(model: &Scenario) -> f64 {
    let start = model.rollouts.iter().map(|r| r.start).min();
    let factor = match (&model.traffic.shape, start) {
        (Some(shape), Some(start)) => {
            crate::model::traffic::shape_factor(shape, SimTime::ZERO + start)
        }
        _ => 1.0,
    };
    model.traffic.rate.per_second() * factor
}

/// Judges every strategy at every start hour (`step` apart), calling `on_rehearsal_done`
/// after each rehearsal (for progress). `None` if the model has no daily shape or no
/// rollouts.
pub fn scan_hours(
    model: &Scenario,
    strategies: &[Strategy],
    step: SimDuration,
    runs: usize,
    seed: u64,
    target: Target,
    on_rehearsal_done: &(dyn Fn() + Sync),
) -> Option<Vec<SafeHours>> {
    let hours = start_hours_of(model, step);
    let shifted: Vec<Scenario> = hours
        .iter()
        .map(|h| at_hour(model, *h))
        .collect::<Option<_>>()?;
    // Every (hour, strategy, run), in that order, so results do not depend on threads.
    let cells: Vec<(usize, usize, u64)> = (0..hours.len())
        .flat_map(|h| {
            (0..strategies.len()).flat_map(move |s| (0..runs as u64).map(move |r| (h, s, r)))
        })
        .collect();
    let results: Vec<(f64, f64, bool)> = cells
        .par_iter()
        .with_max_len(1)
        .map(|&(h, s, r)| {
            let mut variant = shifted[h].clone();
            variant.seed = seed.wrapping_add(r);
            for rollout in &mut variant.rollouts {
                rollout.strategy = strategies[s];
            }
            let rehearsal = rehearse_until_done(&variant);
            let from = rehearsal
                .records
                .iter()
                .filter_map(|r| r.started_at.map(SimTime::from))
                .map(window_of)
                .min()
                .unwrap_or(usize::MAX);
            let to = if rehearsal.records.iter().all(|r| r.finished_at.is_some()) {
                rehearsal
                    .records
                    .iter()
                    .filter_map(|r| r.finished_at.map(SimTime::from))
                    .map(window_of)
                    .max()
                    .unwrap_or(usize::MAX)
            } else {
                usize::MAX
            };
            let (p99_ms, availability) = entry_slo(&rehearsal.world, from..to);
            let rolled_back = rehearsal
                .records
                .iter()
                .any(|r| r.outcome == Outcome::RolledBack);
            on_rehearsal_done();
            (p99_ms, availability, rolled_back)
        })
        .collect();
    let judged = strategies
        .iter()
        .enumerate()
        .map(|(s, strategy)| SafeHours {
            strategy: *strategy,
            hours: hours
                .iter()
                .enumerate()
                .map(|(h, hour)| {
                    let first = (h * strategies.len() + s) * runs;
                    judge(
                        *hour,
                        rate_at_start(&shifted[h]),
                        &results[first..first + runs],
                        target,
                    )
                })
                .collect(),
        })
        .collect();
    Some(judged)
}

fn judge(
    hour: f64,
    rate_per_second: f64,
    runs: &[(f64, f64, bool)],
    target: Target,
) -> HourJudgement {
    let p99: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let availability: Vec<f64> = runs.iter().map(|r| r.1).collect();
    let rolled_back_runs = runs.iter().filter(|r| r.2).count();
    let p99 = Estimate::of(&p99).expect("at least one run");
    let availability = Estimate::of(&availability).expect("at least one run");
    let spread = |i: &Estimate| {
        if runs.len() > 1 {
            i.half_width_95()
        } else {
            0.0
        }
    };
    let safe = rolled_back_runs == 0
        && p99.mean.is_finite()
        && p99.mean + spread(&p99) <= target.latency_p99.as_millis_f64()
        && availability.mean - spread(&availability) >= target.availability;
    HourJudgement {
        hour,
        rate_per_second,
        latency_p99_ms: p99,
        availability,
        rolled_back_runs,
        runs: runs.len(),
        safe,
    }
}

/// `model` frozen at `hour` of its daily shape (`plan --hour`): the rate scaled by the
/// shape's factor at that hour, and no shape. An error if the model has no daily shape.
pub(crate) fn frozen_at_hour(model: &Scenario, hour: f64) -> Result<Scenario, String> {
    let Some(shape) = &model.traffic.shape else {
        return Err(format!(
            "--hour: the model {} has no daily traffic shape",
            model.name
        ));
    };
    let at_hour = crate::scenario::traffic::DailyShape {
        start: hour,
        ..shape.clone()
    };
    let factor = crate::model::traffic::shape_factor(&at_hour, crate::engine::SimTime::ZERO);
    let mut model = model.clone();
    model.traffic.rate = model
        .traffic
        .rate
        .scaled(factor)
        .map_err(|e| e.to_string())?;
    model.traffic.shape = None;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(safe: &[bool]) -> SafeHours {
        let i = Estimate::of(&[1.0]).unwrap();
        SafeHours {
            strategy: Strategy::Rolling,
            hours: safe
                .iter()
                .enumerate()
                .map(|(k, safe)| HourJudgement {
                    hour: 6.0 * k as f64,
                    rate_per_second: 1.0,
                    latency_p99_ms: i,
                    availability: i,
                    rolled_back_runs: 0,
                    runs: 1,
                    safe: *safe,
                })
                .collect(),
        }
    }

    #[test]
    fn the_scan_always_tries_the_daily_peak_and_trough() {
        let model = crate::scenario::parse(
            include_str!("../../models/netflix-2011.toml"),
            std::path::Path::new("netflix-2011.toml"),
        )
        .expect("the built-in model");
        let eight = SimDuration::from_hours(8);
        // Peak at 20:00, trough at 08:00 (already on the grid).
        assert_eq!(start_hours_of(&model, eight), vec![0.0, 8.0, 16.0, 20.0]);
        // The peak hour stands until midnight, the 16:00 start until the peak.
        let mut judged = hours(&[true, true, true, false]);
        for (h, hour) in judged.hours.iter_mut().zip([0.0, 8.0, 16.0, 20.0]) {
            h.hour = hour;
        }
        assert_eq!(judged.windows(eight), vec![(0.0, 20.0)]);
    }

    #[test]
    fn safe_hours_join_into_windows_across_midnight() {
        let six = SimDuration::from_hours(6);
        assert_eq!(start_hours(six), vec![0.0, 6.0, 12.0, 18.0]);
        assert_eq!(
            hours(&[true, true, false, false]).windows(six),
            vec![(0.0, 12.0)]
        );
        assert_eq!(
            hours(&[true, false, true, true]).windows(six),
            vec![(12.0, 6.0)]
        );
        assert_eq!(
            hours(&[false, true, false, true]).windows(six),
            vec![(6.0, 12.0), (18.0, 24.0)]
        );
        assert!(hours(&[false; 4]).windows(six).is_empty());
        assert_eq!(hours(&[true; 4]).windows(six), vec![(0.0, 24.0)]);
    }
}

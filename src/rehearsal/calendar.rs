//! Drawing a model's release calendar (`[releases]`) from its seed: which team
//! releases when, and which releases are defective, as rollouts the driver runs
//! beside the model's own.
//!
//! # How a calendar is drawn
//! 1. Per team (a layer whose `per_day` is above 0), release times form a Poisson
//!    process over its working hours: the worked stretches of the run laid end to end,
//!    at `per_day ÷ working day` releases per second of working time. A stretch cut by
//!    the run's start or end keeps its share.
//! 2. Per release, two uniform draws decide whether it is defective (below the team's
//!    `defect_probability`) and which kind (by the kinds' weights); both are drawn for
//!    every release, healthy or not.
//! 3. Every team has two streams of its own, named after it (times; defects): adding a
//!    team, changing another team's rate or a defect probability changes nothing else,
//!    and the release policy is not an input, so every policy sees the same calendar
//!    for a seed (common random numbers).
//! 4. The releases, in order of due time (team name on a tie), become rollouts of the
//!    team's service with the team's rollout settings, starting when due; the driver
//!    then holds each until the policy lets it start.

use rand::RngExt;

use crate::engine::{RngStreams, SimDuration, SimTime};
use crate::scenario::Scenario;
use crate::scenario::rollout::RolloutSpec;

/// One release of the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnRelease {
    /// The team's service (layer).
    pub team: String,
    /// When it is due to start, from the run's start.
    pub due: SimDuration,
    /// The defect kind's name, for a defective release.
    pub defect: Option<String>,
}

/// The calendar of `scenario` (empty without `[releases]`), each release with the
/// rollout it becomes, in order of due time.
pub(crate) fn draw(scenario: &Scenario) -> Vec<(DrawnRelease, RolloutSpec)> {
    let Some(releases) = &scenario.releases else {
        return Vec::new();
    };
    let streams = RngStreams::new(scenario.seed);
    let start_hours = scenario.week_start_hours();
    let total_weight: f64 = releases.defects.iter().map(|k| k.weight).sum();
    let mut out = Vec::new();
    for team in scenario.layers.keys() {
        let per_day = releases.per_day_of(team);
        if per_day <= 0.0 {
            continue;
        }
        let hours = releases.hours_of(team);
        let per_second = per_day / hours.day_length().as_secs_f64();
        let mut times = streams.stream(&format!("releases/{team}/times"));
        let mut defects = streams.stream(&format!("releases/{team}/defects"));
        let p_defect = releases.defect_probability_of(team);
        let template = releases.rollout_of(team);
        let mut worked_before = 0.0;
        let mut next_at = exponential(&mut times, per_second);
        for (from, to) in hours.intervals(start_hours, scenario.duration) {
            let length = (to - from).as_secs_f64();
            while next_at < worked_before + length {
                let due = from + SimDuration::from_secs_f64(next_at - worked_before);
                let (u_defect, u_kind): (f64, f64) = (defects.random(), defects.random());
                let kind = (u_defect < p_defect)
                    .then(|| pick(&releases.defects, u_kind * total_weight))
                    .flatten();
                let rollout = RolloutSpec {
                    layer: team.clone(),
                    start: due - SimTime::ZERO,
                    release: kind.map(|k| k.release.clone()).unwrap_or_default(),
                    ..template.clone()
                };
                out.push((
                    DrawnRelease {
                        team: team.clone(),
                        due: due - SimTime::ZERO,
                        defect: kind.map(|k| k.name.clone()),
                    },
                    rollout,
                ));
                next_at += exponential(&mut times, per_second);
            }
            worked_before += length;
        }
    }
    out.sort_by(|(a, _), (b, _)| a.due.cmp(&b.due).then_with(|| a.team.cmp(&b.team)));
    out
}

/// An exponential gap at `rate` per second.
fn exponential(rng: &mut crate::engine::SimRng, rate: f64) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln() / rate
}

/// The kind at cumulative weight `at`.
fn pick(
    kinds: &[crate::scenario::releases::DefectKind],
    at: f64,
) -> Option<&crate::scenario::releases::DefectKind> {
    let mut sum = 0.0;
    for kind in kinds {
        sum += kind.weight;
        if at < sum {
            return Some(kind);
        }
    }
    kinds.last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    fn week(extra: &str) -> Scenario {
        let text = format!(
            r#"seed = 3
duration = "7d"
[traffic]
entry = "edge"
rate = "100/s"
[layers.edge]
instances = 4
calls = [{{ layer = "middle" }}]
[layers.middle]
instances = 4
calls = [{{ layer = "data" }}]
[layers.data]
instances = 4
[releases]
{extra}
"#
        );
        parse(&text, Path::new("week.toml")).unwrap()
    }

    fn seconds_of_week(d: SimDuration) -> f64 {
        d.as_secs_f64() % (7.0 * 86400.0)
    }

    #[test]
    fn releases_fall_in_working_hours_only() {
        let scenario = week("per_day = 5");
        let drawn = draw(&scenario);
        assert!(drawn.len() > 30, "{}", drawn.len());
        for (release, rollout) in &drawn {
            let s = seconds_of_week(release.due);
            let day = (s / 86400.0).floor();
            let hour = (s % 86400.0) / 3600.0;
            assert!(day < 5.0 && (9.0..17.0).contains(&hour), "{release:?}");
            assert_eq!(rollout.start, release.due);
            assert_eq!(rollout.layer, release.team);
        }
    }

    #[test]
    fn release_counts_per_team_and_day_are_poisson() {
        // Over many seeds, a team's count in one working day is Poisson(per_day): its
        // mean is per_day and its variance equals its mean (dispersion test).
        let per_day = 2.0;
        let mut counts = Vec::new();
        for seed in 0..400 {
            let mut scenario = week(&format!("per_day = {per_day}"));
            scenario.seed = seed;
            let drawn = draw(&scenario);
            for team in ["edge", "middle", "data"] {
                for day in 0..5 {
                    let n = drawn
                        .iter()
                        .filter(|(r, _)| {
                            r.team == team && (r.due.as_secs_f64() / 86400.0).floor() as u64 == day
                        })
                        .count();
                    counts.push(n as f64);
                }
            }
        }
        let n = counts.len() as f64;
        let mean = counts.iter().sum::<f64>() / n;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
        // 6 000 days: the mean's standard error is √(2/6000) ≈ 0.018.
        assert!((mean - per_day).abs() < 0.06, "mean {mean}");
        // Dispersion index (n−1)·var/mean ~ χ²(n−1): within ±4 standard deviations.
        let dispersion = (n - 1.0) * var / mean;
        let sd = (2.0 * (n - 1.0)).sqrt();
        assert!(
            (dispersion - (n - 1.0)).abs() < 4.0 * sd,
            "dispersion {dispersion} for {n} days (var {var}, mean {mean})"
        );
    }

    #[test]
    fn the_calendar_is_the_same_under_every_policy() {
        let open = draw(&week("per_day = 3"));
        let strict = draw(&week(
            "per_day = 3\npolicy = { freeze = [\"fri 12:00 - mon 09:00\"], max_concurrent = 1, no_dependent_overlap = true }",
        ));
        let times = |d: &[(DrawnRelease, RolloutSpec)]| {
            d.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>()
        };
        assert_eq!(times(&open), times(&strict));
        assert!(!open.is_empty());
    }

    #[test]
    fn a_team_changes_only_its_own_releases() {
        let all = draw(&week("per_day = 3"));
        let quiet = draw(&week("per_day = 3\nteams = { data = { per_day = 0 } }"));
        let others = |d: &[(DrawnRelease, RolloutSpec)]| {
            d.iter()
                .filter(|(r, _)| r.team != "data")
                .map(|(r, _)| r.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(others(&all), others(&quiet));
        assert!(quiet.iter().all(|(r, _)| r.team != "data"));
    }

    #[test]
    fn defects_come_at_their_probability_and_mix() {
        let mut defective: u32 = 0;
        let mut errors: u32 = 0;
        let mut total: u32 = 0;
        for seed in 0..40 {
            let mut scenario = week("per_day = 4\ndefect_probability = 0.2");
            scenario.seed = seed;
            for (release, rollout) in draw(&scenario) {
                total += 1;
                if let Some(kind) = &release.defect {
                    defective += 1;
                    errors += u32::from(kind == "errors");
                    assert!(!rollout.release.is_healthy());
                } else {
                    assert!(rollout.release.is_healthy());
                }
            }
        }
        let share = f64::from(defective) / f64::from(total);
        // ~2 400 releases: the share's standard error is ~0.008.
        assert!((share - 0.2).abs() < 0.035, "{share} of {total}");
        let errors_share = f64::from(errors) / f64::from(defective);
        assert!((errors_share - 0.35).abs() < 0.08, "{errors_share}");
    }
}

//! The release calendar: teams (one per service) releasing independently, at random
//! times in their working hours, some releases defective; and the policy that decides
//! when a due release may start.
//!
//! ```toml
//! [releases]
//! per_day = 1.5                          # releases per team per working day
//! hours = "mon-fri 09:00-17:00"
//! defect_probability = 0.1
//! rollout = { strategy = "red-black", red_black = { bake = "30m" } }
//! teams = { "data-1" = { per_day = 0.2, rollout = { strategy = "rolling" } } }
//! policy = { freeze = ["fri 12:00 - mon 09:00"], max_concurrent = 3, no_dependent_overlap = true }
//! ```
//!
//! Each rehearsal draws the calendar from its seed (`rehearsal::calendar`): per team,
//! release times as a Poisson process over its working hours, and for each release
//! whether it is defective and of which kind, from streams of their own, so the same
//! seed gives the same calendar whatever the policy (common random numbers). A release
//! becomes a rollout of the team's service with the team's rollout settings; the
//! policy only delays starts (the driver holds a due release until it may start). A
//! defect that is promoted (escaped) stays until the team's next release replaces the
//! version, or the rollout's `monitor` catches it.
//!
//! # Default values
//! | field | default | source |
//! |---|---|---|
//! | `per_day` | `1` | releases per team per working day |
//! | `hours` | `mon-fri 09:00-17:00` | an office week |
//! | `defect_probability` | `0.1` | DORA's change failure rate: 0–15% for elite and high performers (Accelerate State of DevOps, 2019) |
//! | `defects` | errors 35%, latency 25%, capacity 15%, leak 15%, crash loop 10% | see [`DefectKind::standard`] |
//! | `teams` | every layer, with the settings above | |
//! | `rollout` | the rollout defaults (`red-black`, …) | |
//! | `policy.freeze` | none | |
//! | `policy.max_concurrent` | no limit | |
//! | `policy.no_dependent_overlap` | `false` | |
//!
//! The policy holds for every rollout of the model, those listed in `[[rollouts]]`
//! included.

use std::collections::BTreeMap;

use super::rollout::{LeakSpec, ReleaseSpec, RolloutSpec};
use super::week::{WeekWindow, WorkingHours};
use crate::engine::{DurationDist, SimDuration};

/// The `[releases]` section.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReleasesSpec {
    /// Releases per team per working day (a Poisson process over working hours).
    pub per_day: f64,
    /// When teams release.
    pub hours: WorkingHours,
    /// Probability that a release is defective.
    pub defect_probability: f64,
    /// The kinds of defect a defective release has, by weight.
    pub defects: Vec<DefectKind>,
    /// Teams that differ from the settings above, by service (layer) name.
    pub teams: BTreeMap<String, TeamSpec>,
    /// The rollout every team runs (its `layer`, `start` and `release` come from the
    /// calendar).
    pub rollout: RolloutSpec,
    /// When a due release may start.
    pub policy: ReleasePolicy,
}

impl Default for ReleasesSpec {
    fn default() -> Self {
        ReleasesSpec {
            per_day: 1.0,
            hours: WorkingHours::office(),
            defect_probability: 0.1,
            defects: DefectKind::standard(),
            teams: BTreeMap::new(),
            rollout: RolloutSpec::default(),
            policy: ReleasePolicy::default(),
        }
    }
}

/// One team's own settings; what it leaves out is the calendar's.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct TeamSpec {
    /// Releases per working day (0: the team does not release).
    pub per_day: Option<f64>,
    /// When it releases.
    pub hours: Option<WorkingHours>,
    /// Probability that a release of it is defective.
    pub defect_probability: Option<f64>,
    /// Its rollout, in place of the calendar's (whole, not merged).
    pub rollout: Option<RolloutSpec>,
}

/// A kind of defect and how often a defective release has it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DefectKind {
    /// Its name in reports.
    pub name: String,
    /// Relative weight among the kinds (> 0).
    pub weight: f64,
    /// How a release with it behaves.
    pub release: ReleaseSpec,
}

impl DefectKind {
    /// The standard mix: the defect kinds of the rollback-safety study, weighted as
    /// outage reports rank causes (errors and latency first, then capacity, leaks and
    /// crash loops).
    pub fn standard() -> Vec<DefectKind> {
        let kind = |name: &str, weight: f64, release: ReleaseSpec| DefectKind {
            name: name.into(),
            weight,
            release,
        };
        let healthy = ReleaseSpec::default;
        vec![
            kind(
                "errors",
                0.35,
                ReleaseSpec {
                    error_rate: 0.05,
                    ..healthy()
                },
            ),
            kind(
                "latency",
                0.25,
                ReleaseSpec {
                    latency_factor: 3.0,
                    ..healthy()
                },
            ),
            kind(
                "capacity",
                0.15,
                ReleaseSpec {
                    capacity_factor: 0.5,
                    ..healthy()
                },
            ),
            kind(
                "leak",
                0.15,
                ReleaseSpec {
                    leak: Some(LeakSpec {
                        onset: SimDuration::from_hours(2),
                        ramp: SimDuration::from_mins(30),
                        max_error_rate: 1.0,
                    }),
                    ..healthy()
                },
            ),
            kind(
                "crash-loop",
                0.10,
                ReleaseSpec {
                    crash_after: DurationDist::exponential(SimDuration::from_mins(10)).ok(),
                    ..healthy()
                },
            ),
        ]
    }
}

/// When a due release may start; it waits (in order of due time) until every rule
/// allows it.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReleasePolicy {
    /// Windows of the week in which no rollout starts (a release due then waits for
    /// the window's end).
    pub freeze: Vec<WeekWindow>,
    /// At most this many rollouts deciding at once (canary, launch, bake); a rollout
    /// holds its place until it is promoted or rolled back.
    pub max_concurrent: Option<u32>,
    /// No rollout starts while another is deciding on a service it calls or that
    /// calls it.
    pub no_dependent_overlap: bool,
}

impl ReleasesSpec {
    /// Team `name`'s releases per working day.
    pub fn per_day_of(&self, name: &str) -> f64 {
        self.teams
            .get(name)
            .and_then(|t| t.per_day)
            .unwrap_or(self.per_day)
    }

    /// When team `name` releases.
    pub fn hours_of(&self, name: &str) -> &WorkingHours {
        self.teams
            .get(name)
            .and_then(|t| t.hours.as_ref())
            .unwrap_or(&self.hours)
    }

    /// The probability that a release of team `name` is defective.
    pub fn defect_probability_of(&self, name: &str) -> f64 {
        self.teams
            .get(name)
            .and_then(|t| t.defect_probability)
            .unwrap_or(self.defect_probability)
    }

    /// Team `name`'s rollout settings (its `layer`, `start` and `release` unset).
    pub fn rollout_of(&self, name: &str) -> &RolloutSpec {
        self.teams
            .get(name)
            .and_then(|t| t.rollout.as_ref())
            .unwrap_or(&self.rollout)
    }

    /// The mean number of releases the calendar draws over a run of `scenario`.
    pub fn expected_count(&self, scenario: &super::Scenario) -> f64 {
        let start = scenario.week_start_hours();
        scenario
            .layers
            .keys()
            .map(|name| {
                let hours = self.hours_of(name);
                let worked: f64 = hours
                    .intervals(start, scenario.duration)
                    .iter()
                    .map(|(from, to)| (*to - *from).as_secs_f64())
                    .sum();
                let day = hours.day_length().as_secs_f64();
                self.per_day_of(name) * worked / day
            })
            .sum()
    }
}

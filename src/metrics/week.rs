//! The metrics of a run with a release calendar: what a week (or any stretch) of
//! independent releases cost the customers and the fleet, and what became of the
//! releases. One [`WeekMetrics`] per run; `run` prints it, `run --json` and every sweep
//! result line carry it (`week`), the sweep summaries average it over seeds as
//! `week.<field>`.
//!
//! Customer-visible figures are the entry layer's (what users see); "extra" figures
//! are against the same model and seed run without any rollout (common random
//! numbers: same traffic, same Chaos Monkey), so they are what the releases cost.

use serde::{Deserialize, Serialize};

/// What a run's releases did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct WeekMetrics {
    /// Releases the calendar drew.
    pub(crate) releases: u32,
    /// Rollouts run: the calendar's and the model file's own.
    pub(crate) rollouts: u32,
    /// Rollouts that started before the end of the run.
    pub(crate) started: u32,
    /// Rollouts promoted.
    pub(crate) promoted: u32,
    /// Rollouts rolled back.
    pub(crate) rolled_back: u32,
    /// Rollouts not decided by the end (under way, or still held by the policy).
    pub(crate) undecided: u32,
    /// Rollouts of a defective release.
    pub(crate) defective: u32,
    /// Defective releases promoted: escaped to every customer.
    pub(crate) escaped: u32,
    /// Defective releases rolled back.
    pub(crate) caught: u32,
    /// Healthy releases rolled back: false alarms.
    pub(crate) false_alarms: u32,
    /// Mean wait of the started rollouts from their due time to their start, in minutes.
    pub(crate) wait_minutes_mean: f64,
    /// Longest such wait, in minutes.
    pub(crate) wait_minutes_max: f64,
    /// Requests that failed at the entry layer over the run.
    pub(crate) failed_requests: u64,
    /// `failed_requests` minus the run without rollouts'.
    pub(crate) extra_failed_requests: i64,
    /// Minutes in which the entry layer missed the SLO.
    pub(crate) minutes_in_slo_breach: u32,
    /// `minutes_in_slo_breach` minus the run without rollouts'.
    pub(crate) extra_minutes_in_slo_breach: i64,
    /// Instance-hours of every layer minus the run without rollouts'.
    pub(crate) extra_instance_hours: f64,
    /// Pairs of rollouts deciding at the same time on services of which one calls the
    /// other.
    pub(crate) dependent_overlaps: u32,
    /// Of those, pairs in which at least one release was defective.
    pub(crate) overlap_incidents: u32,
}

impl WeekMetrics {
    /// Every figure by its JSON name (what a sweep summary averages over seeds).
    pub(crate) fn numbers(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("releases", f64::from(self.releases)),
            ("rollouts", f64::from(self.rollouts)),
            ("started", f64::from(self.started)),
            ("promoted", f64::from(self.promoted)),
            ("rolled_back", f64::from(self.rolled_back)),
            ("undecided", f64::from(self.undecided)),
            ("defective", f64::from(self.defective)),
            ("escaped", f64::from(self.escaped)),
            ("caught", f64::from(self.caught)),
            ("false_alarms", f64::from(self.false_alarms)),
            ("wait_minutes_mean", self.wait_minutes_mean),
            ("wait_minutes_max", self.wait_minutes_max),
            ("failed_requests", self.failed_requests as f64),
            ("extra_failed_requests", self.extra_failed_requests as f64),
            (
                "minutes_in_slo_breach",
                f64::from(self.minutes_in_slo_breach),
            ),
            (
                "extra_minutes_in_slo_breach",
                self.extra_minutes_in_slo_breach as f64,
            ),
            ("extra_instance_hours", self.extra_instance_hours),
            ("dependent_overlaps", f64::from(self.dependent_overlaps)),
            ("overlap_incidents", f64::from(self.overlap_incidents)),
        ]
    }
}

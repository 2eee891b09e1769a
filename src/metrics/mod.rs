//! The rollout metrics of DESIGN.md §2: what a rollout cost and what it did to the
//! traffic, per rolled layer; the same definitions for a rehearsal and for a live run.
//!
//! # How the pieces move
//! 1. A driver measures a rollout on one-second windows
//!    ([`crate::model::observe::window_of`] and its siblings): the simulator's from the
//!    world's per-second series against a run without the rollout
//!    (`rehearsal::metrics`), the live one from real requests and fleet samples
//!    (`live::metrics`). Both fill a [`Measured`]: instance counts; the traffic's
//!    [`Timings`], computed here from what the driver saw second by second
//!    ([`PerSecond`]); and the entry layer's service, tallied minute by minute against
//!    the [`Slo`] in an [`SloTally`].
//! 2. [`Measured::into_metrics`] adds what the controller's record knows (outcome,
//!    duration, rollback path) and the price of capacity: a [`RolloutMetrics`].
//! 3. [`json::RolloutJson`] is its JSON form, with the record's layer, strategy and
//!    versions: the `rollouts` of `run --json` and of every sweep result line
//!    ([`json::ResultLine`]), read back by the sweep summaries.
//!
//! A run with a release calendar is summed up as a whole in [`WeekMetrics`].
//!
//! It depends on the engine's time types, the statistics' latency histograms, the
//! scenario (for the SLO), the model's windows and the controller's record; the
//! drivers, plans and reports depend on it.

pub(crate) mod json;
mod measured;
mod timings;
pub(crate) mod week;

pub(crate) use measured::{Measured, SloTally};
pub(crate) use timings::{PerSecond, Timings};
pub(crate) use week::WeekMetrics;

use crate::engine::SimDuration;
use crate::rollout::{Outcome, RollbackPath};
use crate::stats::Scale;

/// Share of a layer's requests that counts as "traffic sits on a version".
pub(crate) const SWITCHED_SHARE: f64 = 0.99;

/// The values a summarised metric can take, by its name in the results (those of
/// [`json::RolloutJson`], and `promoted` / `rolled_back`, the summaries' outcomes):
/// what decides its interval ([`Estimate::of_scale`](crate::stats::Estimate::of_scale))
/// and how far a figure's error bar may reach. `None` for a name that is no metric.
/// - Outcomes (`promoted`, `rolled_back`): 0 or 1 per run.
/// - Within 0–1: `availability`, `min_serving_ratio` (at most 1 by definition).
/// - Either sign, as differences with the baseline run or the fleet before the rollout:
///   `failed_requests`, `extra_instance_hours`, `extra_cost`.
/// - Not below zero: every other metric (counts of requests and minutes, durations,
///   latencies, ratios of rates and of instances).
pub fn scale_of(metric: &str) -> Option<Scale> {
    Some(match metric {
        "promoted" | "rolled_back" => Scale::Outcome,
        "availability" | "min_serving_ratio" => Scale::Fraction,
        "failed_requests" | "extra_instance_hours" | "extra_cost" => Scale::Signed,
        "bad_version_requests"
        | "new_version_requests"
        | "minutes_in_slo_breach"
        | "detection_time"
        | "restore_time"
        | "rollout_duration"
        | "switch_latency"
        | "switch_latency_full"
        | "latency_p50_ms"
        | "latency_p99_ms"
        | "latency_p999_ms"
        | "peak_instances_ratio"
        | "downstream_rate_ratio" => Scale::NonNegative,
        _ => return None,
    })
}

/// The metrics of one rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutMetrics {
    /// The rolled layer.
    pub layer: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Max alive instances (booting included) ÷ instances before the rollout.
    pub peak_instances_ratio: f64,
    /// ∫ alive instances dt over the rollout − baseline instances × its length, in hours.
    pub extra_instance_hours: f64,
    /// `extra_instance_hours` × the model's `instance_hour_price`, if it has one.
    pub extra_cost: Option<f64>,
    /// Min serving instances (warming or in service) over the rollout ÷ those serving
    /// when it began. The minimum includes that moment, so the ratio is at most 1.
    pub min_serving_ratio: f64,
    /// Switch command → first second with ≥ 99% of the layer's requests on the new version.
    pub switch_latency: Option<SimDuration>,
    /// Switch command → end of the last second in which the old version finished a request.
    pub switch_latency_full: Option<SimDuration>,
    /// Start → final state.
    pub rollout_duration: Option<SimDuration>,
    /// First request on the new version → abort decision (a rollback only).
    pub detection_time: Option<SimDuration>,
    /// Abort decision → first second with ≥ 99% of the layer's requests on the old version.
    pub restore_time: Option<SimDuration>,
    /// Failed entry-layer requests from the rollout's start to the end of the run, above
    /// the baseline run's over the same time.
    pub failed_requests: i64,
    /// Requests the new version's instances finished (its share of the damage if bad):
    /// reported as `new_version_requests` for a healthy release and as
    /// `bad_version_requests` for a defective one.
    pub new_version_requests: u64,
    /// Whether the release rolled out has a defect (the model's; its controller is not
    /// told).
    pub release_defective: bool,
    /// How traffic got back (a rollback only).
    pub rollback_path: Option<RollbackPath>,
    /// Max over 60 s windows of a lower layer's request rate ÷ the baseline run's, over
    /// the users' view of the rollout (below).
    pub downstream_rate_ratio: Option<f64>,
    /// Entry-layer success ratio in the users' view of the rollout: from its start until
    /// the controller finished or the traffic settled, whichever is later
    /// ([`Timings::settled_s`]).
    pub availability: f64,
    /// Entry-layer latency in the users' view of the rollout: p50, p99, p999.
    pub latency_p50: Option<SimDuration>,
    /// See `latency_p50`.
    pub latency_p99: Option<SimDuration>,
    /// See `latency_p50`.
    pub latency_p999: Option<SimDuration>,
    /// Minutes of the users' view of the rollout whose entry-layer availability or p99
    /// broke the SLO.
    pub minutes_in_slo_breach: u32,
}

impl RolloutMetrics {
    /// Requests the new version served, for a healthy release (`None` for a defective
    /// one: see [`RolloutMetrics::bad_version_requests`]).
    pub fn healthy_version_requests(&self) -> Option<u64> {
        (!self.release_defective).then_some(self.new_version_requests)
    }

    /// Requests the bad version served (DESIGN.md §2), for a defective release (`None`
    /// for a healthy one, whose requests are no damage).
    pub fn bad_version_requests(&self) -> Option<u64> {
        self.release_defective.then_some(self.new_version_requests)
    }
}

/// The SLO the breach count uses, and the price of capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slo {
    /// Price of one instance-hour, if known.
    pub instance_hour_price: Option<f64>,
    /// Success ratio per minute at least this.
    pub availability: f64,
    /// p99 latency per minute at most this.
    pub latency_p99: SimDuration,
}

impl Slo {
    /// The model's SLO and instance-hour price.
    pub fn of(model: &crate::scenario::Scenario) -> Slo {
        Slo {
            instance_hour_price: model.instance_hour_price,
            availability: model.slo.availability,
            latency_p99: model.slo.latency_p99,
        }
    }
}

//! The traffic's timings of a rollout (DESIGN.md §2), one definition for every driver:
//! the switch latency (to the first second with ≥ 99% of the layer's requests on the
//! new version, and to the end of the last second in which the old version finished a
//! request), the detection time and the restore time. A driver says what it saw of the
//! rolled layer second by second ([`PerSecond`]); [`Timings::of`] reads the rest from
//! the controller's record.

use crate::engine::{SimDuration, SimTime};
use crate::model::observe::{window_end, window_of, window_start};
use crate::rollout::RolloutRecord;

use super::SWITCHED_SHARE;

/// What a driver saw of the rolled layer's traffic in each one-second window
/// ([`crate::model::observe::window_of`]).
pub(crate) trait PerSecond {
    /// Windows seen, from the start of the run.
    fn windows(&self) -> usize;
    /// Share of the attempts at the layer in window `s` (refused ones included, which no
    /// version took) that versions passing `filter` took; `None` without attempts.
    fn share(&self, s: usize, filter: &dyn Fn(u32) -> bool) -> Option<f64>;
    /// Whether `version` took an attempt in window `s`.
    fn took(&self, s: usize, version: u32) -> bool;
    /// Whether `version` finished a request (with success or not) in window `s`.
    fn finished(&self, s: usize, version: u32) -> bool;
}

/// The traffic's timings of one rollout. See [`super::RolloutMetrics`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Timings {
    /// Switch command → first second with ≥ 99% of the requests on the new version.
    pub(crate) switch_latency: Option<SimDuration>,
    /// Switch command → end of the last second the old version finished a request.
    pub(crate) switch_latency_full: Option<SimDuration>,
    /// First request on the new version → abort decision.
    pub(crate) detection_time: Option<SimDuration>,
    /// Abort decision → first second with ≥ 99% of the requests on the old version.
    pub(crate) restore_time: Option<SimDuration>,
}

impl Timings {
    /// The timings of `record`'s rollout, begun in window `start_s`, from `traffic`.
    pub(crate) fn of(record: &RolloutRecord, start_s: usize, traffic: &dyn PerSecond) -> Timings {
        let end_s = traffic.windows();
        let (new, old) = (record.new_version, record.old_version);
        let first_second_with = |from: usize, filter: &dyn Fn(u32) -> bool| {
            (from..end_s).find(|s| {
                traffic
                    .share(*s, filter)
                    .is_some_and(|x| x >= SWITCHED_SHARE)
            })
        };
        let (switched_at, aborted_at) = (
            record.switched_at.map(SimTime::from),
            record.aborted_at.map(SimTime::from),
        );
        let switch_latency = switched_at.and_then(|t| {
            first_second_with(window_of(t), &|v| v == new)
                .map(|s| window_end(s).saturating_since(t))
        });
        let switch_latency_full = switched_at.map(|t| {
            let from = window_of(t);
            // Until a rollback (if any) brings the old version back on purpose.
            let until = aborted_at.map_or(end_s, |a| window_of(a).clamp(from, end_s));
            let last_old = (from..until).rev().find(|s| traffic.finished(*s, old));
            let full = last_old.map_or(SimDuration::ZERO, |s| window_end(s).saturating_since(t));
            // Both are one-second figures; the last old request cannot end before the
            // switch did.
            full.max(switch_latency.unwrap_or(full))
        });
        let first_new_s = (start_s..end_s).find(|s| traffic.took(*s, new));
        let detection_time = aborted_at
            .zip(first_new_s)
            .map(|(abort, s)| abort.saturating_since(window_start(s)));
        let restore_time = aborted_at.and_then(|t| {
            first_second_with(window_of(t), &|v| v != new)
                .map(|s| window_end(s).saturating_since(t))
        });
        Timings {
            switch_latency,
            switch_latency_full,
            detection_time,
            restore_time,
        }
    }
}

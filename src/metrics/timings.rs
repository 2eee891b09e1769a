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

    /// The window from which `record`'s traffic had settled (0 if it never moved): past
    /// the last second the old version finished a request after the switch, or the
    /// first second with 99% of the requests back on the old version after an abort.
    /// The users' view of a rollout runs until then if the controller finished sooner
    /// (behind discovery a controller may call a rollout done while callers still move).
    pub(crate) fn settled_s(&self, record: &RolloutRecord) -> usize {
        let after = |at: Option<crate::rollout::Instant>, took: Option<SimDuration>| {
            at.zip(took)
                .map_or(0, |(at, took)| window_of(SimTime::from(at) + took))
        };
        after(record.switched_at, self.switch_latency_full)
            .max(after(record.aborted_at, self.restore_time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::{Instant, Outcome};
    use crate::scenario::rollout::Strategy;

    fn record(switched_s: Option<u64>, aborted_s: Option<u64>) -> RolloutRecord {
        RolloutRecord {
            layer: "api".into(),
            strategy: Strategy::Canary,
            old_version: 0,
            new_version: 1,
            started_at: Some(Instant::from_millis(0)),
            baseline_size: 4,
            switched_at: switched_s.map(|s| Instant::from_millis(s * 1000)),
            aborted_at: aborted_s.map(|s| Instant::from_millis(s * 1000)),
            abort_reason: None,
            rollback_path: None,
            finished_at: Some(Instant::from_millis(950_000)),
            judged_from: Vec::new(),
            outcome: Outcome::Promoted,
            timeline: Vec::new(),
        }
    }

    #[test]
    fn traffic_settles_when_the_last_old_request_ended_after_a_switch_or_the_old_version_is_back() {
        let timings = Timings {
            switch_latency: Some(SimDuration::from_secs(60)),
            switch_latency_full: Some(SimDuration::from_secs(68)),
            detection_time: None,
            restore_time: Some(SimDuration::from_secs(40)),
        };
        // Switched at 915 s, the last old request ended in second 982: settled from 983.
        assert_eq!(timings.settled_s(&record(Some(915), None)), 983);
        // Aborted at 300 s, 99% back on the old version in second 339: settled from 340.
        assert_eq!(timings.settled_s(&record(None, Some(300))), 340);
        assert_eq!(timings.settled_s(&record(Some(100), Some(300))), 340);
        assert_eq!(Timings::default().settled_s(&record(None, None)), 0);
    }
}

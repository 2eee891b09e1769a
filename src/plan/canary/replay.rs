//! A judge replayed over a recording: what a canary phase of a given duration, judged
//! by a given analysis, would have decided in that rehearsal.
//!
//! The replay drives the controller's own judge ([`Judge`]) exactly as the controller
//! does during a canary step: it starts when the canary takes traffic, is observed at
//! each moment it asks for ([`Judge::next_check`]) with what each version did since the
//! previous observation (whole seconds, as the simulator's driver sums them), aborts
//! the step when the failure limit is reached, and at the end of the step fails it
//! unless the phase passed ([`Judge::passed`]: at least one pass, and passes in at least
//! half the checks). Nothing before the end of a step depends on how long the step
//! would have lasted, so one rehearsal of the longest step answers every shorter one.

use crate::engine::{SimDuration, SimTime};
use crate::model::observe::window_of;
use crate::rollout::analysis::{Baseline, Judge, Judgment};
use crate::scenario::rollout::AnalysisSpec;

use super::recording::Recording;

/// What a canary step decided in one rehearsal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decided {
    /// When, after the canary took traffic, the step failed (the failure limit reached,
    /// or an inconclusive end); `None` if it passed.
    pub(crate) failed_after: Option<SimDuration>,
    /// Requests the canary served until the step ended, and how many of them failed.
    pub(crate) canary_requests: u64,
    pub(crate) canary_errors: u64,
}

/// Replays `analysis` over `recording` for a step of `duration`; `None` if the canary
/// was not judged that long in the rehearsal.
pub(crate) fn replay(
    analysis: &AnalysisSpec,
    recording: &Recording,
    duration: SimDuration,
) -> Option<Decided> {
    if !recording.covers(duration) {
        return None;
    }
    let start = recording.judged_from?;
    let end = start + duration;
    let mut judge = Judge::new(
        analysis,
        recording.new_version,
        recording.old_version,
        start.into(),
        Baseline::default(),
    );
    let mut observed_s = window_of(start);
    let mut decided = Decided {
        failed_after: None,
        canary_requests: 0,
        canary_errors: 0,
    };
    loop {
        let now = SimTime::from(judge.next_check()).min(end);
        let now_s = window_of(now);
        let metrics = recording.metrics(observed_s, now_s);
        observed_s = now_s;
        if let Some((_, canary)) = metrics.iter().find(|(v, _)| *v == recording.new_version) {
            decided.canary_requests += canary.requests;
            decided.canary_errors += canary.errors;
        }
        if let Judgment::Abort(_) = judge.observe(now.into(), &metrics) {
            decided.failed_after = Some(now - start);
            return Some(decided);
        }
        if now >= end {
            if !judge.passed() {
                decided.failed_after = Some(duration);
            }
            return Some(decided);
        }
    }
}

//! A release: how a version of a layer's software behaves. Version 0 of every layer
//! is the model's baseline (healthy); rollouts add versions, healthy or defective.
//!
//! # Defects, and when they strike
//! - `error_rate`: a request fails with `error` after its own work (before its calls).
//! - `latency_factor`: service times are multiplied.
//! - `capacity_factor`: instances have that fraction of the workers (at least one).
//! - `leak`: an extra error rate that is 0 until `onset` of instance uptime, then rises
//!   linearly to `max_error_rate` over `ramp`; every request of a leaking instance is
//!   exposed, so a fresh instance is healthy and an old one is not.
//! - `crash_after`: each instance crashes that long after it is ready (a crash loop:
//!   its replacement crashes too).
//! - `affected_fraction` and `above_load` narrow the error and latency defects to a
//!   fraction of requests, or to requests that start while the instance's workers are
//!   at least that busy.
//!
//! Defect draws use their own random stream, and a healthy release draws nothing, so a
//! run with a healthy rollout sees the same traffic and service times as one without.

use rand::RngExt;

use crate::engine::{DurationDist, SimDuration, SimRng};
use crate::scenario::rollout::ReleaseSpec;

/// A version's behaviour, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Release {
    pub(crate) error_rate: f64,
    pub(crate) latency_factor: f64,
    pub(crate) capacity_factor: f64,
    /// `(onset, ramp, max error rate)`.
    pub(crate) leak: Option<(SimDuration, SimDuration, f64)>,
    pub(crate) crash_after: Option<DurationDist>,
    pub(crate) affected_fraction: f64,
    pub(crate) above_load: Option<f64>,
    /// Whether any per-request defect (error or latency) exists.
    per_request: bool,
}

impl Release {
    /// The baseline: no defect.
    pub(crate) fn healthy() -> Self {
        Release::new(&ReleaseSpec::default())
    }

    pub(crate) fn new(spec: &ReleaseSpec) -> Self {
        Release {
            error_rate: spec.error_rate,
            latency_factor: spec.latency_factor,
            capacity_factor: spec.capacity_factor,
            leak: spec
                .leak
                .as_ref()
                .map(|l| (l.onset, l.ramp, l.max_error_rate)),
            crash_after: spec.crash_after,
            affected_fraction: spec.affected_fraction,
            above_load: spec.above_load,
            per_request: spec.error_rate > 0.0 || spec.latency_factor != 1.0,
        }
    }

    /// Workers of an instance of this release, for a layer's `workers`.
    pub(crate) fn workers(&self, layer_workers: u32) -> u32 {
        ((layer_workers as f64 * self.capacity_factor).round() as u32).max(1)
    }

    /// Whether the error and latency defects hit a request starting on an instance
    /// whose workers are `busy_fraction` busy.
    #[inline]
    pub(crate) fn hits(&self, busy_fraction: f64, rng: &mut SimRng) -> bool {
        if !self.per_request {
            return false;
        }
        if self
            .above_load
            .is_some_and(|threshold| busy_fraction < threshold)
        {
            return false;
        }
        self.affected_fraction >= 1.0 || rng.random::<f64>() < self.affected_fraction
    }

    /// Probability that a request fails with `error` on an instance up for `uptime`.
    #[inline]
    pub(crate) fn error_probability(&self, hit: bool, uptime: SimDuration) -> f64 {
        let mut p = if hit { self.error_rate } else { 0.0 };
        if let Some((onset, ramp, max)) = self.leak
            && uptime > onset
        {
            let into = uptime.saturating_sub(onset).as_nanos_f64();
            let fraction = if ramp.is_zero() {
                1.0
            } else {
                (into / ramp.as_nanos_f64()).min(1.0)
            };
            p += max * fraction;
        }
        p.min(1.0)
    }

    /// Whether any request may fail with `error` (so a draw is needed).
    #[inline]
    pub(crate) fn may_fail(&self) -> bool {
        self.error_rate > 0.0 || self.leak.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::rollout::LeakSpec;

    #[test]
    fn a_leak_is_harmless_until_its_onset_then_ramps_up() {
        let release = Release::new(&ReleaseSpec {
            leak: Some(LeakSpec {
                onset: SimDuration::from_hours(1),
                ramp: SimDuration::from_mins(30),
                max_error_rate: 0.5,
            }),
            ..ReleaseSpec::default()
        });
        let p = |mins| release.error_probability(false, SimDuration::from_mins(mins));
        assert_eq!(p(59), 0.0);
        assert!((p(75) - 0.25).abs() < 1e-9);
        assert_eq!(p(200), 0.5);
    }

    #[test]
    fn a_capacity_regression_removes_workers_but_keeps_one() {
        let release = Release::new(&ReleaseSpec {
            capacity_factor: 0.5,
            ..ReleaseSpec::default()
        });
        assert_eq!(release.workers(8), 4);
        assert_eq!(release.workers(1), 1);
        assert_eq!(Release::healthy().workers(8), 8);
    }
}

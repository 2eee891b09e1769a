//! Judging the new version, interval by interval: threshold checks against absolute
//! limits and against the baseline version.
//!
//! # A check
//! Over one `interval`, the candidate's instances must have finished `min_requests`
//! requests, or the verdict is *no data* (never a pass). Then it fails if its error
//! rate exceeds `max_error_rate`, or the baseline's rate by more than
//! `max_error_rate_increase`, or if its p99 latency exceeds `max_latency_p99_ratio` ×
//! the baseline's. The baseline is the old version over the same interval when it had
//! traffic (a canary beside it), else the last interval in which it had (after a switch).
//!
//! With `judge = "mann-whitney"` the check is statistical instead ([`super::kayenta`]):
//! the judge keeps one point per `sample_interval` for each version and scores them.
//!
//! # Warm-up delay
//! Metrics of the first `delay` of a phase are not judged (new instances are still
//! cold); the first check covers the `interval` after it.
//!
//! # A phase
//! `failure_limit` failed checks abort the rollout at once: in a row within the phase
//! (`failure_counting = "consecutive"`, a pass resets the count), or in all since the
//! rollout began (`"total"`: the controller hands each phase's judge the failures so
//! far, see [`Judge::carrying`]). A phase (canary, bake) passes only if at least half
//! of its checks, and at least one, were passes.

use crate::scenario::rollout::{AnalysisSpec, FailureCounting, JudgeKind};

use super::platform::VersionMetrics;
use super::time::Instant;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Within every limit.
    Pass,
    /// Over a limit; why.
    Fail(String),
    /// Too few requests to tell.
    NoData(String),
    /// Between failing and passing (a statistical judge's marginal score): neither.
    Marginal(String),
}

/// One check of `candidate` against the limits and `baseline`.
pub fn check(
    spec: &AnalysisSpec,
    candidate: &VersionMetrics,
    baseline: Option<&VersionMetrics>,
) -> Verdict {
    if candidate.requests < spec.min_requests {
        return Verdict::NoData(format!(
            "{} requests, fewer than {}",
            candidate.requests, spec.min_requests
        ));
    }
    let rate = candidate.error_rate();
    if rate > spec.max_error_rate {
        return Verdict::Fail(format!(
            "error rate {:.2}% > {:.2}%",
            100.0 * rate,
            100.0 * spec.max_error_rate
        ));
    }
    if let Some(base) = baseline {
        let base_rate = base.error_rate();
        if rate > base_rate + spec.max_error_rate_increase {
            return Verdict::Fail(format!(
                "error rate {:.2}% > baseline {:.2}% + {:.2}%",
                100.0 * rate,
                100.0 * base_rate,
                100.0 * spec.max_error_rate_increase
            ));
        }
        if let (Some(p99), Some(base_p99)) = (
            candidate.latency.quantile(0.99),
            base.latency.quantile(0.99),
        ) {
            let limit = base_p99.as_secs_f64() * spec.max_latency_p99_ratio;
            if p99.as_secs_f64() > limit {
                return Verdict::Fail(format!(
                    "p99 {:.1}ms > {:.1}× baseline {:.1}ms",
                    p99.as_millis_f64(),
                    spec.max_latency_p99_ratio,
                    base_p99.as_millis_f64()
                ));
            }
        }
    }
    Verdict::Pass
}

/// "v1: 1180 requests, 0.08% errors, p99 84.5ms; v0: …" for the candidate and the
/// baseline (if it has a window).
fn measured(candidate: (u32, &VersionMetrics), baseline: Option<(u32, &VersionMetrics)>) -> String {
    let one = |(version, m): (u32, &VersionMetrics)| {
        let p99 = m.latency.quantile(0.99).map_or_else(
            || "no p99".to_string(),
            |d| format!("p99 {:.1}ms", d.as_millis_f64()),
        );
        format!(
            "v{version}: {} requests, {:.2}% errors, {p99}",
            m.requests,
            100.0 * m.error_rate()
        )
    };
    std::iter::once(candidate)
        .chain(baseline)
        .map(one)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the old version looked like when it last had traffic: the reference a judge
/// compares with when the old version serves nothing (after a switch).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Baseline {
    /// Its last interval with enough requests.
    pub(crate) window: Option<VersionMetrics>,
    /// Its last interval's per-sample points, if it had enough (statistical judge).
    pub(crate) samples: Vec<VersionMetrics>,
}

impl Baseline {
    /// `newer` where it has data, `self` elsewhere.
    pub(crate) fn updated_by(self, newer: Baseline) -> Baseline {
        Baseline {
            window: newer.window.or(self.window),
            samples: if newer.samples.is_empty() {
                self.samples
            } else {
                newer.samples
            },
        }
    }
}

/// The running judgment of one phase.
#[derive(Debug, Clone)]
pub(crate) struct Judge {
    spec: AnalysisSpec,
    candidate: u32,
    baseline: u32,
    /// Metrics accumulated in the current interval.
    candidate_window: VersionMetrics,
    baseline_window: VersionMetrics,
    /// The baseline's last interval with enough traffic (and enough points).
    reference: Baseline,
    /// Statistical judge: per-sample points of the current interval.
    candidate_samples: Vec<VersionMetrics>,
    baseline_samples: Vec<VersionMetrics>,
    /// Statistical judge: the current sample being filled, and when it ends.
    candidate_sample: VersionMetrics,
    baseline_sample: VersionMetrics,
    next_sample: Instant,
    next_check: Instant,
    /// Until when metrics are ignored (the warm-up delay), if still ahead.
    ignore_until: Option<Instant>,
    /// Failed checks that count toward the limit: in a row, or in all (with those of
    /// earlier phases handed on).
    failures: u32,
    pub(crate) passes: u32,
    pub(crate) checks: u32,
    /// What the last check measured, in words ([`measured`]).
    measured: String,
}

/// What a judge says after an observation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Judgment {
    /// No check was due.
    Quiet,
    /// A check ran; keep going.
    Checked(Verdict),
    /// A check ran and the failure limit is reached: abort.
    Abort(Verdict),
}

impl Judge {
    pub(crate) fn new(
        spec: &AnalysisSpec,
        candidate: u32,
        baseline: u32,
        now: Instant,
        reference: Baseline,
    ) -> Self {
        Judge {
            spec: spec.clone(),
            candidate,
            baseline,
            candidate_window: VersionMetrics::default(),
            baseline_window: VersionMetrics::default(),
            reference,
            candidate_samples: Vec::new(),
            baseline_samples: Vec::new(),
            candidate_sample: VersionMetrics::default(),
            baseline_sample: VersionMetrics::default(),
            next_sample: now + spec.delay + spec.sample_interval,
            next_check: if spec.delay.is_zero() {
                now + spec.interval
            } else {
                now + spec.delay
            },
            ignore_until: (!spec.delay.is_zero()).then_some(now + spec.delay),
            failures: 0,
            passes: 0,
            checks: 0,
            measured: String::new(),
        }
    }

    /// The judge of a phase that counts on from `failures` failed checks of the
    /// rollout's earlier phases (with `failure_counting = "total"`; a count in a row
    /// starts afresh with each phase).
    pub(crate) fn carrying(mut self, failures: u32) -> Self {
        if self.spec.failure_counting == FailureCounting::Total {
            self.failures = failures;
        }
        self
    }

    /// Failed checks counted toward the limit so far.
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    /// What the last check measured: each version's requests, error rate and p99 over
    /// its interval (the old version's last interval with enough traffic).
    pub(crate) fn measured(&self) -> &str {
        &self.measured
    }

    /// When the judge next needs an observation (a check, or a statistical sample).
    pub(crate) fn next_check(&self) -> Instant {
        match self.spec.judge {
            JudgeKind::Threshold => self.next_check,
            JudgeKind::MannWhitney if self.ignore_until.is_some() => self.next_check,
            JudgeKind::MannWhitney => self.next_check.min(self.next_sample),
        }
    }

    /// The baseline reference it holds (to hand on to the next phase's judge).
    pub(crate) fn reference(&self) -> Baseline {
        self.reference.clone()
    }

    /// Takes in the metrics of an observation and runs a check if one is due.
    pub(crate) fn observe(&mut self, now: Instant, metrics: &[(u32, VersionMetrics)]) -> Judgment {
        if let Some(until) = self.ignore_until {
            // Everything observed so far covers the warm-up: drop it.
            if now >= until {
                self.ignore_until = None;
                self.next_check = now + self.spec.interval;
                self.next_sample = now + self.spec.sample_interval;
            }
            return Judgment::Quiet;
        }
        for (version, m) in metrics {
            if *version == self.candidate {
                self.candidate_window.add(m);
                self.candidate_sample.add(m);
            } else if *version == self.baseline {
                self.baseline_window.add(m);
                self.baseline_sample.add(m);
            }
        }
        if now >= self.next_sample || now >= self.next_check {
            self.next_sample = now + self.spec.sample_interval;
            let c = std::mem::take(&mut self.candidate_sample);
            let b = std::mem::take(&mut self.baseline_sample);
            if c.requests > 0 {
                self.candidate_samples.push(c);
            }
            if b.requests > 0 {
                self.baseline_samples.push(b);
            }
        }
        if now < self.next_check {
            return Judgment::Quiet;
        }
        self.next_check = now + self.spec.interval;
        let baseline_window = std::mem::take(&mut self.baseline_window);
        if baseline_window.requests >= self.spec.min_requests {
            self.reference.window = Some(baseline_window);
        }
        let candidate = std::mem::take(&mut self.candidate_window);
        let candidate_samples = std::mem::take(&mut self.candidate_samples);
        let baseline_samples = std::mem::take(&mut self.baseline_samples);
        if baseline_samples.len() >= super::statistical_judge::MIN_POINTS {
            self.reference.samples = baseline_samples;
        }
        self.measured = measured(
            (self.candidate, &candidate),
            self.reference.window.as_ref().map(|w| (self.baseline, w)),
        );
        let verdict = match self.spec.judge {
            JudgeKind::Threshold => check(&self.spec, &candidate, self.reference.window.as_ref()),
            JudgeKind::MannWhitney if candidate.requests < self.spec.min_requests => {
                Verdict::NoData(format!(
                    "{} requests, fewer than {}",
                    candidate.requests, self.spec.min_requests
                ))
            }
            JudgeKind::MannWhitney => super::statistical_judge::judge(
                &self.spec,
                &candidate_samples,
                &self.reference.samples,
            ),
        };
        self.checks += 1;
        match &verdict {
            Verdict::Pass => {
                self.passes += 1;
                if self.spec.failure_counting == FailureCounting::Consecutive {
                    self.failures = 0;
                }
            }
            Verdict::Fail(_) => self.failures += 1,
            Verdict::NoData(_) | Verdict::Marginal(_) => {}
        }
        if self.failures >= self.spec.failure_limit {
            Judgment::Abort(verdict)
        } else {
            Judgment::Checked(verdict)
        }
    }

    /// Whether the phase so far counts as passed: at least one pass, and passes in at
    /// least half of the checks.
    pub(crate) fn passed(&self) -> bool {
        self.passes >= 1 && 2 * self.passes >= self.checks
    }

    /// "7/8 checks passed".
    pub(crate) fn tally(&self) -> String {
        format!("{}/{} checks passed", self.passes, self.checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn metrics(requests: u64, errors: u64, latency_ms: u64) -> VersionMetrics {
        let mut m = VersionMetrics {
            requests,
            errors,
            ..VersionMetrics::default()
        };
        for _ in 0..requests - errors {
            m.latency.record(SimDuration::from_millis(latency_ms));
        }
        m
    }

    #[test]
    fn no_data_is_not_a_pass() {
        let spec = AnalysisSpec::default();
        assert!(matches!(
            check(&spec, &metrics(10, 0, 5), None),
            Verdict::NoData(_)
        ));
        let mut judge = Judge::new(&spec, 1, 0, Instant::ZERO, Baseline::default());
        for minute in 1..=5 {
            let now = Instant::ZERO + SimDuration::from_mins(minute);
            judge.observe(now, &[(1, metrics(3, 0, 5))]);
        }
        assert_eq!(judge.checks, 5);
        assert!(
            !judge.passed(),
            "five checks without data do not pass a phase"
        );
    }

    #[test]
    fn error_rates_fail_absolutely_and_against_the_baseline() {
        let spec = AnalysisSpec::default(); // 1% absolute, +0.5% over baseline
        assert!(matches!(
            check(&spec, &metrics(1000, 20, 5), None),
            Verdict::Fail(_)
        ));
        assert_eq!(check(&spec, &metrics(1000, 8, 5), None), Verdict::Pass);
        let clean_baseline = metrics(1000, 0, 5);
        assert!(matches!(
            check(&spec, &metrics(1000, 8, 5), Some(&clean_baseline)),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn latency_fails_against_the_baseline_p99() {
        let spec = AnalysisSpec::default(); // 1.5×
        let baseline = metrics(1000, 0, 10);
        assert_eq!(
            check(&spec, &metrics(1000, 0, 14), Some(&baseline)),
            Verdict::Pass
        );
        assert!(matches!(
            check(&spec, &metrics(1000, 0, 16), Some(&baseline)),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn the_warm_up_delay_is_not_judged() {
        let spec = AnalysisSpec {
            delay: SimDuration::from_mins(5),
            ..AnalysisSpec::default()
        };
        let mut judge = Judge::new(&spec, 1, 0, Instant::ZERO, Baseline::default());
        let minute = |m| Instant::ZERO + SimDuration::from_mins(m);
        assert_eq!(judge.next_check(), minute(5));
        let cold = [(1, metrics(1000, 500, 5))];
        let warm = [(1, metrics(1000, 0, 5))];
        assert_eq!(judge.observe(minute(5), &cold), Judgment::Quiet);
        assert_eq!(judge.next_check(), minute(6));
        assert_eq!(
            judge.observe(minute(6), &warm),
            Judgment::Checked(Verdict::Pass)
        );
    }

    /// Argo Rollouts' `failureLimit` counts every failed measurement of the run
    /// (analysis/analysis.go: `result.Failed > failureLimit`), and Flagger's
    /// `threshold` every failed check of the canary (pkg/controller/scheduler.go:
    /// `FailedChecks+1` on a failed check, reset only when a new revision starts): a
    /// pass between two failures does not save the rollout.
    #[test]
    fn total_counting_aborts_on_failures_a_pass_apart_where_consecutive_does_not() {
        let minute = |m| Instant::ZERO + SimDuration::from_mins(m);
        let bad = [(1, metrics(1000, 100, 5)), (0, metrics(1000, 0, 5))];
        let good = [(1, metrics(1000, 0, 5)), (0, metrics(1000, 0, 5))];
        let run = |counting| {
            let spec = AnalysisSpec {
                failure_counting: counting,
                ..AnalysisSpec::default() // limit 2
            };
            let mut judge = Judge::new(&spec, 1, 0, Instant::ZERO, Baseline::default());
            [&bad, &good, &bad]
                .iter()
                .enumerate()
                .map(|(m, seen)| judge.observe(minute(m as u64 + 1), &seen[..]))
                .last()
                .expect("three checks")
        };
        assert!(matches!(
            run(FailureCounting::Consecutive),
            Judgment::Checked(Verdict::Fail(_))
        ));
        assert!(matches!(
            run(FailureCounting::Total),
            Judgment::Abort(Verdict::Fail(_))
        ));
        // In all: a later phase's judge counts on from the earlier phases' failures.
        let spec = AnalysisSpec {
            failure_counting: FailureCounting::Total,
            ..AnalysisSpec::default()
        };
        let mut judge = Judge::new(&spec, 1, 0, Instant::ZERO, Baseline::default()).carrying(1);
        assert!(matches!(judge.observe(minute(1), &bad), Judgment::Abort(_)));
        let consecutive = Judge::new(
            &AnalysisSpec::default(),
            1,
            0,
            Instant::ZERO,
            Baseline::default(),
        );
        assert_eq!(
            consecutive.carrying(1).failures(),
            0,
            "in a row starts afresh each phase"
        );
    }

    #[test]
    fn consecutive_failures_reach_the_limit_and_abort() {
        let spec = AnalysisSpec::default(); // limit 2
        let mut judge = Judge::new(&spec, 1, 0, Instant::ZERO, Baseline::default());
        let minute = |m| Instant::ZERO + SimDuration::from_mins(m);
        let bad = [(1, metrics(1000, 100, 5)), (0, metrics(1000, 0, 5))];
        assert!(matches!(
            judge.observe(minute(1), &bad),
            Judgment::Checked(Verdict::Fail(_))
        ));
        assert!(matches!(
            judge.observe(minute(2), &bad),
            Judgment::Abort(Verdict::Fail(_))
        ));
        // Between checks, nothing is judged.
        let mut judge = Judge::new(&spec, 1, 0, Instant::ZERO, Baseline::default());
        assert_eq!(
            judge.observe(Instant::ZERO + SimDuration::from_secs(30), &bad),
            Judgment::Quiet
        );
    }
}

//! The load generator's traffic, second by second: what the live metrics need of
//! every attempt and request, kept per one-second window
//! ([`crate::model::observe::window_of`]) as the simulator keeps its per-second series,
//! so a live run's memory grows with its length in seconds, not with its requests.
//!
//! # How the pieces move
//! 1. The load generator ([`super::load`]) hands each attempt and each request to the
//!    [`LoadTally`] as it ends: an attempt counts in the second it was sent (and for the
//!    version that answered it) and marks its version as finishing in the second it
//!    ended; a request counts, succeeded or failed, in the second it arrived, its
//!    latency (arrival to success) in that second's histogram.
//! 2. Records may arrive late (a request is recorded when its last retry ends), so any
//!    past second can still grow; the series is extended as far as needed.
//! 3. [`LoadTally::ending_at`] folds everything after the run's last window into it
//!    (attempts retried after traffic stopped), and [`super::metrics`] reads the
//!    rollout's metrics from the windows, through [`PerSecond`] for the timings.
//!
//! A window is a couple of kilobytes (a latency histogram exact to 0.1%, ~2 bytes per
//! touched bucket, and a couple of versions): 2 291 bytes a second at 1 000 requests a
//! second with retries (the test
//! `a_million_requests_are_kept_as_seconds_and_measure_as_every_record_does`, where the
//! records themselves took 78 MB), so ~25 MB for a 3 h run, and it grows with the
//! latencies a second touches, not with the rate.

use std::ops::Range;

use super::load::{Attempt, AttemptOutcome, RequestRecord};
use crate::metrics::PerSecond;
use crate::model::observe::window_of;
use crate::stats::LatencyHistogram;

/// One second of the load generator's traffic.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Second {
    /// Attempts sent in it.
    pub(crate) sent: u64,
    /// Of those, per version, answered by it.
    pub(crate) by_version: Vec<(u32, u64)>,
    /// Versions that finished an attempt (answered it, well or not) in it.
    pub(crate) finished: Vec<u32>,
    /// Requests that arrived in it and succeeded (after retries).
    pub(crate) succeeded: u64,
    /// Requests that arrived in it and failed for good.
    pub(crate) failed: u64,
    /// Arrival to success of the requests that arrived in it and succeeded.
    pub(crate) latency: LatencyHistogram,
}

impl Second {
    /// Adds `other`'s traffic to this second's.
    fn absorb(&mut self, other: &Second) {
        self.sent += other.sent;
        for &(version, n) in &other.by_version {
            self.answered(version, n);
        }
        for &version in &other.finished {
            self.finish(version);
        }
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.latency.merge(&other.latency);
    }

    fn answered(&mut self, version: u32, n: u64) {
        match self.by_version.iter_mut().find(|(v, _)| *v == version) {
            Some((_, count)) => *count += n,
            None => self.by_version.push((version, n)),
        }
    }

    fn finish(&mut self, version: u32) {
        if !self.finished.contains(&version) {
            self.finished.push(version);
        }
    }
}

/// The load generator's attempts and requests, per second of the run.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct LoadTally {
    seconds: Vec<Second>,
    attempts: u64,
    requests: u64,
    /// Arrivals sent well after their drawn time: the generator fell behind the rate.
    late: u64,
    /// Arrivals never sent: the run ended before the generator reached them.
    unsent: u64,
}

impl LoadTally {
    /// Counts an attempt that has ended.
    pub(crate) fn record_attempt(&mut self, attempt: &Attempt) {
        self.attempts += 1;
        let second = self.second_mut(window_of(attempt.start));
        second.sent += 1;
        let Some(version) = attempt.version else {
            return;
        };
        second.answered(version, 1);
        if matches!(attempt.outcome, AttemptOutcome::Ok | AttemptOutcome::Failed) {
            self.second_mut(window_of(attempt.end)).finish(version);
        }
    }

    /// Counts arrivals sent late (the generator behind its rate).
    pub(crate) fn count_late(&mut self, n: u64) {
        self.late += n;
    }

    /// Counts arrivals the run ended before sending.
    pub(crate) fn count_unsent(&mut self, n: u64) {
        self.unsent += n;
    }

    /// Arrivals sent late, and arrivals never sent, if the generator fell behind.
    pub(crate) fn behind(&self) -> Option<(u64, u64)> {
        (self.late + self.unsent > 0).then_some((self.late, self.unsent))
    }

    /// Counts a request that has succeeded or failed for good.
    pub(crate) fn record_request(&mut self, request: &RequestRecord) {
        self.requests += 1;
        let second = self.second_mut(window_of(request.start));
        if request.ok {
            second.succeeded += 1;
            second
                .latency
                .record(request.end.saturating_since(request.start));
        } else {
            second.failed += 1;
        }
    }

    /// Attempts counted.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Requests counted.
    pub(crate) fn requests(&self) -> u64 {
        self.requests
    }

    /// Bytes of memory the windows take (inline and on the heap).
    #[cfg(test)]
    pub(crate) fn memory_bytes(&self) -> usize {
        self.seconds.capacity() * std::mem::size_of::<Second>()
            + self
                .seconds
                .iter()
                .map(|s| {
                    s.by_version.capacity() * std::mem::size_of::<(u32, u64)>()
                        + s.finished.capacity() * std::mem::size_of::<u32>()
                        + s.latency
                            .memory_bytes()
                            .saturating_sub(std::mem::size_of::<LatencyHistogram>())
                })
                .sum::<usize>()
    }

    /// The windows kept (one per second up to the latest counted).
    #[cfg(test)]
    pub(crate) fn seconds(&self) -> &[Second] {
        &self.seconds
    }

    /// The tally of a run whose last window is `last`: exactly `last + 1` windows, the
    /// traffic counted after it (retries under way when traffic stopped) in the last.
    pub(crate) fn ending_at(mut self, last: usize) -> LoadTally {
        self.seconds
            .resize_with(self.seconds.len().max(last + 1), Second::default);
        let after = self.seconds.split_off(last + 1);
        let end = &mut self.seconds[last];
        for second in &after {
            end.absorb(second);
        }
        self
    }

    /// Attempts answered by `version`'s instances.
    pub(crate) fn answered_by(&self, version: u32) -> u64 {
        self.seconds
            .iter()
            .flat_map(|s| &s.by_version)
            .filter(|(v, _)| *v == version)
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests that arrived in `windows`: (succeeded, failed, latency of the successes).
    pub(crate) fn requests_in(&self, windows: Range<usize>) -> (u64, u64, LatencyHistogram) {
        let mut latency = LatencyHistogram::default();
        let (mut succeeded, mut failed) = (0, 0);
        let end = windows.end.min(self.seconds.len());
        for second in &self.seconds[windows.start.min(end)..end] {
            succeeded += second.succeeded;
            failed += second.failed;
            latency.merge(&second.latency);
        }
        (succeeded, failed, latency)
    }

    fn second_mut(&mut self, window: usize) -> &mut Second {
        if window >= self.seconds.len() {
            self.seconds.resize_with(window + 1, Second::default);
        }
        &mut self.seconds[window]
    }
}

impl PerSecond for LoadTally {
    fn windows(&self) -> usize {
        self.seconds.len()
    }

    fn share(&self, s: usize, filter: &dyn Fn(u32) -> bool) -> Option<f64> {
        let second = &self.seconds[s];
        let on: u64 = second
            .by_version
            .iter()
            .filter(|(v, _)| filter(*v))
            .map(|(_, n)| n)
            .sum();
        (second.sent > 0).then(|| on as f64 / second.sent as f64)
    }

    fn took(&self, s: usize, version: u32) -> bool {
        self.seconds[s]
            .by_version
            .iter()
            .any(|(v, n)| *v == version && *n > 0)
    }

    fn finished(&self, s: usize, version: u32) -> bool {
        self.seconds[s].finished.contains(&version)
    }
}

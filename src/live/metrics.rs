//! The rollout metrics of DESIGN.md §2 for a live run, measured from real requests:
//! the same [`RolloutMetrics`] (and so the same report) as a rehearsal's, filled through
//! the same [`Measured`] ([`crate::metrics`]) on the simulator's one-second windows
//! ([`crate::model::observe::window_of`]).
//!
//! # Where each number comes from
//! - Instances: the fleet's samples (processes alive, processes answering health
//!   checks), taken every few tens of milliseconds.
//! - Traffic shares (switch and restore): attempts by the second they were sent, each
//!   attributed to the version that answered it; attempts no instance answered
//!   (refused, timed out) count in the total and for no version, as in the simulator.
//!   The timings are then the simulator's, read from these seconds ([`Timings::of`]).
//! - Failed requests, availability, latency: the load generator's requests after
//!   retries. A live run has no twin without the rollout, so the baseline of
//!   `failed_requests` is the failure rate of the requests before the rollout began,
//!   over the requests since.

use crate::engine::SimDuration;
use crate::metrics::{Measured, PerSecond, RolloutMetrics, Slo, SloTally, Timings};
use crate::model::observe::window_of;
use crate::stats::LatencyHistogram;

use super::driver::LiveRun;
use super::load::AttemptOutcome;

/// One second of attempts.
#[derive(Debug, Default, Clone)]
struct Second {
    /// Attempts sent in it.
    sent: u64,
    /// Of those, per version, answered by it.
    by_version: Vec<(u32, u64)>,
    /// Versions that finished an attempt in it.
    finished: Vec<u32>,
}

impl PerSecond for Vec<Second> {
    fn windows(&self) -> usize {
        self.len()
    }

    fn share(&self, s: usize, filter: &dyn Fn(u32) -> bool) -> Option<f64> {
        let second = &self[s];
        let on: u64 = second
            .by_version
            .iter()
            .filter(|(v, _)| filter(*v))
            .map(|(_, n)| n)
            .sum();
        (second.sent > 0).then(|| on as f64 / second.sent as f64)
    }

    fn took(&self, s: usize, version: u32) -> bool {
        self[s]
            .by_version
            .iter()
            .any(|(v, n)| *v == version && *n > 0)
    }

    fn finished(&self, s: usize, version: u32) -> bool {
        self[s].finished.contains(&version)
    }
}

/// The metrics of `run`'s rollout.
pub(crate) fn live_metrics(run: &LiveRun, slo: Slo) -> RolloutMetrics {
    let record = &run.record;
    let end = run.end;
    let start = record.started_at.unwrap_or(end).min(end);
    let finish = record.finished_at.unwrap_or(end).clamp(start, end);
    let seconds = per_second(run);

    let last_before = run.fleet.iter().rev().find(|s| s.at < start);
    let before = last_before.map_or(record.baseline_size, |s| s.alive);
    let serving_before = last_before.map_or(record.baseline_size, |s| s.serving);
    let in_span: Vec<_> = run
        .fleet
        .iter()
        .filter(|s| s.at >= start && s.at <= finish)
        .collect();
    let peak = in_span.iter().map(|s| s.alive).max().unwrap_or(before);
    let min_serving = in_span
        .iter()
        .map(|s| s.serving)
        .min()
        .unwrap_or(serving_before);
    let alive_seconds: f64 = in_span
        .windows(2)
        .map(|w| f64::from(w[0].alive) * w[1].at.saturating_since(w[0].at).as_secs_f64())
        .sum();
    let span_seconds = finish.saturating_since(start).as_secs_f64();
    let extra_hours = (alive_seconds - f64::from(before) * span_seconds) / 3600.0;

    let timings = Timings::of(record, window_of(start), &seconds);
    let new = record.new_version;
    let bad_version_requests = run
        .records
        .attempts
        .iter()
        .filter(|a| a.version == Some(new))
        .count() as u64;

    let requests = &run.records.requests;
    let (before_ok, before_failed) = requests
        .iter()
        .filter(|r| r.start < start)
        .fold((0u64, 0u64), |(ok, failed), r| {
            (ok + u64::from(r.ok), failed + u64::from(!r.ok))
        });
    let since: Vec<_> = requests.iter().filter(|r| r.start >= start).collect();
    let failed_since = since.iter().filter(|r| !r.ok).count() as f64;
    let baseline_rate = if before_ok + before_failed == 0 {
        0.0
    } else {
        before_failed as f64 / (before_ok + before_failed) as f64
    };
    let failed_requests = (failed_since - baseline_rate * since.len() as f64).round() as i64;

    let mut service = SloTally::default();
    let mut minute_start = start;
    while minute_start < finish {
        let minute_end = (minute_start + SimDuration::from_secs(60)).min(finish);
        let mut minute_latency = LatencyHistogram::default();
        let (mut ok, mut all) = (0u64, 0u64);
        for r in since
            .iter()
            .filter(|r| r.start >= minute_start && r.start < minute_end)
        {
            all += 1;
            if r.ok {
                ok += 1;
                minute_latency.record(r.end.saturating_since(r.start));
            }
        }
        service.add_minute(ok, all, &minute_latency, slo);
        minute_start = minute_end;
    }

    Measured {
        peak,
        before,
        serving_before,
        min_serving,
        extra_hours,
        timings,
        failed_requests,
        bad_version_requests,
        downstream_rate_ratio: None,
        service,
    }
    .into_metrics(record, slo)
}

/// Attempts by second.
fn per_second(run: &LiveRun) -> Vec<Second> {
    let mut seconds = vec![Second::default(); window_of(run.end) + 1];
    for attempt in &run.records.attempts {
        let sent = window_of(attempt.start).min(seconds.len() - 1);
        seconds[sent].sent += 1;
        let Some(version) = attempt.version else {
            continue;
        };
        let by_version = &mut seconds[sent].by_version;
        match by_version.iter_mut().find(|(v, _)| *v == version) {
            Some((_, n)) => *n += 1,
            None => by_version.push((version, 1)),
        }
        if matches!(attempt.outcome, AttemptOutcome::Ok | AttemptOutcome::Failed) {
            let done = window_of(attempt.end).min(seconds.len() - 1);
            if !seconds[done].finished.contains(&version) {
                seconds[done].finished.push(version);
            }
        }
    }
    seconds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::live::fleet::FleetSample;
    use crate::live::load::{Attempt, RequestRecord};
    use crate::rollout::{Outcome, RolloutRecord};
    use crate::scenario::rollout::Strategy;

    fn at(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    /// A red/black switch at 3 s: v0 answers until 3.4 s, v1 from 3.2 s.
    fn run() -> LiveRun {
        let mut attempts = Vec::new();
        let mut requests = Vec::new();
        for ms in (0..6000).step_by(10) {
            let version = if ms < 3300 { 0 } else { 1 };
            attempts.push(Attempt {
                start: at(ms),
                end: at(ms + 5),
                outcome: AttemptOutcome::Ok,
                version: Some(version),
                instance_time: Some(SimDuration::from_millis(4)),
            });
            requests.push(RequestRecord {
                start: at(ms),
                end: at(ms + 5),
                ok: ms != 4000,
            });
        }
        let fleet = [
            (0, 4, 4),
            (1500, 4, 4),
            (2000, 8, 4),
            (3000, 8, 8),
            (5000, 4, 4),
        ]
        .into_iter()
        .map(|(ms, alive, serving)| FleetSample {
            at: at(ms),
            alive,
            serving,
        })
        .collect();
        LiveRun {
            record: RolloutRecord {
                layer: "web".into(),
                strategy: Strategy::RedBlack,
                old_version: 0,
                new_version: 1,
                started_at: Some(at(2000)),
                baseline_size: 4,
                switched_at: Some(at(3000)),
                aborted_at: None,
                abort_reason: None,
                rollback_path: None,
                finished_at: Some(at(5000)),
                outcome: Outcome::Promoted,
                timeline: Vec::new(),
            },
            records: crate::live::load::Records { attempts, requests },
            fleet,
            end: at(6000),
            frontend: "127.0.0.1:1".parse().expect("an address"),
        }
    }

    #[test]
    fn metrics_come_from_requests_and_fleet_samples() {
        let slo = Slo {
            instance_hour_price: None,
            availability: 0.999,
            latency_p99: SimDuration::from_millis(100),
        };
        let m = live_metrics(&run(), slo);
        assert_eq!(m.outcome, Outcome::Promoted);
        assert!((m.peak_instances_ratio - 2.0).abs() < 1e-9);
        assert!((m.min_serving_ratio - 1.0).abs() < 1e-9);
        // Second 3 (3.0–4.0 s) is 70% v1; second 4 is all v1: 2 s after the switch.
        assert_eq!(m.switch_latency, Some(SimDuration::from_secs(2)));
        assert_eq!(m.switch_latency_full, Some(SimDuration::from_secs(2)));
        assert_eq!(m.rollout_duration, Some(SimDuration::from_secs(3)));
        assert_eq!(m.failed_requests, 1);
        assert_eq!(m.bad_version_requests, 270);
        assert_eq!(m.detection_time, None);
        assert_eq!(m.latency_p50.map(|d| d.as_millis_f64().round()), Some(5.0));
        assert_eq!(
            m.minutes_in_slo_breach, 1,
            "one failure in 300 breaks 99.9%"
        );
    }
}

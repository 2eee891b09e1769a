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
//!   retries, by the second they arrived in. A live run has no twin without the
//!   rollout, so the baseline of `failed_requests` is the failure rate of the requests
//!   that arrived before the rollout's first second, over the requests since.
//!
//! Every traffic figure is read from the load generator's per-second [`LoadTally`],
//! never from individual requests, which a live run does not keep.
//!
//! [`LoadTally`]: super::tally::LoadTally

use crate::engine::SimTime;
use crate::metrics::{Measured, PerSecond, RolloutMetrics, Slo, SloTally, Timings};
use crate::model::observe::window_of;

use super::driver::LiveRun;

/// The metrics of `run`'s rollout.
pub(crate) fn live_metrics(run: &LiveRun, slo: Slo, release_defective: bool) -> RolloutMetrics {
    let record = &run.record;
    let end = run.end;
    let start = record.started_at.map_or(end, SimTime::from).min(end);
    let finish = record
        .finished_at
        .map_or(end, SimTime::from)
        .clamp(start, end);

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

    // The traffic's figures on the simulator's windows: the rollout's from the second
    // it started in to the second it finished in, or its traffic settled in if later
    // (as `rehearsal::metrics` reads them).
    let traffic = &run.load;
    let (start_s, finish_s) = (window_of(start), window_of(finish));
    let timings = Timings::of(record, start_s, traffic);
    let new_version_requests = traffic.answered_by(record.new_version);

    let (before_ok, before_failed, _) = traffic.requests_in(0..start_s);
    let (ok_since, failed_since, _) = traffic.requests_in(start_s..traffic.windows());
    let baseline_rate = if before_ok + before_failed == 0 {
        0.0
    } else {
        before_failed as f64 / (before_ok + before_failed) as f64
    };
    let failed_requests =
        (failed_since as f64 - baseline_rate * (ok_since + failed_since) as f64).round() as i64;

    let mut service = SloTally::default();
    let settled_s = finish_s
        .max(timings.settled_s(record))
        .min(traffic.windows().max(finish_s));
    for minute in (start_s..settled_s).step_by(60) {
        let (ok, failed, latency) = traffic.requests_in(minute..(minute + 60).min(settled_s));
        service.add_minute(ok, ok + failed, &latency, slo);
    }

    Measured {
        peak,
        before,
        serving_before,
        min_serving,
        extra_hours,
        timings,
        failed_requests,
        new_version_requests,
        release_defective,
        downstream_rate_ratio: None,
        service,
    }
    .into_metrics(record, slo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RngStreams, SimDuration, SimTime};
    use crate::live::fleet::FleetSample;
    use crate::live::load::{Attempt, AttemptOutcome, RequestRecord};
    use crate::live::tally::LoadTally;
    use crate::rollout::{Outcome, RolloutRecord};
    use crate::scenario::rollout::Strategy;
    use crate::stats::LatencyHistogram;
    use rand::RngExt;

    fn at(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    /// The tally of a run ending at `end`, fed in order of ending as the generator
    /// feeds it.
    fn tally(attempts: &[Attempt], requests: &[RequestRecord], end: SimTime) -> LoadTally {
        let mut tally = LoadTally::default();
        let mut attempts: Vec<_> = attempts.iter().collect();
        attempts.sort_by_key(|a| a.end);
        let mut requests: Vec<_> = requests.iter().collect();
        requests.sort_by_key(|r| r.end);
        for attempt in attempts {
            tally.record_attempt(attempt);
        }
        for request in requests {
            tally.record_request(request);
        }
        tally.ending_at(window_of(end))
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
                started_at: Some(at(2000).into()),
                baseline_size: 4,
                switched_at: Some(at(3000).into()),
                aborted_at: None,
                abort_reason: None,
                rollback_path: None,
                finished_at: Some(at(5000).into()),
                judged_from: Vec::new(),
                outcome: Outcome::Promoted,
                timeline: Vec::new(),
            },
            load: tally(&attempts, &requests, at(6000)),
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
        let m = live_metrics(&run(), slo, false);
        assert_eq!(m.outcome, Outcome::Promoted);
        assert!((m.peak_instances_ratio - 2.0).abs() < 1e-9);
        assert!((m.min_serving_ratio - 1.0).abs() < 1e-9);
        // Second 3 (3.0–4.0 s) is 70% v1; second 4 is all v1: 2 s after the switch.
        assert_eq!(m.switch_latency, Some(SimDuration::from_secs(2)));
        assert_eq!(m.switch_latency_full, Some(SimDuration::from_secs(2)));
        assert_eq!(m.rollout_duration, Some(SimDuration::from_secs(3)));
        assert_eq!(m.failed_requests, 1);
        assert_eq!(m.new_version_requests, 270);
        assert_eq!(m.detection_time, None);
        assert_eq!(m.latency_p50.map(|d| d.as_millis_f64().round()), Some(5.0));
        assert_eq!(
            m.minutes_in_slo_breach, 1,
            "one failure in 300 breaks 99.9%"
        );
    }

    /// `n` requests, one a millisecond from time zero, through a red/black switch: each
    /// with up to two retries, 0.5% of attempts timing out unanswered, the new version
    /// failing 20% of attempts; latencies exponential around 5 ms.
    fn many_requests(n: u64, switch_ms: u64) -> (Vec<Attempt>, Vec<RequestRecord>) {
        let mut rng = RngStreams::new(11).stream("synthetic-requests");
        let mut exp_ms = |mean: f64| -> SimDuration {
            let u: f64 = rng.random::<f64>();
            SimDuration::from_secs_f64(-mean * (1.0 - u).ln() / 1000.0)
        };
        let (mut attempts, mut requests) = (Vec::new(), Vec::new());
        for i in 0..n {
            let arrival = at(i);
            let mut sent = arrival;
            let mut ok = false;
            for _ in 0..3 {
                let draw = exp_ms(1000.0).as_millis_f64();
                let version = if sent < at(switch_ms) { 0 } else { 1 };
                let (outcome, version, time) = if draw < 5.0 {
                    (AttemptOutcome::Timeout, None, SimDuration::from_millis(100))
                } else if version == 1 && draw < 200.0 {
                    (AttemptOutcome::Failed, Some(1), SimDuration::from_millis(1))
                } else {
                    (AttemptOutcome::Ok, Some(version), exp_ms(5.0))
                };
                attempts.push(Attempt {
                    start: sent,
                    end: sent + time,
                    outcome,
                    version,
                    instance_time: version.map(|_| time),
                });
                ok = outcome == AttemptOutcome::Ok;
                if ok {
                    break;
                }
                sent = sent + time + SimDuration::from_millis(10);
            }
            let end = attempts.last().expect("an attempt").end;
            requests.push(RequestRecord {
                start: arrival,
                end,
                ok,
            });
        }
        (attempts, requests)
    }

    /// The traffic's metrics computed request by request from every record: the
    /// definitions of DESIGN.md §2 on the simulator's one-second windows, as the live
    /// mode computed them when it kept every record.
    fn from_every_record(
        run: &LiveRun,
        attempts: &[Attempt],
        requests: &[RequestRecord],
        slo: Slo,
    ) -> RolloutMetrics {
        /// One second: attempts sent, of those per version, versions finishing one.
        type Second = (u64, Vec<(u32, u64)>, Vec<u32>);
        struct Records(Vec<Second>);
        impl PerSecond for Records {
            fn windows(&self) -> usize {
                self.0.len()
            }
            fn share(&self, s: usize, filter: &dyn Fn(u32) -> bool) -> Option<f64> {
                let (sent, by_version, _) = &self.0[s];
                let on: u64 = by_version
                    .iter()
                    .filter(|(v, _)| filter(*v))
                    .map(|(_, n)| n)
                    .sum();
                (*sent > 0).then(|| on as f64 / *sent as f64)
            }
            fn took(&self, s: usize, version: u32) -> bool {
                self.0[s].1.iter().any(|(v, n)| *v == version && *n > 0)
            }
            fn finished(&self, s: usize, version: u32) -> bool {
                self.0[s].2.contains(&version)
            }
        }
        let last = window_of(run.end);
        let mut seconds = Records(vec![(0, Vec::new(), Vec::new()); last + 1]);
        for a in attempts {
            let sent = &mut seconds.0[window_of(a.start).min(last)];
            sent.0 += 1;
            let Some(version) = a.version else { continue };
            match sent.1.iter_mut().find(|(v, _)| *v == version) {
                Some((_, n)) => *n += 1,
                None => sent.1.push((version, 1)),
            }
            let done = &mut seconds.0[window_of(a.end).min(last)].2;
            if matches!(a.outcome, AttemptOutcome::Ok | AttemptOutcome::Failed)
                && !done.contains(&version)
            {
                done.push(version);
            }
        }
        let record = &run.record;
        let start_s = window_of(record.started_at.expect("started").into());
        let finish_s = window_of(record.finished_at.expect("finished").into());
        let in_windows = |from: usize, to: usize| {
            requests
                .iter()
                .filter(move |r| (from..to).contains(&window_of(r.start)))
        };
        let failed = |from, to| in_windows(from, to).filter(|r| !r.ok).count() as f64;
        let all = |from, to| in_windows(from, to).count() as f64;
        let baseline_rate = failed(0, start_s) / all(0, start_s);
        let mut service = SloTally::default();
        for minute in (start_s..finish_s).step_by(60) {
            let mut latency = LatencyHistogram::default();
            let (mut ok, mut every) = (0, 0);
            for r in in_windows(minute, (minute + 60).min(finish_s)) {
                every += 1;
                if r.ok {
                    ok += 1;
                    latency.record(r.end.saturating_since(r.start));
                }
            }
            service.add_minute(ok, every, &latency, slo);
        }
        Measured {
            peak: 0,
            before: 0,
            serving_before: 0,
            min_serving: 0,
            extra_hours: 0.0,
            timings: Timings::of(record, start_s, &seconds),
            failed_requests: (failed(start_s, usize::MAX)
                - baseline_rate * all(start_s, usize::MAX))
            .round() as i64,
            release_defective: false,
            new_version_requests: attempts
                .iter()
                .filter(|a| a.version == Some(record.new_version))
                .count() as u64,
            downstream_rate_ratio: None,
            service,
        }
        .into_metrics(record, slo)
    }

    #[test]
    fn a_million_requests_are_kept_as_seconds_and_measure_as_every_record_does() {
        const REQUESTS: u64 = 1_000_000;
        let (attempts, requests) = many_requests(REQUESTS, 400_700);
        // Traffic stops as the last request arrives; its retries end after.
        let end = at(REQUESTS - 1);
        let mut run = run();
        run.record.started_at = Some(at(200_300).into());
        run.record.switched_at = Some(at(400_700).into());
        run.record.finished_at = Some(at(700_200).into());
        run.end = end;
        run.load = tally(&attempts, &requests, end);

        // Memory: one window per second of the run, whatever the requests.
        let seconds = run.load.seconds().len();
        assert_eq!(seconds, window_of(end) + 1);
        assert_eq!(run.load.requests(), REQUESTS);
        assert_eq!(run.load.attempts(), attempts.len() as u64);
        let bytes_per_second = run.load.memory_bytes() / seconds;
        let record_bytes = attempts.len() * std::mem::size_of::<Attempt>()
            + requests.len() * std::mem::size_of::<RequestRecord>();
        assert!(
            bytes_per_second < 3072 && run.load.memory_bytes() * 20 < record_bytes,
            "{bytes_per_second} bytes a second; {record_bytes} bytes of records"
        );

        let slo = Slo {
            instance_hour_price: None,
            availability: 0.999,
            latency_p99: SimDuration::from_millis(30),
        };
        let live = live_metrics(&run, slo, false);
        let reference = from_every_record(&run, &attempts, &requests, slo);
        // Every traffic figure; the fleet's come from the samples, not the tally.
        assert_eq!(live.switch_latency, reference.switch_latency);
        assert_eq!(live.switch_latency_full, reference.switch_latency_full);
        assert_eq!(live.detection_time, reference.detection_time);
        assert_eq!(live.restore_time, reference.restore_time);
        assert_eq!(live.failed_requests, reference.failed_requests);
        assert_eq!(live.new_version_requests, reference.new_version_requests);
        assert_eq!(live.availability, reference.availability);
        // Histograms merge bucket by bucket: the quantiles are the full records' own.
        assert_eq!(live.latency_p50, reference.latency_p50);
        assert_eq!(live.latency_p99, reference.latency_p99);
        assert_eq!(live.latency_p999, reference.latency_p999);
        assert_eq!(live.minutes_in_slo_breach, reference.minutes_in_slo_breach);
        // And the run was one worth measuring: a switch, failures, breaches.
        assert!(live.switch_latency.is_some() && live.failed_requests > 0);
        assert!(live.minutes_in_slo_breach > 0 && live.availability < 1.0);
    }
}

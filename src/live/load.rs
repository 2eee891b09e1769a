//! The load generator: the layer's callers, live. Open-loop arrivals at the model's
//! rate through HAProxy, each request with the model client's timeout, retries,
//! backoff and retry budget; every attempt and every request counted, second by
//! second ([`super::tally`]), not kept.
//!
//! # How it runs
//! 1. Arrival times come from the simulator's own arrival process
//!    ([`crate::model::traffic`]: Poisson within one-second steps of the model's rate
//!    curve), drawn ahead and slept to on the run's [`Clock`]: open loop, so a slow
//!    system does not slow the arrivals.
//! 2. Each request is a task: an attempt is one HTTP GET through HAProxy on loopback,
//!    given up after the client's timeout; a failed attempt is retried after the
//!    model's backoff (the simulator's [`crate::model::client::retry_delay`]) while
//!    retries and the budget allow.
//! 3. Each attempt is recorded when it ends: start, end, outcome, the version that
//!    served it (the instance's `x-version` header) and its time on the instance
//!    (`x-instance-us`); each request with its outcome after retries. Both are
//!    counted at once in the run's [`LoadTally`]; the attempt is also queued for the
//!    driver, which takes the queue every tick for the controller's observations.
//! 4. [`LoadGenerator::stop_at`] ends arrivals at a time; [`LoadGenerator::finish`]
//!    waits for the requests under way and returns the tally.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinSet;

use super::clock::Clock;
use super::instance::{INSTANCE_TIME_HEADER, VERSION_HEADER};
use super::tally::LoadTally;
use crate::engine::{RngStreams, SimDuration, SimTime};
use crate::model::client::{RetryBudget, retry_delay};
use crate::model::traffic::TrafficCurve;
use crate::scenario::client::ClientSpec;
use crate::scenario::traffic::TrafficSpec;

/// Most requests under way at once; arrivals beyond it are recorded as failed at once
/// (a limit on the generator's own memory, far above the rates live mode is meant for).
const MAX_IN_FLIGHT: usize = 20_000;

/// An arrival sent this much after its drawn time counts as late.
const LATE: SimDuration = SimDuration::from_millis(100);

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// 2xx from an instance.
    Ok,
    /// An error answered by an instance (500, or 503 shed or booting).
    Failed,
    /// Refused by the balancer (no server in rotation: 503 without a version).
    Refused,
    /// The client gave up after its timeout.
    Timeout,
    /// The connection failed.
    Reset,
}

/// One attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attempt {
    /// When it was sent.
    pub(crate) start: SimTime,
    /// When it ended.
    pub(crate) end: SimTime,
    /// How.
    pub(crate) outcome: AttemptOutcome,
    /// The version that answered, if an instance did.
    pub(crate) version: Option<u32>,
    /// Time on the instance, if it answered.
    pub(crate) instance_time: Option<SimDuration>,
}

/// One request, after its retries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequestRecord {
    /// Its arrival.
    pub(crate) start: SimTime,
    /// When it succeeded or failed for good.
    pub(crate) end: SimTime,
    /// Whether it succeeded.
    pub(crate) ok: bool,
}

/// What the generator saw: every attempt and request counted per second, and the
/// attempts the driver has not taken yet.
#[derive(Debug, Clone, Default)]
pub(crate) struct Records {
    /// Every attempt and request, per second.
    pub(crate) tally: LoadTally,
    /// Attempts ended since the driver last took them, in order of ending.
    pub(crate) unobserved: Vec<Attempt>,
}

impl Records {
    fn attempt(&mut self, attempt: Attempt) {
        self.tally.record_attempt(&attempt);
        self.unobserved.push(attempt);
    }
}

/// Records shared between the generator's tasks and the driver.
pub(crate) type SharedRecords = Arc<Mutex<Records>>;

/// A running load generator.
pub(crate) struct LoadGenerator {
    records: SharedRecords,
    stop_ns: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

/// What the callers do.
#[derive(Debug, Clone)]
pub(crate) struct LoadSpec {
    /// HAProxy's frontend.
    pub(crate) target: SocketAddr,
    /// The arrival rate over time.
    pub(crate) traffic: TrafficSpec,
    /// Timeout, retries, backoff.
    pub(crate) client: ClientSpec,
    /// Seed of the arrival and backoff streams.
    pub(crate) seed: u64,
    /// No arrival at or after this time, whatever `stop_at` says.
    pub(crate) end: SimTime,
}

impl LoadGenerator {
    /// Starts arrivals now (time zero of `clock` should be about now).
    pub(crate) fn start(spec: LoadSpec, clock: Clock) -> LoadGenerator {
        let records = SharedRecords::default();
        let stop_ns = Arc::new(AtomicU64::new(spec.end.as_nanos()));
        let task = tokio::spawn(arrivals(
            spec,
            clock,
            Arc::clone(&records),
            Arc::clone(&stop_ns),
        ));
        LoadGenerator {
            records,
            stop_ns,
            task,
        }
    }

    /// The records so far (shared: the driver takes the attempts from it).
    pub(crate) fn records(&self) -> &SharedRecords {
        &self.records
    }

    /// No arrival at or after `at`.
    pub(crate) fn stop_at(&self, at: SimTime) {
        self.stop_ns.fetch_min(at.as_nanos(), Ordering::SeqCst);
    }

    /// Waits for the requests under way and returns the traffic, per second.
    pub(crate) async fn finish(mut self) -> LoadTally {
        let _ = (&mut self.task).await;
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut records.tally)
    }
}

impl Drop for LoadGenerator {
    /// A generator given up (a failed or interrupted run) stops at once: its arrivals
    /// and the requests under way (the arrivals task's `JoinSet` aborts them), rather
    /// than sending traffic into the balancer while it is being shut down.
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn arrivals(spec: LoadSpec, clock: Clock, records: SharedRecords, stop_ns: Arc<AtomicU64>) {
    let streams = RngStreams::new(spec.seed);
    let mut rng = streams.stream("live-arrivals");
    let mut curve = TrafficCurve::new(&spec.traffic);
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let uri: hyper::Uri = format!("http://{}/", spec.target)
        .parse()
        .expect("a loopback address is a valid URI");
    let budget = Arc::new(Mutex::new(RetryBudget::new(spec.client.retry_budget)));
    let client_spec = Arc::new(spec.client.clone());
    let mut tasks = JoinSet::new();
    let mut now = SimTime::ZERO;
    let mut index = 0u64;
    loop {
        let stop = SimTime::from_nanos(stop_ns.load(Ordering::SeqCst)).min(spec.end);
        let Some(at) = curve.next_arrival(now, stop, &mut rng) else {
            break;
        };
        now = at;
        // A generator that cannot keep up with the rate stops at the run's end all the
        // same, and counts what it sent late (the run reports it).
        let late_by = clock.now().saturating_since(at);
        if clock.now() >= stop {
            lock(&records).tally.count_unsent(1);
            break;
        }
        if late_by > LATE {
            lock(&records).tally.count_late(1);
        }
        tokio::time::sleep_until(clock.instant(at)).await;
        while tasks.try_join_next().is_some() {}
        if tasks.len() >= MAX_IN_FLIGHT {
            lock(&records).tally.record_request(&RequestRecord {
                start: at,
                end: clock.now().max(at),
                ok: false,
            });
            continue;
        }
        let call = Call {
            client: client.clone(),
            uri: uri.clone(),
            spec: Arc::clone(&client_spec),
            budget: Arc::clone(&budget),
            records: Arc::clone(&records),
            clock,
            rng_seed: (spec.seed, index),
            arrival: at,
        };
        index += 1;
        tasks.spawn(call.run());
    }
    while tasks.join_next().await.is_some() {}
}

/// One request's work.
struct Call {
    client: Client<HttpConnector, Empty<Bytes>>,
    uri: hyper::Uri,
    spec: Arc<ClientSpec>,
    budget: Arc<Mutex<RetryBudget>>,
    records: SharedRecords,
    clock: Clock,
    rng_seed: (u64, u64),
    /// When the request arrives, as drawn (the generator may wake a little later).
    arrival: SimTime,
}

impl Call {
    async fn run(self) {
        // The request's time runs from its drawn arrival: a generator or runtime
        // running late delays the send, and that delay is the request's, as in the
        // simulator, not hidden from its latency.
        let start = self.arrival;
        lock(&self.budget).deposit();
        let mut rng =
            RngStreams::new(self.rng_seed.0).indexed_stream("live-retries", self.rng_seed.1);
        let mut previous_wait = SimDuration::ZERO;
        let mut retry = 0u32;
        let ok = loop {
            let attempt = self.attempt().await;
            let ok = attempt.outcome == AttemptOutcome::Ok;
            lock(&self.records).attempt(attempt);
            if ok {
                break true;
            }
            if retry >= self.spec.retries || !lock(&self.budget).try_withdraw() {
                break false;
            }
            retry += 1;
            let wait = retry_delay(&self.spec, retry, previous_wait, &mut rng);
            previous_wait = wait;
            tokio::time::sleep(std::time::Duration::from_nanos(wait.as_nanos())).await;
        };
        let end = self.clock.now();
        lock(&self.records)
            .tally
            .record_request(&RequestRecord { start, end, ok });
    }

    async fn attempt(&self) -> Attempt {
        let start = self.clock.now();
        let request = hyper::Request::get(self.uri.clone())
            .body(Empty::new())
            .expect("a valid request");
        let exchange = async {
            let response = self.client.request(request).await?;
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
            };
            let version = header(VERSION_HEADER).and_then(|v| u32::try_from(v).ok());
            let micros = header(INSTANCE_TIME_HEADER);
            let status = response.status();
            response.into_body().collect().await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, version, micros))
        };
        let timeout = std::time::Duration::from_nanos(self.spec.timeout.as_nanos());
        let (outcome, version, instance_time) = match tokio::time::timeout(timeout, exchange).await
        {
            Err(_) => (AttemptOutcome::Timeout, None, None),
            Ok(Err(_)) => (AttemptOutcome::Reset, None, None),
            Ok(Ok((status, version, micros))) => {
                let outcome = match (status.is_success(), version) {
                    (true, _) => AttemptOutcome::Ok,
                    (false, Some(_)) => AttemptOutcome::Failed,
                    (false, None) => AttemptOutcome::Refused,
                };
                (outcome, version, micros.map(SimDuration::from_micros))
            }
        };
        Attempt {
            start,
            end: self.clock.now(),
            outcome,
            version,
            instance_time,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_counts_from_its_drawn_arrival_not_from_when_it_was_sent() {
        let target = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port");
        let clock = Clock::starting_now();
        // Into the run's second second: the attempt's window is not the arrival's.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let records = SharedRecords::default();
        let client = ClientSpec {
            retries: 0,
            ..ClientSpec::default()
        };
        let call = Call {
            client: Client::builder(TokioExecutor::new()).build_http(),
            uri: format!("http://{target}/").parse().expect("a URI"),
            spec: Arc::new(client),
            budget: Arc::new(Mutex::new(RetryBudget::new(None))),
            records: Arc::clone(&records),
            clock,
            rng_seed: (1, 0),
            arrival: SimTime::from_nanos(20_000_000),
        };
        call.run().await;
        let records = lock(&records);
        assert_eq!((records.tally.requests(), records.tally.attempts()), (1, 1));
        // Sent ~1.1 s late: the request counts in the second of its arrival (it failed:
        // nobody listens), its attempt in the second it was sent.
        let seconds = records.tally.seconds();
        assert_eq!((seconds[0].failed, seconds[0].sent), (1, 0));
        assert_eq!((seconds[1].failed, seconds[1].sent), (0, 1));
        assert!(records.unobserved[0].start >= SimTime::from_nanos(1_100_000_000));
    }

    #[tokio::test]
    async fn a_dropped_generator_sends_nothing_more() {
        // A port nobody listens on: every attempt fails at once, and is recorded.
        let target = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port");
        let traffic: TrafficSpec = toml::from_str("rate = 2000").expect("a traffic section");
        let spec = LoadSpec {
            target,
            traffic,
            client: ClientSpec::default(),
            seed: 1,
            end: SimTime::ZERO + SimDuration::from_secs(600),
        };
        let generator = LoadGenerator::start(spec, Clock::starting_now());
        let records = Arc::clone(generator.records());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(generator);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let count = || lock(&records).tally.attempts();
        let after_drop = count();
        assert!(after_drop > 0, "the generator sent traffic before the drop");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(count(), after_drop, "no attempt after the drop");
        // Only the test holds the records now: the tasks are gone.
        assert_eq!(Arc::strong_count(&records), 1);
    }
}

//! An instance, live: `rollsim instance --version V --port P …`, a small HTTP service on
//! loopback that behaves as a model's instance of a release.
//!
//! # Lifecycle
//! 1. It binds `127.0.0.1:P` at once (`--port 0`: any free port) and prints
//!    `listening on 127.0.0.1:PORT` on stdout, so whoever started it knows the port.
//! 2. It boots for `--boot-time` (launch and boot, as the model draws them): meanwhile
//!    `/health` and every request answer 503.
//! 3. Booted, `/health` answers 200 and requests are served as a queueing station:
//!    `workers` slots (× the release's `capacity_factor`), a FCFS wait for a slot of at
//!    most `queue_capacity` requests (beyond it: 503, shed), a service time drawn from
//!    `--service-time` and held on a slot (slower while warming: `warmup_slowdown`×,
//!    easing to 1× over `warmup`). The release's defects apply as in the simulator
//!    (the same code, [`crate::model::release`]): `latency_factor` and `error_rate`
//!    (500 after the work) on the affected requests, a leak's error rate growing with
//!    uptime, and `--crash-after`: the process exits abruptly that long after boot.
//! 4. Every answer carries `x-version` (its version) and `x-instance-us` (time on the
//!    instance, waiting and service, in microseconds): the load generator attributes
//!    requests and the controller's latency metrics with them.
//! 5. SIGTERM ends it (after draining, the driver sends it only once the balancer has
//!    no request on it).

use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use clap::Args;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::RngExt;
use tokio::sync::Semaphore;

use crate::Error;
use crate::engine::{DurationDist, RngStreams, SimDuration, SimRng};
use crate::model::release::Release;
use crate::scenario::rollout::{LeakSpec, ReleaseSpec};

/// Response header naming the version that served a request.
pub(crate) const VERSION_HEADER: &str = "x-version";
/// Response header with the time spent on the instance, in microseconds.
pub(crate) const INSTANCE_TIME_HEADER: &str = "x-instance-us";

/// How one instance behaves (the arguments of `rollsim instance`).
#[derive(Debug, Clone, Args)]
pub struct InstanceArgs {
    /// The version it runs (tagged on every response).
    #[arg(long)]
    pub version: u32,
    /// Port on 127.0.0.1 (0: any free port; the port is printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Requests served at once (before the release's capacity factor).
    #[arg(long, default_value_t = 8)]
    pub workers: u32,
    /// Requests that may wait for a worker; more are shed (503).
    #[arg(long, default_value_t = 100)]
    pub queue_capacity: u32,
    /// Service time of one request on a warm instance, e.g. "lognormal(mean=10ms, p99=40ms)".
    #[arg(long, default_value = "exp(10ms)")]
    pub service_time: DurationDist,
    /// Time from start until it serves (launch and boot).
    #[arg(long, default_value = "0s")]
    pub boot_time: SimDuration,
    /// Time after boot during which it is slower.
    #[arg(long, default_value = "0s")]
    pub warmup: SimDuration,
    /// Service-time multiplier right after boot, easing to 1 over `warmup`.
    #[arg(long, default_value_t = 1.0)]
    pub warmup_slowdown: f64,
    /// Probability that a request fails with 500 (the release's defect).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Service-time multiplier of the release.
    #[arg(long, default_value_t = 1.0)]
    pub latency_factor: f64,
    /// Workers multiplier of the release.
    #[arg(long, default_value_t = 1.0)]
    pub capacity_factor: f64,
    /// Fraction of requests the error and latency defects hit.
    #[arg(long, default_value_t = 1.0)]
    pub affected_fraction: f64,
    /// The defects hit only when at least this fraction of workers is busy.
    #[arg(long)]
    pub above_load: Option<f64>,
    /// A leak: uptime after which errors start.
    #[arg(long, requires = "leak_ramp")]
    pub leak_onset: Option<SimDuration>,
    /// A leak: time over which its error rate grows to the maximum.
    #[arg(long, requires = "leak_onset")]
    pub leak_ramp: Option<SimDuration>,
    /// A leak: its largest error rate.
    #[arg(long, default_value_t = 1.0)]
    pub leak_max_error_rate: f64,
    /// Exit abruptly this long after boot (a crash loop).
    #[arg(long)]
    pub crash_after: Option<SimDuration>,
    /// Seed of its random streams (service times, defects).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl InstanceArgs {
    /// The command-line arguments that give back these settings (after `instance`).
    pub(crate) fn to_args(&self) -> Vec<String> {
        let mut out = vec![
            format!("--version={}", self.version),
            format!("--port={}", self.port),
            format!("--workers={}", self.workers),
            format!("--queue-capacity={}", self.queue_capacity),
            format!("--service-time={}", self.service_time),
            format!("--boot-time={}ns", self.boot_time.as_nanos()),
            format!("--warmup={}ns", self.warmup.as_nanos()),
            format!("--warmup-slowdown={}", self.warmup_slowdown),
            format!("--error-rate={}", self.error_rate),
            format!("--latency-factor={}", self.latency_factor),
            format!("--capacity-factor={}", self.capacity_factor),
            format!("--affected-fraction={}", self.affected_fraction),
            format!("--leak-max-error-rate={}", self.leak_max_error_rate),
            format!("--seed={}", self.seed),
        ];
        let optional = [
            ("above-load", self.above_load.map(|x| x.to_string())),
            ("leak-onset", self.leak_onset.map(ns)),
            ("leak-ramp", self.leak_ramp.map(ns)),
            ("crash-after", self.crash_after.map(ns)),
        ];
        out.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| Some(format!("--{name}={}", value?))),
        );
        out
    }

    /// The release these settings describe.
    pub(crate) fn release(&self) -> ReleaseSpec {
        ReleaseSpec {
            error_rate: self.error_rate,
            latency_factor: self.latency_factor,
            capacity_factor: self.capacity_factor,
            leak: self
                .leak_onset
                .zip(self.leak_ramp)
                .map(|(onset, ramp)| LeakSpec {
                    onset,
                    ramp,
                    max_error_rate: self.leak_max_error_rate,
                }),
            crash_after: None,
            affected_fraction: self.affected_fraction,
            above_load: self.above_load,
        }
    }

    fn check(&self) -> Result<(), String> {
        let probability = |name: &str, x: f64| {
            if (0.0..=1.0).contains(&x) {
                Ok(())
            } else {
                Err(format!("--{name} {x}: must be between 0 and 1"))
            }
        };
        probability("error-rate", self.error_rate)?;
        probability("affected-fraction", self.affected_fraction)?;
        probability("leak-max-error-rate", self.leak_max_error_rate)?;
        if let Some(x) = self.above_load {
            probability("above-load", x)?;
        }
        for (name, x) in [
            ("latency-factor", self.latency_factor),
            ("capacity-factor", self.capacity_factor),
            ("warmup-slowdown", self.warmup_slowdown),
        ] {
            if !(x.is_finite() && x > 0.0 && x <= 1000.0) {
                return Err(format!("--{name} {x}: must be a number in (0, 1000]"));
            }
        }
        if !(1..=10_000).contains(&self.workers) {
            return Err(format!("--workers {}: must be 1 to 10000", self.workers));
        }
        Ok(())
    }
}

/// Time from start to the crash: boot, then `after` (saturating: a huge `after` means
/// never, not a sum wrapped round to a crash at once).
fn crash_delay(boot_time: SimDuration, after: SimDuration) -> std::time::Duration {
    std::time::Duration::from_nanos(boot_time.as_nanos())
        .saturating_add(std::time::Duration::from_nanos(after.as_nanos()))
}

fn ns(d: SimDuration) -> String {
    format!("{}ns", d.as_nanos())
}

/// What every request of one instance shares.
struct State {
    version: u32,
    release: Release,
    workers: u32,
    slots: Semaphore,
    waiting: AtomicU32,
    queue_capacity: u32,
    service_time: DurationDist,
    warmup: SimDuration,
    warmup_slowdown: f64,
    started: Instant,
    boot_time: SimDuration,
    rng: Mutex<SimRng>,
}

impl State {
    /// Time since boot, if booted.
    fn uptime(&self) -> Option<SimDuration> {
        let since_start = SimDuration::from_nanos_f64(self.started.elapsed().as_nanos() as f64);
        (since_start >= self.boot_time).then(|| since_start.saturating_sub(self.boot_time))
    }

    /// Service-time multiplier from warming, at `uptime`.
    fn warm_factor(&self, uptime: SimDuration) -> f64 {
        if uptime >= self.warmup || self.warmup.is_zero() {
            1.0
        } else {
            let left = 1.0 - uptime.as_nanos_f64() / self.warmup.as_nanos_f64();
            1.0 + (self.warmup_slowdown - 1.0) * left
        }
    }
}

/// Runs the instance until it is killed (or crashes by its release's defect); bad
/// arguments are bad input, anything else a failure at run time.
pub(crate) async fn serve(args: &InstanceArgs) -> Result<(), Error> {
    args.check().map_err(Error::BadInput)?;
    listen(args).await.map_err(Error::Failed)
}

async fn listen(args: &InstanceArgs) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {address}");
    // The driver reads the line above; a closed stdout must not stop the instance.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let release = Release::new(&args.release());
    let workers = release.workers(args.workers);
    let state = Arc::new(State {
        version: args.version,
        workers,
        slots: Semaphore::new(workers as usize),
        waiting: AtomicU32::new(0),
        queue_capacity: args.queue_capacity,
        service_time: args.service_time,
        warmup: args.warmup,
        warmup_slowdown: args.warmup_slowdown,
        started: Instant::now(),
        boot_time: args.boot_time,
        rng: Mutex::new(RngStreams::new(args.seed).stream("live-instance")),
        release,
    });
    if let Some(after) = args.crash_after {
        let at = crash_delay(args.boot_time, after);
        let version = args.version;
        tokio::spawn(async move {
            tokio::time::sleep(at).await;
            eprintln!("instance of v{version}: crashing, as its release does");
            std::process::exit(3);
        });
    }
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors (EMFILE) and the like: the error repeats until a
            // connection closes, so wait a little rather than spin on the CPU.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, &request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(state: &State, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let arrived = Instant::now();
    let Some(uptime) = state.uptime() else {
        return answer(state, StatusCode::SERVICE_UNAVAILABLE, arrived, "booting");
    };
    if request.uri().path() == "/health" {
        return answer(state, StatusCode::OK, arrived, "ok");
    }
    let permit = match state.slots.try_acquire() {
        Ok(permit) => permit,
        Err(_) => {
            if state.waiting.fetch_add(1, Ordering::SeqCst) >= state.queue_capacity {
                state.waiting.fetch_sub(1, Ordering::SeqCst);
                return answer(state, StatusCode::SERVICE_UNAVAILABLE, arrived, "shed");
            }
            let permit = state.slots.acquire().await;
            state.waiting.fetch_sub(1, Ordering::SeqCst);
            match permit {
                Ok(permit) => permit,
                Err(_) => return answer(state, StatusCode::SERVICE_UNAVAILABLE, arrived, "closed"),
            }
        }
    };
    let busy = f64::from(state.workers - state.slots.available_permits() as u32)
        / f64::from(state.workers);
    let (service, fails) = {
        let mut rng = state.rng.lock().unwrap_or_else(|e| e.into_inner());
        let hit = state.release.hits(busy, &mut rng);
        let mut factor = state.warm_factor(uptime);
        if hit {
            factor *= state.release.latency_factor;
        }
        let service = state.service_time.sample(&mut *rng).as_nanos_f64() * factor;
        let fails = state.release.may_fail()
            && rng.random::<f64>() < state.release.error_probability(hit, uptime);
        (service, fails)
    };
    tokio::time::sleep(std::time::Duration::from_nanos(service as u64)).await;
    drop(permit);
    if fails {
        answer(state, StatusCode::INTERNAL_SERVER_ERROR, arrived, "error")
    } else {
        answer(state, StatusCode::OK, arrived, "ok")
    }
}

fn answer(
    state: &State,
    status: StatusCode,
    arrived: Instant,
    body: &'static str,
) -> Response<Full<Bytes>> {
    let micros = arrived.elapsed().as_micros();
    Response::builder()
        .status(status)
        .header(VERSION_HEADER, state.version)
        .header(INSTANCE_TIME_HEADER, micros.to_string())
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: InstanceArgs,
    }

    #[test]
    fn arguments_survive_the_command_line() {
        let args = Wrapper::parse_from([
            "x",
            "--version=3",
            "--service-time=lognormal(mean=10ms, p99=40ms)",
            "--boot-time=1.5s",
            "--error-rate=0.05",
            "--crash-after=2s",
            "--leak-onset=1s",
            "--leak-ramp=2s",
        ])
        .args;
        let again =
            Wrapper::parse_from(std::iter::once("x".to_string()).chain(args.to_args())).args;
        assert_eq!(again.to_args(), args.to_args());
        assert_eq!(again.boot_time, SimDuration::from_millis(1500));
        assert_eq!(again.crash_after, Some(SimDuration::from_secs(2)));
        assert!(again.release().leak.is_some());
        assert_eq!(again.service_time, args.service_time);
    }

    #[test]
    fn a_load_threshold_outside_zero_to_one_is_refused() {
        for bad in ["nan", "7", "-0.5"] {
            let args = Wrapper::parse_from(["x", "--version=1", &format!("--above-load={bad}")]);
            let error = args.args.check().expect_err(bad);
            assert!(error.contains("--above-load"), "{error}");
        }
        let args = Wrapper::parse_from(["x", "--version=1", "--above-load=0.8"]);
        assert!(args.args.check().is_ok());
    }

    #[test]
    fn a_far_crash_does_not_wrap_round_to_an_immediate_one() {
        let never = SimDuration::from_nanos(u64::MAX);
        let delay = crash_delay(SimDuration::from_nanos(2), never);
        assert!(delay >= std::time::Duration::from_nanos(u64::MAX));
        assert_eq!(
            crash_delay(SimDuration::from_secs(1), SimDuration::from_secs(2)),
            std::time::Duration::from_secs(3)
        );
    }
}

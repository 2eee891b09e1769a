//! No request is lost or invented: at any moment, in every layer, every call and every
//! attempt is either resolved or still in flight, and every attempt is a first attempt
//! or a retry, whatever the model (retries, herds, caches, chaos, impairments,
//! autoscaling).

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::Config;

use rollsim::engine::{SimDuration, SimTime};
use rollsim::model::{FailureCause, World, WorldSummary};

const LAYER_NAMES: [&str; 3] = ["edge", "middle", "backend"];
const BACKOFFS: [&str; 3] = ["none", "fixed(10ms)", "exponential(base=5ms, cap=200ms)"];
const JITTERS: [&str; 3] = ["none", "full", "decorrelated"];
const LAUNCH_TIMES: [&str; 3] = ["uniform(1s, 3s)", "det(2s)", "exp(1s)"];
/// Server options (one line each, or none).
const SERVER_OPTIONS: [&str; 5] = [
    "",
    "drop_timed_out = true\n",
    "queue_timeout = \"20ms\"\n",
    "queue_order = \"adaptive-lifo\"\n",
    "drop_timed_out = true\nqueue_order = \"adaptive-lifo\"\n",
];
const IMPAIRMENTS: [&str; 4] = [
    r#"kind = "cpu_cut", capacity = 0.5"#,
    r#"kind = "slowdown", factor = 3.0"#,
    r#"kind = "latency", added = "50ms""#,
    r#"kind = "blackhole""#,
];
const BOOT_TIMES: [&str; 3] = ["det(2s)", "uniform(1s, 3s)", "lognormal(mean=2s, p99=5s)"];

/// A balancer with short intervals, so that instances come and go within a short run.
#[derive(Debug, Clone)]
enum BalancerGen {
    Elb {
        health_check_secs: u32,
        healthy_threshold: u32,
        deregistration_secs: u32,
        least_outstanding: bool,
    },
    Discovery {
        heartbeat_secs: u32,
        eviction_secs: u32,
        refresh_secs: u32,
        least_outstanding: bool,
    },
}

#[derive(Debug, Clone)]
struct LayerGen {
    instances: u32,
    workers: u32,
    queue_capacity: u32,
    service_ms: u32,
    timeout_ms: u32,
    retries: u32,
    backoff: usize,
    jitter: usize,
    /// Retry budget in tenths (0.0 to 1.0).
    retry_budget_tenths: Option<u32>,
    balancer: BalancerGen,
    /// Launch failure probability in hundredths (0 to 0.5).
    launch_failure_hundredths: u32,
    launch_time: usize,
    boot_time: usize,
    warmup_secs: u32,
    autoscaler: bool,
    /// Index into [`SERVER_OPTIONS`].
    server: usize,
}

/// The call a layer makes to the next one down the chain.
#[derive(Debug, Clone)]
struct CallGen {
    count: u32,
    /// `(hit ratio in tenths, warmup_requests)`.
    cache: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
struct HerdGen {
    at_secs: u32,
    clients: u32,
    spread_ms: u32,
    reconnect: bool,
    /// Index of the layer it calls; the entry layer if none.
    layer: Option<usize>,
}

#[derive(Debug, Clone)]
struct ModelGen {
    seed: u64,
    duration_secs: u32,
    rate: u32,
    /// `(at, duration, factor in tenths)`.
    burst: Option<(u32, u32, u32)>,
    herd: Option<HerdGen>,
    /// `(layer, kills per minute)`.
    kill: Option<(usize, u32)>,
    /// `(at, fraction in tenths, only this layer or all)`.
    outage: Option<(u32, u32, Option<usize>)>,
    /// `(at, duration, kind, share in tenths, layer)`: an impairment.
    impairment: Option<(u32, u32, usize, u32, Option<usize>)>,
    layers: Vec<LayerGen>,
    /// `calls[i]`: layer i → layer i + 1.
    calls: Vec<CallGen>,
    /// Where to pause, as thousandths of the duration (sorted).
    stops: Vec<u32>,
}

fn balancer() -> impl Strategy<Value = BalancerGen> {
    prop_oneof![
        (1u32..=10, 1u32..=3, 0u32..=20, any::<bool>()).prop_map(
            |(health_check_secs, healthy_threshold, deregistration_secs, least_outstanding)| {
                BalancerGen::Elb {
                    health_check_secs,
                    healthy_threshold,
                    deregistration_secs,
                    least_outstanding,
                }
            }
        ),
        (1u32..=10, 1u32..=30, 1u32..=10, any::<bool>()).prop_map(
            |(heartbeat_secs, eviction_secs, refresh_secs, least_outstanding)| {
                BalancerGen::Discovery {
                    heartbeat_secs,
                    eviction_secs,
                    refresh_secs,
                    least_outstanding,
                }
            }
        ),
    ]
}

fn layer() -> impl Strategy<Value = LayerGen> {
    (
        (1u32..=5, 1u32..=4, 0u32..=20, 1u32..=50),
        (20u32..=2000, 0u32..=3, 0usize..3, 0usize..3),
        proptest::option::of(0u32..=10),
        balancer(),
        (0u32..=50, 0usize..3, 0usize..3, 0u32..=10, any::<bool>()),
        0usize..SERVER_OPTIONS.len(),
    )
        .prop_map(
            |(
                (instances, workers, queue_capacity, service_ms),
                (timeout_ms, retries, backoff, jitter),
                retry_budget_tenths,
                balancer,
                (launch_failure_hundredths, launch_time, boot_time, warmup_secs, autoscaler),
                server,
            )| LayerGen {
                instances,
                workers,
                queue_capacity,
                service_ms,
                timeout_ms,
                retries,
                backoff,
                jitter,
                retry_budget_tenths,
                balancer,
                launch_failure_hundredths,
                launch_time,
                boot_time,
                warmup_secs,
                autoscaler,
                server,
            },
        )
}

fn call() -> impl Strategy<Value = CallGen> {
    (1u32..=3, proptest::option::of((0u32..=9, 10u32..=1000)))
        .prop_map(|(count, cache)| CallGen { count, cache })
}

fn model() -> impl Strategy<Value = ModelGen> {
    (1usize..=3, 20u32..=90).prop_flat_map(|(depth, duration_secs)| {
        (
            (any::<u64>(), 10u32..=500),
            proptest::option::of((0..duration_secs, 1u32..=10, 2u32..=50)),
            proptest::option::of((
                0..duration_secs,
                1u32..=2000,
                0u32..=5000,
                any::<bool>(),
                proptest::option::of(0..depth),
            )),
            proptest::option::of((0..depth, 1u32..=60)),
            proptest::option::of((0..duration_secs, 1u32..=10, proptest::option::of(0..depth))),
            proptest::option::of((
                0..duration_secs,
                1u32..=60,
                0usize..IMPAIRMENTS.len(),
                1u32..=10,
                proptest::option::of(0..depth),
            )),
            proptest::collection::vec(layer(), depth),
            proptest::collection::vec(call(), depth - 1),
            proptest::collection::btree_set(1u32..1000, 2..=3),
        )
            .prop_map(
                move |(
                    (seed, rate),
                    burst,
                    herd,
                    kill,
                    outage,
                    impairment,
                    layers,
                    calls,
                    stops,
                )| ModelGen {
                    seed,
                    duration_secs,
                    rate,
                    burst,
                    herd: herd.map(|(at_secs, clients, spread_ms, reconnect, layer)| HerdGen {
                        at_secs,
                        clients,
                        spread_ms,
                        reconnect,
                        layer,
                    }),
                    kill,
                    outage,
                    impairment,
                    layers,
                    calls,
                    stops: stops.into_iter().collect(),
                },
            )
    })
}

fn algorithm(least_outstanding: bool) -> &'static str {
    if least_outstanding {
        "least-outstanding"
    } else {
        "round-robin"
    }
}

/// The model as a user would write it.
fn render(m: &ModelGen) -> String {
    let mut t = String::new();
    t += "name = \"generated\"\n";
    t += &format!("seed = {}\n", m.seed);
    t += &format!("duration = \"{}s\"\n\n", m.duration_secs);
    t += "[traffic]\nentry = \"edge\"\n";
    t += &format!("rate = \"{}/s\"\n", m.rate);
    if let Some((at, duration, factor)) = m.burst {
        t += &format!(
            "bursts = [{{ at = \"{at}s\", duration = \"{duration}s\", factor = {} }}]\n",
            factor as f64 / 10.0
        );
    }
    if let Some(herd) = &m.herd {
        let layer = herd.layer.map_or(String::new(), |l| {
            format!(", layer = \"{}\"", LAYER_NAMES[l])
        });
        t += &format!(
            "herds = [{{ at = \"{}s\", clients = {}, spread = \"{}ms\", kind = \"{}\"{layer} }}]\n",
            herd.at_secs,
            herd.clients,
            herd.spread_ms,
            if herd.reconnect { "reconnect" } else { "retry" },
        );
    }
    for (i, l) in m.layers.iter().enumerate() {
        t += &format!("\n[layers.{}]\n", LAYER_NAMES[i]);
        t += &format!("instances = {}\n", l.instances);
        t += &format!("workers = {}\n", l.workers);
        t += &format!("queue_capacity = {}\n", l.queue_capacity);
        t += &format!("service_time = \"exp({}ms)\"\n", l.service_ms);
        t += &format!("launch_time = \"{}\"\n", LAUNCH_TIMES[l.launch_time]);
        t += &format!("boot_time = \"{}\"\n", BOOT_TIMES[l.boot_time]);
        t += &format!("warmup = \"{}s\"\n", l.warmup_secs);
        t += &format!(
            "launch_failure_probability = {}\n",
            l.launch_failure_hundredths as f64 / 100.0
        );
        if let Some(call) = m.calls.get(i) {
            let cache = call.cache.map_or(String::new(), |(hit, warmup)| {
                format!(
                    ", cache = {{ hit_ratio = {}, warmup_requests = {warmup} }}",
                    hit as f64 / 10.0
                )
            });
            t += &format!(
                "calls = [{{ layer = \"{}\", count = {}{cache} }}]\n",
                LAYER_NAMES[i + 1],
                call.count
            );
        }
        t += &match l.balancer {
            BalancerGen::Elb {
                health_check_secs,
                healthy_threshold,
                deregistration_secs,
                least_outstanding,
            } => format!(
                "balancer = {{ kind = \"elb\", algorithm = \"{}\", health_check_interval = \"{health_check_secs}s\", healthy_threshold = {healthy_threshold}, deregistration_delay = \"{deregistration_secs}s\" }}\n",
                algorithm(least_outstanding)
            ),
            BalancerGen::Discovery {
                heartbeat_secs,
                eviction_secs,
                refresh_secs,
                least_outstanding,
            } => format!(
                "balancer = {{ kind = \"discovery\", algorithm = \"{}\", heartbeat_interval = \"{heartbeat_secs}s\", eviction_timeout = \"{eviction_secs}s\", refresh_interval = \"{refresh_secs}s\" }}\n",
                algorithm(least_outstanding)
            ),
        };
        let budget = l.retry_budget_tenths.map_or(String::new(), |b| {
            format!(", retry_budget = {}", b as f64 / 10.0)
        });
        t += &format!(
            "client = {{ timeout = \"{}ms\", retries = {}, backoff = \"{}\", jitter = \"{}\"{budget} }}\n",
            l.timeout_ms, l.retries, BACKOFFS[l.backoff], JITTERS[l.jitter]
        );
        t += SERVER_OPTIONS[l.server];
        if l.autoscaler {
            t += "autoscaler = { min = 1, max = 8, metric_period = \"10s\", scale_out_cooldown = \"10s\", scale_in_cooldown = \"10s\" }\n";
        }
    }
    if m.kill.is_some() || m.outage.is_some() || m.impairment.is_some() {
        t += "\n[chaos]\n";
    }
    if let Some((layer, per_minute)) = m.kill {
        t += &format!(
            "kills = [{{ layer = \"{}\", rate = \"{per_minute}/min\" }}]\n",
            LAYER_NAMES[layer]
        );
    }
    if let Some((at, fraction, layer)) = m.outage {
        let layers = layer.map_or(String::new(), |l| {
            format!(", layers = [\"{}\"]", LAYER_NAMES[l])
        });
        t += &format!(
            "zone_outages = [{{ at = \"{at}s\", fraction = {}{layers} }}]\n",
            fraction as f64 / 10.0
        );
    }
    if let Some((at, duration, kind, share, layer)) = m.impairment {
        let layers = layer.map_or(String::new(), |l| {
            format!(", layers = [\"{}\"]", LAYER_NAMES[l])
        });
        t += &format!(
            "impairments = [{{ {}, at = \"{at}s\", duration = \"{duration}s\", share = {}{layers} }}]\n",
            IMPAIRMENTS[kind],
            share as f64 / 10.0
        );
    }
    t
}

/// Every conservation law, for every layer of `summary`; the first one broken, if any.
/// Attempts fail with `timeout` at the layer only when a blackhole lost them or a server
/// dropped them for their callers' timeouts (`timeouts_at_servers`): otherwise servers
/// never see their callers' timers.
fn conservation_problem(summary: &WorldSummary, timeouts_at_servers: bool) -> Option<String> {
    let timeout = FailureCause::Timeout.index();
    for layer in &summary.layers {
        let (c, a) = (&layer.calls, &layer.attempts);
        let checks = [
            (
                "calls: issued = succeeded + failed + in flight",
                c.issued,
                c.succeeded + c.failed_total() + c.in_flight,
            ),
            (
                "attempts: arrived = succeeded + failed + in flight",
                a.arrived,
                a.succeeded + a.failed_total() + a.in_flight,
            ),
            (
                "every attempt is a first attempt or a retry: arrived = issued + retries",
                a.arrived,
                c.issued + c.retries,
            ),
            (
                "attempts fail with timeout only when lost or dropped for it",
                if timeouts_at_servers {
                    0
                } else {
                    a.failed[timeout]
                },
                0,
            ),
        ];
        for (law, left, right) in checks {
            if left != right {
                return Some(format!(
                    "layer {:?} at {:?}: {law}: {left} ≠ {right}\n  calls {c:?}\n  attempts {a:?}",
                    layer.name, summary.elapsed
                ));
            }
        }
    }
    None
}

/// Runs `world` with pauses at `stops` and at its end, checking at each one.
fn check_run(
    world: &mut World,
    stops: &[SimTime],
    timeouts_at_servers: bool,
) -> Result<(), String> {
    let end = world.end();
    for &stop in stops.iter().chain(std::iter::once(&end)) {
        world.run_until(stop);
        if let Some(problem) = conservation_problem(&world.summary(), timeouts_at_servers) {
            return Err(format!("stopped at {stop:?}: {problem}"));
        }
    }
    Ok(())
}

/// 48 cases (well under a second in release mode) unless `PROPTEST_CASES` asks for more.
fn config() -> Config {
    let defaults = Config::default();
    Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            defaults.cases
        } else {
            48
        },
        // Failures are reported as the model's TOML text; no regression file is written.
        failure_persistence: None,
        max_shrink_iters: 256,
        ..defaults
    }
}

/// Parses the generated model (it must be valid) and runs it with checks at `stops`
/// (thousandths of the duration) and at its end.
fn run_generated(m: &ModelGen) -> Result<(), TestCaseError> {
    let text = render(m);
    let scenario = rollsim::scenario::parse(&text, Path::new("generated.toml")).map_err(|e| {
        TestCaseError::fail(format!("the generator wrote a bad model: {e}\n{text}"))
    })?;
    let mut world = World::new(&scenario);
    let duration = SimDuration::from_secs(u64::from(m.duration_secs));
    let stops: Vec<SimTime> = m
        .stops
        .iter()
        .map(|k| {
            SimTime::ZERO + SimDuration::from_nanos(duration.as_nanos() / 1000 * u64::from(*k))
        })
        .collect();
    let timeouts_at_servers = m
        .impairment
        .is_some_and(|(_, _, kind, _, _)| IMPAIRMENTS[kind].contains("blackhole"))
        || m.layers
            .iter()
            .any(|l| SERVER_OPTIONS[l.server].contains("drop_timed_out"));
    check_run(&mut world, &stops, timeouts_at_servers)
        .map_err(|problem| TestCaseError::fail(format!("{problem}\nmodel:\n{text}")))?;
    prop_assert!(
        world.summary().layers[0].calls.issued > 0,
        "no traffic at all\n{}",
        text
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn requests_are_conserved_in_every_layer_at_every_moment(m in model()) {
        run_generated(&m)?;
    }
}

#[test]
fn requests_are_conserved_in_the_netflix_2011_model_for_two_minutes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/netflix-2011.toml");
    let scenario = rollsim::scenario::load(&path).unwrap();
    let mut world = World::new(&scenario);
    let at = |ms: u64| SimTime::ZERO + SimDuration::from_millis(ms);
    for stop in [at(20_000), at(61_500), at(97_250), at(120_000)] {
        world.run_until(stop);
        let summary = world.summary();
        if let Some(problem) = conservation_problem(&summary, false) {
            panic!("stopped at {stop:?}: {problem}");
        }
        assert!(summary.layers.iter().all(|l| l.calls.issued > 0));
    }
}

/// A retry still waiting out its backoff is not counted until its attempt is made
/// (here every shed call would retry 5 s later, after the run has ended).
const RETRY_AFTER_THE_END: &str = r#"
duration = "2s"

[traffic]
rate = "100/s"

[layers.edge]
instances = 1
workers = 1
queue_capacity = 0
service_time = "exp(20ms)"
client = { timeout = "1s", retries = 1, backoff = "fixed(5s)", jitter = "none" }
"#;

#[test]
fn a_retry_still_waiting_out_its_backoff_is_not_yet_counted() {
    let scenario = rollsim::scenario::parse(RETRY_AFTER_THE_END, Path::new("x.toml")).unwrap();
    let mut world = World::new(&scenario);
    world.run();
    let summary = world.summary();
    let edge = &summary.layers[0];
    assert_eq!(
        edge.attempts.arrived,
        edge.calls.issued + edge.calls.retries,
        "calls {:?}\nattempts {:?}",
        edge.calls,
        edge.attempts
    );
}

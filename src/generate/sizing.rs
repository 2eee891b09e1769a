//! Sizing each service's fleet from the load offered to it at the evening peak, as
//! real fleets are sized: enough workers that `target_busy` of them are busy.
//!
//! # How a fleet is sized
//! 1. **Peak rates** ([`peak_rates_per_s`]): the edge's peak rate flows down the graph
//!    in topological order; a service receives, summed over its callers, the caller's
//!    rate × the call's `count` × its miss ratio (1 − the cache's hit ratio, 1
//!    without a cache). Caches are counted warm; a fresh instance's cold cache sends
//!    more, which the spare workers absorb.
//! 2. **Holding times, from the leaves up** ([`holding_times`]): a worker stays busy
//!    while its request waits for the calls below it (they run in parallel and it
//!    waits for them all, as in the world: `model::request`). So a request holds a
//!    worker for its service time plus the slowest of the calls it made (cache hits
//!    make none); a call takes its callee's holding time plus the wait for a free
//!    worker there. The mean and p99 are estimated by Monte Carlo: [`HOLDING_SAMPLES`]
//!    draws per service, each a draw of its service-time distribution plus the
//!    largest, over the calls that missed their cache, of one resampled draw of the
//!    callee's holding time plus its wait.
//! 3. **Instances**: once a service's mean holding time is known,
//!    `⌈peak rate × mean holding time ÷ (workers × target_busy)⌉`, at least
//!    [`MIN_INSTANCES`] (one per availability zone, as Asgard's clusters), at most the
//!    model's limit per layer (beyond it the edge rate is refused, naming it). Its
//!    instances then give the wait for a free worker its callers see: an M/M/c queue
//!    per instance (`c` = workers, the holding time as the service; Erlang C), which
//!    waits with probability C for an exponential time of mean 1 ÷ (cμ − λ).
//! 4. **Clients and Chaos Monkey**: each service's callers time out after the kind's
//!    usual timeout (netflix-2011's: 3 s from users, 1 s between services, 500 ms to
//!    data), or 3 × the p99 holding time where that is longer; Chaos Monkey kills an
//!    instance of every non-data service at 1 per hour per 100 instances, at least one
//!    a day.

use rand::RngExt;

use crate::engine::{DurationDist, SimDuration, SimRng};
use crate::queueing::theory::mmc;
use crate::scenario::limits::MAX_INSTANCES;

use super::graph::{Kind, ServiceGraph};
use super::params::{GraphParams, ParamError};

/// Fewest instances of a service.
pub(crate) const MIN_INSTANCES: u32 = 3;
/// Draws per service of the holding-time estimate: two estimates of a mean differ
/// by up to ~2% (the generator's and a test's, measured on graphs of 2 to 64 services).
pub(crate) const HOLDING_SAMPLES: usize = 65_536;
/// A caller's timeout is at least this many times its callee's p99 holding time.
const TIMEOUT_P99_FACTOR: f64 = 3.0;
/// Chaos Monkey's kills per hour per 100 instances.
const KILLS_PER_HOUR_PER_100_INSTANCES: f64 = 1.0;

/// Workers per instance of a service of `kind`: netflix-2011's (Tomcat threads on the
/// edge and middle, a small data store's connections).
pub(crate) fn workers(kind: Kind) -> u32 {
    match kind {
        Kind::Edge | Kind::Middle => 6,
        Kind::Data => 2,
    }
}

/// The service-time distribution of a service: lognormal, its p99 `p99_ratio` × its
/// mean, as a model file writes it.
pub(crate) fn service_time_text(mean_ms: u32, p99_ratio: u32) -> String {
    format!("lognormal(mean={mean_ms}ms, p99={}ms)", mean_ms * p99_ratio)
}

/// One service as the estimates see it: its service time, workers and calls.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Time a worker spends on a request, calls aside.
    pub(crate) service_time: DurationDist,
    /// Workers per instance.
    pub(crate) workers: u32,
    /// The calls it makes per request served.
    pub(crate) calls: Vec<Edge>,
}

/// A call of a [`Node`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    /// Index of the node called (after the caller).
    pub(crate) to: usize,
    /// Calls per request served.
    pub(crate) count: u32,
    /// Share of the calls that miss the cache and are made (1 without a cache).
    pub(crate) miss_ratio: f64,
}

/// A request's time on a worker of a service (its own service plus the wait for its
/// calls), and the wait for a worker its callers see at the service's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Holding {
    /// Mean holding time, in ms.
    pub(crate) mean_ms: f64,
    /// 99th percentile of the holding time, in ms.
    pub(crate) p99_ms: f64,
    /// Instances it was given.
    pub(crate) instances: u32,
    /// Probability that a call waits for a worker (Erlang C; 1 if the fleet is
    /// overloaded).
    pub(crate) wait_probability: f64,
    /// Mean wait of a call that waits, in ms (infinite if the fleet is overloaded).
    pub(crate) wait_mean_ms: f64,
}

/// What a service's fleet and callers are given.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fleet {
    /// Requests per second at the evening peak.
    pub(crate) peak_rate_per_s: f64,
    /// Time a request holds a worker, and the fleet's instances.
    pub(crate) holding: Holding,
    /// Workers per instance.
    pub(crate) workers: u32,
    /// The callers' timeout.
    pub(crate) timeout: SimDuration,
    /// Chaos Monkey's kills per day; none on data services.
    pub(crate) kills_per_day: Option<u32>,
}

/// Peak requests per second at each node, `edge_rate_per_s` entering node 0; nodes
/// in topological order.
pub(crate) fn peak_rates_per_s(nodes: &[Node], edge_rate_per_s: f64) -> Vec<f64> {
    let mut rates = vec![0.0; nodes.len()];
    if let Some(first) = rates.first_mut() {
        *first = edge_rate_per_s;
    }
    for (i, node) in nodes.iter().enumerate() {
        for call in &node.calls {
            debug_assert!(call.to > i, "nodes are in topological order");
            rates[call.to] += rates[i] * f64::from(call.count) * call.miss_ratio;
        }
    }
    rates
}

/// Each node's holding time by Monte Carlo from the leaves up (nodes in topological
/// order, `rates_per_s` their peak rates), each node given the instances
/// `instances_for_holding(node, mean holding time in ms)` says once its holding time
/// is known.
pub(crate) fn holding_times(
    nodes: &[Node],
    rates_per_s: &[f64],
    rng: &mut SimRng,
    mut instances_for_holding: impl FnMut(usize, f64) -> u32,
) -> Vec<Holding> {
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); nodes.len()];
    let mut holdings: Vec<Option<Holding>> = vec![None; nodes.len()];
    for i in (0..nodes.len()).rev() {
        let mut own = Vec::with_capacity(HOLDING_SAMPLES);
        for _ in 0..HOLDING_SAMPLES {
            let mut wait_ms: f64 = 0.0;
            for call in &nodes[i].calls {
                let (below, queue) = (&samples[call.to], holdings[call.to]);
                for _ in 0..call.count {
                    if rng.random::<f64>() >= call.miss_ratio {
                        continue;
                    }
                    let mut response_ms = below[rng.random_range(0..below.len())];
                    if let Some(q) = queue
                        && rng.random::<f64>() < q.wait_probability
                    {
                        let u: f64 = rng.random();
                        response_ms += -(1.0 - u).ln() * q.wait_mean_ms;
                    }
                    wait_ms = wait_ms.max(response_ms);
                }
            }
            own.push(nodes[i].service_time.sample(rng).as_millis_f64() + wait_ms);
        }
        let mean_ms = own.iter().sum::<f64>() / own.len() as f64;
        let mut sorted = own.clone();
        sorted.sort_by(f64::total_cmp);
        let p99_ms = sorted[(sorted.len() * 99).div_ceil(100) - 1];
        let instances = instances_for_holding(i, mean_ms).max(1);
        let per_instance_rate = rates_per_s[i] / f64::from(instances);
        let (wait_probability, wait_mean_ms) =
            match mmc(nodes[i].workers, per_instance_rate, mean_ms / 1000.0) {
                Some(q) if q.p_wait > 0.0 => (q.p_wait, q.wq_secs * 1000.0 / q.p_wait),
                Some(_) => (0.0, 0.0),
                None if per_instance_rate > 0.0 => (1.0, f64::INFINITY),
                None => (0.0, 0.0),
            };
        holdings[i] = Some(Holding {
            mean_ms,
            p99_ms,
            instances,
            wait_probability,
            wait_mean_ms,
        });
        samples[i] = own;
    }
    holdings.into_iter().flatten().collect()
}

/// Instances that keep `target_busy` of their workers busy (at least
/// [`MIN_INSTANCES`]); may exceed the model's limit.
pub(crate) fn instances_for(
    rate_per_s: f64,
    holding_mean_ms: f64,
    workers: u32,
    target_busy: f64,
) -> u64 {
    let busy_workers = rate_per_s * holding_mean_ms / 1000.0;
    let needed = (busy_workers / (f64::from(workers) * target_busy)).ceil();
    (needed as u64).max(u64::from(MIN_INSTANCES))
}

/// The nodes of `graph` as its model will have them.
pub(crate) fn nodes_of(graph: &ServiceGraph, params: &GraphParams) -> Vec<Node> {
    graph
        .services
        .iter()
        .map(|s| Node {
            service_time: service_time_text(s.service_time_mean_ms, params.service_time_p99_ratio)
                .parse()
                .expect("a lognormal with p99 above its mean is valid"),
            workers: workers(s.kind),
            calls: s
                .calls
                .iter()
                .map(|c| Edge {
                    to: c.to,
                    count: 1,
                    miss_ratio: if c.cached {
                        1.0 - params.cache_hit_ratio
                    } else {
                        1.0
                    },
                })
                .collect(),
        })
        .collect()
}

/// Sizes every service of `graph`; an edge rate that asks for more instances than a
/// layer may have is refused.
pub(crate) fn size(graph: &ServiceGraph, params: &GraphParams) -> Result<Vec<Fleet>, ParamError> {
    let nodes = nodes_of(graph, params);
    let rates = peak_rates_per_s(&nodes, params.edge_rate.per_second());
    let mut rng = crate::engine::RngStreams::new(params.seed).stream("generate.holding");
    let mut too_many: Option<(usize, u64, f64)> = None;
    let holdings = holding_times(&nodes, &rates, &mut rng, |i, holding_mean_ms| {
        let n = instances_for(
            rates[i],
            holding_mean_ms,
            nodes[i].workers,
            params.target_busy,
        );
        if n > u64::from(MAX_INSTANCES) && too_many.is_none_or(|(_, most, _)| n > most) {
            too_many = Some((i, n, holding_mean_ms));
        }
        n.min(u64::from(MAX_INSTANCES)) as u32
    });
    if let Some((i, n, holding_mean_ms)) = too_many {
        let most = params.edge_rate.per_second() * f64::from(MAX_INSTANCES) / n as f64;
        return Err(ParamError::new(
            "--edge-rate",
            format!(
                "{}: {} would need {n} instances ({:.0} requests/s at the peak, each holding \
                 a worker {holding_mean_ms:.1} ms), more than the {MAX_INSTANCES} a layer may \
                 have; use at most {:.0}/s",
                params.edge_rate,
                graph.services[i].name,
                rates[i],
                most.floor()
            ),
        ));
    }
    let mut fleets = Vec::with_capacity(nodes.len());
    for (i, service) in graph.services.iter().enumerate() {
        let holding = holdings[i];
        let base = match service.kind {
            Kind::Edge => SimDuration::from_secs(3),
            Kind::Middle => SimDuration::from_secs(1),
            Kind::Data => SimDuration::from_millis(500),
        };
        let from_p99_ms = (holding.p99_ms * TIMEOUT_P99_FACTOR / 100.0).ceil() * 100.0;
        let timeout = base.max(SimDuration::from_millis(from_p99_ms as u64));
        let kills_per_day = (service.kind != Kind::Data).then(|| {
            let per_day =
                f64::from(holding.instances) / 100.0 * KILLS_PER_HOUR_PER_100_INSTANCES * 24.0;
            (per_day.round() as u32).max(1)
        });
        fleets.push(Fleet {
            peak_rate_per_s: rates[i],
            holding,
            workers: nodes[i].workers,
            timeout,
            kills_per_day,
        });
    }
    Ok(fleets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn node(service_time: &str, workers: u32, calls: Vec<Edge>) -> Node {
        Node {
            service_time: service_time.parse().unwrap(),
            workers,
            calls,
        }
    }

    fn call(to: usize, count: u32, miss_ratio: f64) -> Edge {
        Edge {
            to,
            count,
            miss_ratio,
        }
    }

    #[test]
    fn rates_add_over_callers_and_caches_cut_them() {
        // a → b (×2), a → c (80% cache), b → c.
        let nodes = vec![
            node("1ms", 1, vec![call(1, 2, 1.0), call(2, 1, 0.2)]),
            node("1ms", 1, vec![call(2, 1, 1.0)]),
            node("1ms", 1, vec![]),
        ];
        let rates = peak_rates_per_s(&nodes, 100.0);
        assert_eq!(rates, vec![100.0, 200.0, 220.0]);
    }

    #[test]
    fn a_worker_is_held_for_the_slowest_call_below() {
        // Fixed times, no load: a (5 ms) waits for b (10 ms) and c (20 ms) in
        // parallel: 25 ms.
        let nodes = vec![
            node("5ms", 1, vec![call(1, 1, 1.0), call(2, 1, 1.0)]),
            node("10ms", 1, vec![]),
            node("20ms", 1, vec![]),
        ];
        let mut rng = RngStreams::new(1).stream("test");
        let h = holding_times(&nodes, &[0.0; 3], &mut rng, |_, _| 1);
        assert_eq!((h[0].mean_ms, h[0].p99_ms), (25.0, 25.0));
        // Behind a 75% cache, a's wait is 20 ms a quarter of the time.
        let cached = vec![
            node("5ms", 1, vec![call(1, 1, 0.25)]),
            node("20ms", 1, vec![]),
        ];
        let h = holding_times(&cached, &[0.0; 2], &mut rng, |_, _| 1);
        assert!((h[0].mean_ms - 10.0).abs() < 0.2, "{h:?}");
        assert_eq!(h[0].p99_ms, 25.0);
    }

    #[test]
    fn a_busy_callee_adds_its_queue_to_the_callers_holding_time() {
        // b: one worker, 10 ms, 80 calls/s on one instance: an M/M/1 at ρ = 0.8 waits
        // with probability 0.8, 40 ms on average (50 ms given a wait).
        let nodes = vec![
            node("5ms", 1, vec![call(1, 1, 1.0)]),
            node("10ms", 1, vec![]),
        ];
        let mut rng = RngStreams::new(3).stream("test");
        let h = holding_times(&nodes, &[80.0, 80.0], &mut rng, |_, _| 1);
        assert!((h[1].wait_probability - 0.8).abs() < 1e-9, "{h:?}");
        assert!((h[1].wait_mean_ms - 50.0).abs() < 1e-6, "{h:?}");
        assert!((h[0].mean_ms - 55.0).abs() < 55.0 * 0.03, "{h:?}");
        // An overloaded callee says so.
        let h = holding_times(&nodes, &[200.0, 200.0], &mut rng, |_, _| 1);
        assert_eq!(h[1].wait_probability, 1.0);
        assert!(h[1].wait_mean_ms.is_infinite());
    }

    #[test]
    fn the_mean_of_a_lognormal_is_estimated_within_a_few_percent() {
        let nodes = vec![node("lognormal(mean=12ms, p99=60ms)", 1, vec![])];
        let mut rng = RngStreams::new(7).stream("test");
        let h = holding_times(&nodes, &[0.0], &mut rng, |_, _| 1);
        assert!((h[0].mean_ms - 12.0).abs() < 0.36, "{h:?}");
        assert!((h[0].p99_ms - 60.0).abs() < 6.0, "{h:?}");
    }

    #[test]
    fn instances_keep_the_target_share_of_workers_busy() {
        // 1 000/s × 24 ms = 24 busy workers; 6 workers at 40% → 10 instances.
        assert_eq!(instances_for(1000.0, 24.0, 6, 0.4), 10);
        assert_eq!(instances_for(1000.0, 24.1, 6, 0.4), 11);
        assert_eq!(instances_for(1.0, 1.0, 6, 0.4), u64::from(MIN_INSTANCES));
    }
}

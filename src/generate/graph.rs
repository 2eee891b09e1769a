//! The call graph drawn from the parameters: which services there are, in which tier,
//! what each calls, which calls go through a cache, and each service's mean service
//! time.
//!
//! # How a graph is drawn
//! 1. **Tiers.** Tier 0 is the edge alone. The middle services fill tiers 1 to
//!    `depth − 1`, each tier at least one service, the rest shared in proportion to the
//!    tier's number (deeper tiers are wider: 23 middle services over three tiers are
//!    4, 8 and 11); the data services are tier `depth`, the leaves. Names follow the
//!    tiers: `edge`, `api-01`, `api-02`, … (tier 1 first), `data-01`, ….
//! 2. **Calls.** Tier by tier from the edge down: the next tier's services, shuffled,
//!    are dealt to this tier's services in turn (so every service has a caller in the
//!    tier just above it, and every path from the edge descends one tier per call at
//!    least: the graph is a DAG that reaches every service); then each caller draws
//!    further distinct services from all deeper tiers until it calls `fan_out`. A
//!    caller dealt more than `fan_out` (a tier more than `fan_out` times wider than
//!    its own) keeps them all. Every call is made once per request (`count = 1`).
//! 3. **Caches.** Of all calls to data services, `cache_share` of them (rounded), drawn
//!    at random, go through a cache.
//! 4. **Service times.** Each service's mean is drawn log-uniformly between the
//!    parameters' bounds and rounded to a whole millisecond.
//!
//! Each step draws from its own stream of the seed ([`RngStreams`]), so the graph is
//! the same for the same parameters on any machine.

use rand::RngExt;

use crate::engine::{RngStreams, SimRng};

use super::params::{GraphParams, Split};

/// What a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The traffic entry, behind an ELB.
    Edge,
    /// A middle-tier service, behind discovery.
    Middle,
    /// A data service: a leaf, behind discovery.
    Data,
}

/// One call a service makes for each request it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Call {
    /// Index of the service called.
    pub(crate) to: usize,
    /// Whether a cache sits in front of it.
    pub(crate) cached: bool,
}

/// One service of the graph.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Service {
    /// Its layer's name in the model.
    pub(crate) name: String,
    /// Edge, middle or data.
    pub(crate) kind: Kind,
    /// 0 for the edge, `depth` for data services.
    pub(crate) tier: u32,
    /// Mean service time of a request on a warm instance, in ms.
    pub(crate) service_time_mean_ms: u32,
    /// Its calls, by the index of the service called.
    pub(crate) calls: Vec<Call>,
}

/// Services in tier order (the edge first, data last): every call goes to a later
/// index, so the order is topological.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceGraph {
    /// The services.
    pub(crate) services: Vec<Service>,
}

impl ServiceGraph {
    /// Draws the graph of `params` (checked).
    pub(crate) fn draw(params: &GraphParams) -> ServiceGraph {
        let streams = RngStreams::new(params.seed);
        let tiers = tier_sizes(params.split(), params.depth);
        let mut services = name_services(&tiers);
        draw_calls(
            &mut services,
            &tiers,
            params.fan_out,
            &mut streams.stream("generate.calls"),
        );
        draw_caches(
            &mut services,
            params.cache_share,
            &mut streams.stream("generate.caches"),
        );
        let mut rng = streams.stream("generate.service_times");
        for service in &mut services {
            service.service_time_mean_ms = log_uniform(
                params.service_time_mean_ms_min,
                params.service_time_mean_ms_max,
                &mut rng,
            );
        }
        ServiceGraph { services }
    }

    /// Indices of the services that call service `index`.
    pub(crate) fn callers_of(&self, index: usize) -> Vec<usize> {
        (0..self.services.len())
            .filter(|&i| self.services[i].calls.iter().any(|c| c.to == index))
            .collect()
    }

    /// Services in `tier`, by name.
    #[cfg(test)]
    pub(crate) fn tier(&self, tier: u32) -> Vec<&str> {
        self.services
            .iter()
            .filter(|s| s.tier == tier)
            .map(|s| s.name.as_str())
            .collect()
    }
}

/// Services per tier, the edge's tier 0 first and the data tier last.
pub(crate) fn tier_sizes(split: Split, depth: u32) -> Vec<u32> {
    let middle_tiers = depth - 1;
    let mut sizes = vec![1];
    if middle_tiers > 0 {
        // One each, the rest in proportion to the tier's number (largest remainder).
        let spare = split.middle - middle_tiers;
        let weight_total: u32 = (1..=middle_tiers).sum();
        let shares: Vec<(u32, u32)> = (1..=middle_tiers)
            .map(|t| (spare * t / weight_total, spare * t % weight_total))
            .collect();
        let mut extra: Vec<u32> = shares.iter().map(|s| s.0).collect();
        let mut left = spare - extra.iter().sum::<u32>();
        let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
        // Largest remainder first; ties to the deeper tier.
        by_remainder.sort_by(|&a, &b| shares[b].1.cmp(&shares[a].1).then(b.cmp(&a)));
        for &t in &by_remainder {
            if left == 0 {
                break;
            }
            extra[t] += 1;
            left -= 1;
        }
        sizes.extend(extra.iter().map(|e| 1 + e));
    }
    sizes.push(split.data);
    sizes
}

/// The services of `tiers`, named, without calls yet.
fn name_services(tiers: &[u32]) -> Vec<Service> {
    let last = tiers.len() - 1;
    let middle: u32 = tiers[1..last].iter().sum();
    let data = tiers[last];
    let width = |count: u32| count.to_string().len().max(2);
    let mut services = Vec::new();
    let (mut next_middle, mut next_data) = (1, 1);
    for (tier, &size) in tiers.iter().enumerate() {
        for _ in 0..size {
            let (name, kind) = if tier == 0 {
                ("edge".to_string(), Kind::Edge)
            } else if tier == last {
                next_data += 1;
                (
                    format!("data-{:0w$}", next_data - 1, w = width(data)),
                    Kind::Data,
                )
            } else {
                next_middle += 1;
                (
                    format!("api-{:0w$}", next_middle - 1, w = width(middle)),
                    Kind::Middle,
                )
            };
            services.push(Service {
                name,
                kind,
                tier: tier as u32,
                service_time_mean_ms: 0,
                calls: Vec::new(),
            });
        }
    }
    services
}

/// Deals each tier to the one above it, then tops every caller up to `fan_out`
/// distinct services from all deeper tiers.
fn draw_calls(services: &mut [Service], tiers: &[u32], fan_out: u32, rng: &mut SimRng) {
    let starts: Vec<usize> = tiers
        .iter()
        .scan(0usize, |at, &size| {
            let start = *at;
            *at += size as usize;
            Some(start)
        })
        .collect();
    let total = services.len();
    for tier in 0..tiers.len() - 1 {
        let callers: Vec<usize> = (starts[tier]..starts[tier + 1]).collect();
        let mut next: Vec<usize> =
            (starts[tier + 1]..starts[tier + 1] + tiers[tier + 1] as usize).collect();
        shuffle(&mut next, rng);
        let mut targets: Vec<Vec<usize>> = vec![Vec::new(); callers.len()];
        for (i, &callee) in next.iter().enumerate() {
            targets[i % callers.len()].push(callee);
        }
        let deeper = starts[tier + 1]..total;
        for (chosen, &caller) in targets.iter_mut().zip(&callers) {
            let want = (fan_out as usize).min(deeper.len());
            while chosen.len() < want {
                let free: Vec<usize> = deeper.clone().filter(|d| !chosen.contains(d)).collect();
                chosen.push(free[rng.random_range(0..free.len())]);
            }
            chosen.sort_unstable();
            services[caller].calls = chosen
                .iter()
                .map(|&to| Call { to, cached: false })
                .collect();
        }
    }
}

/// Puts a cache in front of `share` (rounded) of the calls to data services, drawn
/// at random.
fn draw_caches(services: &mut [Service], share: f64, rng: &mut SimRng) {
    let mut to_data: Vec<(usize, usize)> = Vec::new();
    for (i, service) in services.iter().enumerate() {
        for (j, call) in service.calls.iter().enumerate() {
            if services[call.to].kind == Kind::Data {
                to_data.push((i, j));
            }
        }
    }
    let cached = ((to_data.len() as f64) * share).round() as usize;
    shuffle(&mut to_data, rng);
    for &(i, j) in &to_data[..cached.min(to_data.len())] {
        services[i].calls[j].cached = true;
    }
}

/// Fisher–Yates, on the project's generator (stable for a seed).
fn shuffle<T>(items: &mut [T], rng: &mut SimRng) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// A whole number of ms between `low` and `high`, log-uniform.
fn log_uniform(low: u32, high: u32, rng: &mut SimRng) -> u32 {
    let (l, h) = (f64::from(low).ln(), f64::from(high).ln());
    let u: f64 = rng.random();
    ((l + u * (h - l)).exp().round() as u32).clamp(low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(params: &GraphParams) -> ServiceGraph {
        params.check().unwrap();
        ServiceGraph::draw(params)
    }

    /// Whether every call goes to a deeper tier (so no cycle) and every service is
    /// reached from the edge.
    fn dag_reaching_all(graph: &ServiceGraph) -> Result<(), String> {
        let services = &graph.services;
        for s in services {
            for c in &s.calls {
                let to = &services[c.to];
                if to.tier <= s.tier {
                    return Err(format!(
                        "{} (tier {}) calls {} (tier {})",
                        s.name, s.tier, to.name, to.tier
                    ));
                }
            }
        }
        let mut reached = vec![false; services.len()];
        let mut stack = vec![0];
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut reached[i], true) {
                stack.extend(services[i].calls.iter().map(|c| c.to));
            }
        }
        match reached.iter().position(|r| !r) {
            Some(i) => Err(format!("{} is not reached from the edge", services[i].name)),
            None => Ok(()),
        }
    }

    #[test]
    fn generated_graph_is_a_dag_reaching_every_service() {
        for seed in 0..20 {
            for (services, depth, fan_out) in [
                (32, 4, 2),
                (32, 4, 3),
                (64, 6, 1),
                (2, 1, 2),
                (5, 3, 4),
                (40, 2, 2),
            ] {
                let params = GraphParams {
                    services,
                    depth,
                    fan_out,
                    seed,
                    ..GraphParams::default()
                };
                let g = graph(&params);
                assert_eq!(g.services.len(), services as usize);
                dag_reaching_all(&g).unwrap_or_else(|e| panic!("{params:?}: {e}"));
                // Every service but the edge has a caller in the tier just above it.
                for (i, s) in g.services.iter().enumerate().skip(1) {
                    assert!(
                        g.callers_of(i)
                            .iter()
                            .any(|&c| g.services[c].tier + 1 == s.tier),
                        "{params:?}: {} has no caller in tier {}",
                        s.name,
                        s.tier - 1
                    );
                }
                // The longest path is `depth` calls long.
                let mut longest = vec![0u32; g.services.len()];
                for i in (0..g.services.len()).rev() {
                    longest[i] = g.services[i]
                        .calls
                        .iter()
                        .map(|c| 1 + longest[c.to])
                        .max()
                        .unwrap_or(0);
                }
                assert_eq!(longest[0], depth, "{params:?}");
            }
        }
    }

    #[test]
    fn non_data_services_call_fan_out_distinct_services_data_services_none() {
        let params = GraphParams::default();
        let g = graph(&params);
        for s in &g.services {
            let mut to: Vec<usize> = s.calls.iter().map(|c| c.to).collect();
            to.dedup();
            assert_eq!(to.len(), s.calls.len(), "{} calls a service twice", s.name);
            match s.kind {
                Kind::Data => assert!(s.calls.is_empty(), "{}", s.name),
                Kind::Edge => assert_eq!(s.calls.len(), g.tier(1).len().max(2)),
                Kind::Middle => assert!(s.calls.len() >= 2, "{}: {:?}", s.name, s.calls),
            }
        }
    }

    #[test]
    fn tiers_widen_with_depth_and_names_follow_them() {
        let g = graph(&GraphParams::default());
        let sizes: Vec<usize> = (0..=4).map(|t| g.tier(t).len()).collect();
        assert_eq!(sizes, [1, 4, 8, 11, 8]);
        assert_eq!(g.tier(0), ["edge"]);
        assert_eq!(g.tier(1), ["api-01", "api-02", "api-03", "api-04"]);
        assert_eq!(g.tier(4)[0], "data-01");
        assert_eq!(tier_sizes(Split { middle: 3, data: 1 }, 4), [1, 1, 1, 1, 1]);
        assert_eq!(tier_sizes(Split { middle: 0, data: 1 }, 1), [1, 1]);
    }

    #[test]
    fn the_cache_share_of_data_calls_is_cached() {
        let g = graph(&GraphParams::default());
        let data_calls: Vec<&Call> = g
            .services
            .iter()
            .flat_map(|s| &s.calls)
            .filter(|c| g.services[c.to].kind == Kind::Data)
            .collect();
        let cached = data_calls.iter().filter(|c| c.cached).count();
        assert_eq!(cached, (data_calls.len() as f64 * 0.5).round() as usize);
        let to_middle_cached = g
            .services
            .iter()
            .flat_map(|s| &s.calls)
            .any(|c| c.cached && g.services[c.to].kind != Kind::Data);
        assert!(!to_middle_cached);
    }

    #[test]
    fn service_times_stay_in_their_range() {
        let g = graph(&GraphParams::default());
        assert!(
            g.services
                .iter()
                .all(|s| (2..=30).contains(&s.service_time_mean_ms))
        );
        let distinct: std::collections::BTreeSet<u32> =
            g.services.iter().map(|s| s.service_time_mean_ms).collect();
        assert!(distinct.len() > 10, "{distinct:?}");
    }
}

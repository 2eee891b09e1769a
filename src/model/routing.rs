//! How a layer's balancer picks an instance for an attempt.
//!
//! 1. The caller's *view time*: `now` behind an ELB; behind discovery, the time of the
//!    caller's last registry refresh (each calling instance refreshes at its own phase
//!    within the refresh interval; outside users at a random phase).
//! 2. A cluster: the only one, or one drawn by weight among those the caller can see
//!    (a cluster without an explicit weight weighs its number of instances in the
//!    caller's view, which spreads traffic evenly over instances as a shared ELB does).
//!    Behind discovery the weights are those of the caller's view too: a weight the
//!    controller sets reaches a caller with the same delay as a registration.
//!    Least outstanding requests over clusters that no weight splits (old and new
//!    behind one target group or Service) skips this step: it balances over all their
//!    instances as one pool, as the real balancer does.
//! 3. An instance of that cluster visible in the view: round robin (behind an ELB; behind
//!    discovery each client's rotation over a stale list is modelled as a uniform
//!    pick), or least outstanding requests (exact behind an ELB up to
//!    [`EXACT_LEAST_OUTSTANDING_MAX`] instances; best of two random picks otherwise,
//!    as client-side balancers do). Behind discovery a calling instance knows only
//!    its own requests outstanding on each instance (Ribbon's and Finagle's counts are
//!    per client), so many small callers balance worse than one big one; picks with
//!    no calling instance (outside users, the fast mode's background) use the
//!    instances' true counts.
//!
//! Behind an ELB with least outstanding requests, a dead instance that is still
//! registered has no requests in flight and wins most picks until the health checks
//! remove it: its share of attempts is refused meanwhile. A real ALB routing by least
//! outstanding requests does the same until it marks the target unhealthy.
//!
//! The pick may be an instance that has died but is still registered (an ELB before
//! its health checks fail, a discovery view before eviction and refresh): the attempt
//! is then refused, as a real client would see it.

use rand::RngExt;

use crate::engine::{SimDuration, SimTime};
use crate::scenario::balancer::Algorithm;

use super::cluster::{Cluster, LbEntry};
use super::ids::{ClusterId, InstanceId, LayerId};
use super::instance::Instance;
use super::request::Caller;
use super::world::{Balancer, World};

/// Largest cluster for which an ELB's least-outstanding pick scans every instance.
pub(crate) const EXACT_LEAST_OUTSTANDING_MAX: usize = 128;
/// Clusters of one layer whose weights fit on the stack when picking one.
const STACK_CLUSTERS: usize = 8;
/// Random picks tried before scanning for a visible entry.
const RANDOM_TRIES: usize = 8;

impl World {
    /// The instance an attempt from `caller` to `layer` goes to, if any is visible.
    pub(crate) fn route(&mut self, layer: LayerId, caller: Caller) -> Option<InstanceId> {
        let (view, algorithm, exact) = self.view_of(layer, caller);
        let asker = match caller {
            Caller::Job { instance, .. }
                if self.layers[layer.index()].balancer.counts_per_client() =>
            {
                Some(instance)
            }
            _ => None,
        };
        if algorithm == Algorithm::LeastOutstanding && self.one_pool(layer) {
            return self.least_outstanding_in_pool(layer, view, exact, asker);
        }
        let cluster = self.pick_cluster(layer, view, exact)?;
        self.pick_instance(cluster, view, algorithm, exact, asker)
    }

    /// Whether `layer`'s clusters form one pool: several, none weighted (no traffic
    /// router splits them), none sampled. A target group or a Service then balances
    /// over all their instances at once, as one set.
    fn one_pool(&self, layer: LayerId) -> bool {
        let clusters = &self.layers[layer.index()].clusters;
        clusters.len() > 1
            && clusters.iter().all(|id| {
                let c = &self.clusters[id.index()];
                c.weight_now().is_none() && !c.sampled()
            })
    }

    /// Least outstanding requests over every instance of `layer` visible at `view`:
    /// an exact scan behind an ELB up to [`EXACT_LEAST_OUTSTANDING_MAX`] instances
    /// (ties broken from a random place), else the less loaded of two instances drawn
    /// from the whole pool.
    fn least_outstanding_in_pool(
        &mut self,
        layer: LayerId,
        view: SimTime,
        exact: bool,
        asker: Option<InstanceId>,
    ) -> Option<InstanceId> {
        let clusters = &self.layers[layer.index()].clusters;
        let total: usize = clusters
            .iter()
            .map(|id| self.clusters[id.index()].entries.len())
            .sum();
        let outstanding = |id: InstanceId| load(&self.instances, asker, id);
        if exact && total <= EXACT_LEAST_OUTSTANDING_MAX {
            let start = self.rng.route.random_range(0..total.max(1));
            let mut best: Option<(usize, usize, InstanceId)> = None;
            let entries = clusters
                .iter()
                .flat_map(|id| self.clusters[id.index()].entries.iter());
            for (k, entry) in entries.enumerate() {
                if !entry.visible_at(view) {
                    continue;
                }
                let load = outstanding(entry.instance);
                // Rank ties by distance from the random start, so none is favoured.
                let rank = (k + total - start) % total;
                if best.is_none_or(|(b, r, _)| load < b || (load == b && rank < r)) {
                    best = Some((load, rank, entry.instance));
                }
            }
            return best.map(|(_, _, id)| id);
        }
        let mut draw = || -> Option<InstanceId> {
            let cluster = self.pick_cluster(layer, view, exact)?;
            let entries = &self.clusters[cluster.index()].entries;
            random_visible(entries, view, &mut self.rng.route)
        };
        let first = draw()?;
        let second = draw()?;
        let outstanding = |id: InstanceId| load(&self.instances, asker, id);
        Some(less_loaded(first, second, outstanding))
    }

    /// The caller's view time of `layer`'s balancer, its algorithm, and whether the
    /// view is the balancer's own (an ELB: exact and current).
    pub(crate) fn view_of(&mut self, layer: LayerId, caller: Caller) -> (SimTime, Algorithm, bool) {
        let now = self.now();
        match self.layers[layer.index()].balancer {
            Balancer::Elb { algorithm, .. } => (now, algorithm, true),
            Balancer::Discovery {
                algorithm,
                refresh_interval,
                server_cache_interval,
                list_refresh_interval,
                ..
            } => {
                let (fetch_phase, list_phase) = match caller {
                    Caller::Job { instance, .. } => self.caller_phases(instance),
                    Caller::User => {
                        let mut draw = |interval: SimDuration| {
                            SimDuration::from_nanos(if interval.is_zero() {
                                0
                            } else {
                                self.rng.route.random_range(0..interval.as_nanos())
                            })
                        };
                        (draw(refresh_interval), draw(list_refresh_interval))
                    }
                };
                // Three caches in a row: the caller's balancer copied its registry
                // client's view, fetched earlier from the registry's response cache,
                // rebuilt earlier still (a zero interval is no cache).
                let listed = last_refresh(now, list_phase, list_refresh_interval);
                let fetched = last_refresh(listed, fetch_phase, refresh_interval);
                let cache_phase = self.layers[layer.index()].registry_cache_phase;
                let view = last_refresh(fetched, cache_phase, server_cache_interval);
                (view, algorithm, false)
            }
        }
    }

    /// When a calling instance refreshes its registry views, and its balancer's lists.
    /// In fast mode a representative calls on behalf of its whole cluster, so each of
    /// its calls takes the phases of a random serving member (drawn from a sample of
    /// them renewed every window, see `model::fast`): the cluster's callers then see a
    /// change spread over the refresh intervals as the real fleet's would, not all at
    /// once.
    fn caller_phases(&mut self, instance: InstanceId) -> (SimDuration, SimDuration) {
        let own = &self.instances[instance.index()];
        let cluster = &self.clusters[own.cluster.index()];
        let pool = &cluster.sample.phases;
        if !cluster.sampled() || pool.is_empty() {
            return (own.refresh_phase, own.list_phase);
        }
        pool[self.rng.route.random_range(0..pool.len())]
    }

    /// An instance of `cluster` visible at `view`, by the balancer's algorithm. In fast
    /// mode, among the cluster's representatives (any visible instance if no
    /// representative is in this view).
    pub(crate) fn pick_instance(
        &mut self,
        cluster: ClusterId,
        view: SimTime,
        algorithm: Algorithm,
        exact: bool,
        asker: Option<InstanceId>,
    ) -> Option<InstanceId> {
        let rng = &mut self.rng.route;
        let instances = &self.instances;
        let cluster = &mut self.clusters[cluster.index()];
        let sampled = cluster.sampled();
        let entries = if sampled {
            &cluster.rep_entries
        } else {
            &cluster.entries
        };
        let cursor = &mut cluster.cursor;
        let picked = match algorithm {
            Algorithm::RoundRobin if exact => round_robin(entries, cursor, view),
            Algorithm::RoundRobin => random_visible(entries, view, rng),
            Algorithm::LeastOutstanding => {
                let outstanding = |id: InstanceId| load(instances, asker, id);
                if exact && entries.len() <= EXACT_LEAST_OUTSTANDING_MAX {
                    least_outstanding_exact(entries, cursor, view, outstanding)
                } else {
                    best_of_two(entries, view, rng, outstanding)
                }
            }
        };
        if picked.is_none() && sampled {
            return random_visible(&cluster.entries, view, &mut self.rng.route);
        }
        picked
    }

    /// The weight of cluster `c` for a caller whose view dates from `view`.
    fn cluster_weight(&self, c: &Cluster, view: SimTime, elb: bool) -> f64 {
        let weight = if elb {
            c.weight_now()
        } else {
            c.weight_at(view)
        };
        match weight {
            Some(w) if w > 0.0 && c.visible_at(view) => w,
            Some(_) => 0.0,
            // Behind an ELB the view is now: the registered count is exact.
            None if elb => f64::from(c.active_entries),
            None => c.routing_weight(view),
        }
    }

    /// The share of `layer`'s attempts made with view `view` that go to `cluster`.
    pub(crate) fn cluster_share(
        &self,
        layer: LayerId,
        cluster: ClusterId,
        view: SimTime,
        elb: bool,
    ) -> f64 {
        let candidates = &self.layers[layer.index()].clusters;
        let mut total = 0.0;
        let mut mine = 0.0;
        for id in candidates {
            let weight = self.cluster_weight(&self.clusters[id.index()], view, elb);
            total += weight;
            if *id == cluster {
                mine = weight;
            }
        }
        if total > 0.0 {
            return mine / total;
        }
        let first_visible = candidates
            .iter()
            .copied()
            .find(|id| self.clusters[id.index()].visible_at(view));
        if first_visible == Some(cluster) {
            1.0
        } else {
            0.0
        }
    }

    fn pick_cluster(&mut self, layer: LayerId, view: SimTime, elb: bool) -> Option<ClusterId> {
        let candidates = &self.layers[layer.index()].clusters;
        if let [only] = candidates[..] {
            return Some(only);
        }
        // A handful of clusters (old, new, a canary): weights on the stack, no allocation.
        let mut stack = [(ClusterId(0), 0.0f64); STACK_CLUSTERS];
        let mut heap = Vec::new();
        let weights: &mut [(ClusterId, f64)] = if candidates.len() <= STACK_CLUSTERS {
            &mut stack
        } else {
            heap.resize(candidates.len(), (ClusterId(0), 0.0));
            &mut heap
        };
        let (mut n, mut total) = (0usize, 0.0f64);
        for id in candidates {
            let weight = self.cluster_weight(&self.clusters[id.index()], view, elb);
            if weight > 0.0 {
                weights[n] = (*id, weight);
                n += 1;
                total += weight;
            }
        }
        if n == 0 {
            // Nothing weighted is visible: a stale view may still hold old instances.
            return candidates
                .iter()
                .copied()
                .find(|id| self.clusters[id.index()].visible_at(view));
        }
        let mut draw = self.rng.route.random::<f64>() * total;
        for (id, weight) in &weights[..n] {
            if draw < *weight {
                return Some(*id);
            }
            draw -= weight;
        }
        Some(weights[n - 1].0)
    }
}

/// The last refresh at or before `now` of a client refreshing every `interval` at `phase`.
pub(crate) fn last_refresh(
    now: SimTime,
    phase: crate::engine::SimDuration,
    interval: crate::engine::SimDuration,
) -> SimTime {
    let (now_ns, phase_ns, interval_ns) = (
        now.as_nanos(),
        phase.as_nanos() % interval.as_nanos().max(1),
        interval.as_nanos().max(1),
    );
    if now_ns < phase_ns {
        return SimTime::ZERO;
    }
    SimTime::from_nanos(now_ns - (now_ns - phase_ns) % interval_ns)
}

fn round_robin(entries: &[LbEntry], cursor: &mut u32, view: SimTime) -> Option<InstanceId> {
    let len = entries.len();
    for _ in 0..len {
        let index = *cursor as usize % len;
        *cursor = cursor.wrapping_add(1);
        let entry = entries[index];
        if entry.visible_at(view) {
            return Some(entry.instance);
        }
    }
    None
}

fn random_visible(
    entries: &[LbEntry],
    view: SimTime,
    rng: &mut crate::engine::SimRng,
) -> Option<InstanceId> {
    let len = entries.len();
    if len == 0 {
        return None;
    }
    for _ in 0..RANDOM_TRIES {
        let entry = entries[rng.random_range(0..len)];
        if entry.visible_at(view) {
            return Some(entry.instance);
        }
    }
    let visible: Vec<InstanceId> = entries
        .iter()
        .filter(|e| e.visible_at(view))
        .map(|e| e.instance)
        .collect();
    (!visible.is_empty()).then(|| visible[rng.random_range(0..visible.len())])
}

/// Requests outstanding on `id` as the balancer knows them: the instance's own count
/// (an ELB, or any pick without a calling instance), or only the asking caller's
/// requests to it (a client-side balancer knows nothing else).
fn load(instances: &[Instance], asker: Option<InstanceId>, id: InstanceId) -> usize {
    match asker {
        Some(caller) => instances[caller.index()]
            .outstanding_from_here
            .get(&id)
            .map_or(0, |n| *n as usize),
        None => instances[id.index()].outstanding(),
    }
}

/// The less loaded of two random visible picks (client-side least outstanding).
fn best_of_two(
    entries: &[LbEntry],
    view: SimTime,
    rng: &mut crate::engine::SimRng,
    outstanding: impl Fn(InstanceId) -> usize,
) -> Option<InstanceId> {
    let first = random_visible(entries, view, rng)?;
    let second = random_visible(entries, view, rng)?;
    Some(less_loaded(first, second, outstanding))
}

fn less_loaded(
    first: InstanceId,
    second: InstanceId,
    outstanding: impl Fn(InstanceId) -> usize,
) -> InstanceId {
    if outstanding(second) < outstanding(first) {
        second
    } else {
        first
    }
}

fn least_outstanding_exact(
    entries: &[LbEntry],
    cursor: &mut u32,
    view: SimTime,
    outstanding: impl Fn(InstanceId) -> usize,
) -> Option<InstanceId> {
    // Start the scan at a rotating position so that ties are spread, not piled on the first.
    let len = entries.len();
    let start = *cursor as usize;
    *cursor = cursor.wrapping_add(1);
    let mut best: Option<(usize, InstanceId)> = None;
    for k in 0..len {
        let entry = entries[(start + k) % len];
        if !entry.visible_at(view) {
            continue;
        }
        let load = outstanding(entry.instance);
        if best.is_none_or(|(b, _)| load < b) {
            best = Some((load, entry.instance));
        }
    }
    best.map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    #[test]
    fn each_client_sees_the_registry_as_of_its_own_last_refresh() {
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        let interval = SimDuration::from_secs(30);
        assert_eq!(
            last_refresh(at(100), SimDuration::from_secs(5), interval),
            at(95)
        );
        assert_eq!(
            last_refresh(at(94), SimDuration::from_secs(5), interval),
            at(65)
        );
        assert_eq!(
            last_refresh(at(3), SimDuration::from_secs(5), interval),
            at(0)
        );
        assert_eq!(
            last_refresh(at(5), SimDuration::from_secs(5), interval),
            at(5)
        );
    }
}

//! The fast mode: big clusters simulated through a few representatives, so that the
//! cost of a run follows the number of representatives, not the fleet.
//!
//! # How a run moves
//! 1. **Sampling step.** A world whose largest layer starts with `n` instances samples
//!    one request in `m = ⌊n / k⌋` (`k` = the model's `fast_representatives`, default
//!    [`DEFAULT_FAST_REPRESENTATIVES`]): entry arrivals are drawn at 1/m of
//!    the traffic curve's rate and herds send 1/m of their clients. Every simulated
//!    call stands for `m` real ones (its *weight*; more below a thinned layer, see
//!    [`super::quiet`]), and every layer's totals, per-second series and latency
//!    histograms count it that many times.
//! 2. **Representatives.** Each cluster keeps `⌈registered / m⌉` of its registered
//!    instances as representatives (kept up as instances come and go: a representative
//!    that dies or leaves is replaced by a registered member). A balancer picks a
//!    cluster by its *real* weight (every instance counts), then a representative by
//!    its algorithm. So a representative receives the per-instance share of the
//!    sampled traffic that a real instance receives of the real traffic. Every
//!    instance still exists with its whole lifecycle: instance counts, instance-hours,
//!    kills, batches, canaries and what the controller sees of them are exact; only
//!    the non-representatives take no requests.
//! 3. **Background.** Rounding up, and small clusters (a one-instance canary keeps its
//!    instance, which must carry a whole instance's load), leave representatives
//!    short of load by a factor `p = reps · w / registered ≥ 1` (`w` the mean weight
//!    of the layer's sampled attempts: `m`, unless calls to it are thinned). Unless the
//!    cluster is quiet (see [`super::quiet`]: queue waits by formula instead), background
//!    arrivals make it up: per cluster a Poisson process at rate `Â · π · (p − 1)`,
//!    where `Â` is the layer's sampled attempt rate (smoothed over ~1 s), `π` the
//!    cluster's share of the layer's traffic (averaged over the callers' views),
//!    recomputed every 100 ms.
//!    A background request is served in full on a representative (queueing, warm-up,
//!    caches, defects, crashes), and counts in its cluster's series (what judges see),
//!    but not in the layer's totals (the sampled calls already stand for those), and
//!    its own calls to lower layers are not made: their outcome and duration are drawn
//!    from what the lower layer's callers saw in the last second. Lower layers thus
//!    carry exactly the sampled load.
//! 4. **Cohorts and weights.** Instances a cluster launched at the same moment form a
//!    cohort (the starting fleet, a rolling batch, a replacement); each cohort keeps
//!    its own `⌈registered / m⌉` representatives, so a batch or a replacement is
//!    represented by its own instances, never by an older, warmer one; within a cohort
//!    they are a uniform random sample of its registered instances (reservoir sampling
//!    as instances register), not its first to boot, which would be its warmest. A
//!    representative stands for `registered ÷ representatives` of its cohort. Once all
//!    of a cohort's instances are warm (warm-up over, caches warm) it is
//!    interchangeable with the cluster's largest warm cohort, joins it, and gives back
//!    the representatives it no longer needs, so Chaos Monkey's replacements cost full
//!    representatives only while they are cold.
//! 5. **What judges see.** A cluster's per-second attempts and finished requests are
//!    its sampled ones × `m` (unbiased whatever the callers' views); how the finished
//!    ones split into successes and failures by cause, and their latencies, come from
//!    every request its representatives served, background ones included, each
//!    weighted by what its representative stands for. So a one-instance canary is
//!    judged on all of its real requests, not on a 1/m sample scaled up, and a cohort
//!    weighs in its cluster's p99 what it weighs in the fleet. Busy workers are scaled
//!    by the same weights.
//!
//! # Why it is accurate
//! With random routing (discovery's pick), a representative's arrivals are exactly a
//! real instance's: a Poisson stream at the per-instance rate (thinning a Poisson
//! process gives a Poisson process). Queueing, service, warm-up, timeouts, retries and
//! retry budgets then act on each sampled request as on a real one, so latency and
//! outcome *distributions* are unchanged and counts are unbiased (scaled by `m`);
//! feedback such as retry storms and metastable overload arises from the sampled
//! requests themselves (a retry is a sampled request too). This is the scale-down
//! argument of SHRiNK (Pan et al., INFOCOM 2003) applied per cluster, with exact small
//! clusters as in hybrid packet/fluid simulation (Kiddle et al., PADS 2003).
//!
//! # Where it is not
//! - Round robin behind an ELB: a representative gets every `reps`-th sampled arrival
//!   (Erlang-`reps` gaps) where a real instance gets every `registered`-th real one:
//!   arrivals are a little less regular, waits a little longer.
//! - Least outstanding requests pools over the representatives, not the whole fleet.
//! - Background requests' own calls below are drawn from the last second, not made.
//! - A promoted representative starts with an empty queue.
//! - Variances: a cluster's counts are its sampled requests × `m`, so they vary `m`
//!   times more than a real fleet's; the rates, outcome mixes and latencies judges
//!   compare come from every request of its representatives (all of a small cluster's
//!   real requests), so their variance is a real fleet's for small clusters and `m`
//!   times it for big ones, which the judges' thresholds see as more noise in the
//!   baseline, not as a bias.
//! - Little's-law inputs of the summary (`mean_in_system`, arrival rate) are the
//!   representatives' own, not the fleet's.

use rand::RngExt;

use crate::engine::{SimDuration, SimRng, SimTime};

use super::ids::{ClusterId, InstanceId, LayerId};
use super::instance::Phase;
use super::observe::{CAUSES, ClusterWindow, LayerWindow, count_cause};
use super::request::{FailureCause, Job, JobStage};
use super::slab::Handle;
use super::world::{Balancer, Event, World};

pub use crate::scenario::document::{AUTO_FAST_MIN_INSTANCES, DEFAULT_FAST_REPRESENTATIVES};

/// How often background rates are recomputed.
pub(crate) const TICK: SimDuration = SimDuration::from_millis(100);

/// Time constant of the smoothed attempt rate, in seconds.
const RATE_SMOOTHING_SECS: f64 = 1.0;

/// The real attempts each sampled one stands for are measured over at least this
/// many recent sampled attempts (see [`FastLayer::stands_for`]).
const STANDS_FOR_ATTEMPTS: u64 = 16;

/// With thinning, the real attempt rate is smoothed over at least this many sampled
/// attempts (and at least [`RATE_SMOOTHING_SECS`]): a thinned layer's few heavy
/// attempts would otherwise make it swing, and quiet waits, convex in the rate,
/// would grow on average with the swings.
const RATE_SMOOTHING_ATTEMPTS: f64 = 64.0;

/// Views averaged for a cluster's traffic share behind discovery.
const SHARE_VIEWS: u64 = 4;

/// `interval × φ_base(index)`, in ns: a point of the van der Corput sequence in `base`.
fn spread(interval: SimDuration, index: u64, base: u64) -> u64 {
    let (mut fraction, mut scale, mut n) = (0.0, 1.0 / base as f64, index);
    while n > 0 {
        fraction += (n % base) as f64 * scale;
        n /= base;
        scale /= base as f64;
    }
    (interval.as_nanos() as f64 * fraction) as u64
}

/// Serving members whose refresh phases a cluster's callers take, drawn every window.
const PHASE_SAMPLE: usize = 64;

/// A cluster's sampling state in fast mode.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClusterSample {
    /// Background arrivals per second now.
    pub(crate) rate_per_second: f64,
    /// Bumped whenever the rate is set, so older arrival events are dropped.
    pub(crate) generation: u32,
    /// Busy worker-ns of the whole cluster, scaled from its representatives.
    pub(crate) busy_scaled_ns: f64,
    /// Mean worker-ns a representative holds a request, smoothed (0 until measured).
    pub(crate) holding_ns: f64,
    /// While the cluster is quiet: the extra wait of requests reaching its
    /// representatives, in place of background arrivals (see `model::quiet`).
    pub(crate) quiet: Option<super::quiet::QuietQueue>,
    /// `(refresh, list)` phases of serving members drawn at the last window's end: a
    /// representative calling for its cluster takes one of them (see `model::routing`).
    pub(crate) phases: Vec<(SimDuration, SimDuration)>,
}

/// The fast mode's state of a world.
#[derive(Debug, Clone)]
pub(crate) struct Fast {
    /// Real requests per simulated one.
    pub(crate) step: u32,
    /// Background arrivals, drawn outcomes and rounding.
    pub(crate) rng: SimRng,
    pub(crate) layers: Vec<FastLayer>,
    /// Per cluster, its events in the window being filled.
    pub(crate) clusters: Vec<ClusterTally>,
    /// A cluster may be quiet (see `model::quiet`) while a whole instance's load keeps
    /// its workers at most this busy; 0: never.
    pub(crate) quiet_max_busy: f64,
    /// Whether calls to layers of quiet clusters are thinned (`fast_thinning`).
    pub(crate) thinning: bool,
}

/// A layer's state in fast mode.
#[derive(Debug, Clone, Default)]
pub(crate) struct FastLayer {
    /// Sampled attempts that arrived since the last tick.
    pub(crate) attempts_since_tick: u64,
    /// The real attempts they stand for.
    pub(crate) attempt_weight_since_tick: u64,
    /// Sampled attempts per second, smoothed.
    attempt_rate: f64,
    /// Real attempts per second, smoothed.
    attempt_weight_rate: f64,
    /// Real attempts each sampled one stands for, over the last
    /// [`STANDS_FOR_ATTEMPTS`] or more (0: none yet). Not smoothed over seconds as the
    /// real rate is: when thinning above switches, the weights of the attempts change
    /// at once, and so must the sampled rate the background load tops up.
    stands_for: f64,
    /// Sampled attempts, and the real ones they stand for, since `stands_for` was set.
    recent_attempts: u64,
    recent_weight: u64,
    /// Thinning of calls to it, and the recent calls drawn from (see `model::quiet`).
    pub(crate) thin: super::quiet::Thinning,
    /// Successful call latencies of the last window with any: `(cumulative count, low
    /// ns, high ns)` per bucket.
    latency_cdf: Vec<(u64, u64, u64)>,
    /// Share of resolved calls that failed in the last window with any.
    failure_probability: f64,
    /// Mean time to failure of the failed calls of the last window with any.
    failed_latency: SimDuration,
    /// Failed calls of the window being filled, and their total duration.
    window_failed: u64,
    window_failed_ns: u128,
    /// Busy worker-ns of the layer, scaled from its representatives.
    pub(crate) busy_scaled_ns: f64,
    /// Scaled busy worker-ns of representatives gone since the last window's end.
    busy_gone_pending: f64,
}

impl FastLayer {
    /// Share of the calls resolved in the last window with any that failed.
    pub(crate) fn failure_probability(&self) -> f64 {
        self.failure_probability
    }

    /// A sampled call to this layer failed after `latency`.
    pub(crate) fn failed_call(&mut self, latency: SimDuration) {
        self.window_failed += 1;
        self.window_failed_ns += u128::from(latency.as_nanos());
    }

    /// Keeps what the layer's callers saw in the window just closed.
    fn close_window(&mut self, window: &LayerWindow) {
        if !window.latency.is_empty() {
            self.latency_cdf = window.latency.cdf();
        }
        let failed: u64 = window.failed.iter().map(|&f| u64::from(f)).sum();
        let resolved = u64::from(window.succeeded) + failed;
        if resolved > 0 {
            self.failure_probability = failed as f64 / resolved as f64;
        }
        if self.window_failed > 0 {
            self.failed_latency = SimDuration::from_nanos(
                (self.window_failed_ns / u128::from(self.window_failed)) as u64,
            );
        }
        self.window_failed = 0;
        self.window_failed_ns = 0;
    }

    /// A call's duration and whether it failed, drawn from the last window.
    fn draw(&self, rng: &mut SimRng) -> (SimDuration, bool) {
        if self.failure_probability > 0.0 && rng.random::<f64>() < self.failure_probability {
            return (self.failed_latency, true);
        }
        let Some(&(total, _, _)) = self.latency_cdf.last() else {
            return (SimDuration::ZERO, false);
        };
        let rank = rng.random_range(0..total);
        let at = self
            .latency_cdf
            .partition_point(|&(cumulative, _, _)| cumulative <= rank);
        let (_, low, high) = self.latency_cdf[at.min(self.latency_cdf.len() - 1)];
        let nanos = low + ((high - low) as f64 * rng.random::<f64>()) as u64;
        (SimDuration::from_nanos(nanos), false)
    }
}

impl Fast {
    pub(crate) fn new(
        step: u32,
        rng: SimRng,
        layers: usize,
        quiet_max_busy: f64,
        thinning: bool,
    ) -> Self {
        Fast {
            step,
            rng,
            layers: vec![FastLayer::default(); layers],
            clusters: Vec::new(),
            quiet_max_busy,
            thinning,
        }
    }
}

/// `x ≥ 0` rounded at random to a neighbouring whole number, so that its mean is exact.
fn random_round(x: f64, rng: &mut SimRng) -> u32 {
    let whole = x.floor();
    let up = rng.random::<f64>() < x - whole;
    (whole as u32).saturating_add(u32::from(up))
}

/// An event of a request on an instance, for its cluster's series.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ClusterEvent {
    /// It arrived.
    Attempt,
    /// The instance finished it with success after this long.
    Success(SimDuration),
    /// It failed on the instance.
    Failure(FailureCause),
}

/// A cluster's events in the window being filled, in fast mode.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClusterTally {
    /// Real attempts that reached it: the weights of its sampled (not background) ones.
    attempts: u64,
    /// Real requests its instances finished: the weights of its sampled ones.
    finished: u64,
    /// Requests (sampled and background) its instances finished with success, and
    /// failed by cause, each weighted by the instances its representative stands for.
    succeeded_weight: f64,
    failed_weight: [f64; CAUSES],
}

/// `count / step` rounded at random so that its mean is exact.
pub(crate) fn thin_count(count: u64, step: u32, rng: &mut SimRng) -> u64 {
    let whole = count / u64::from(step);
    let rest = (count % u64::from(step)) as f64 / f64::from(step);
    whole + u64::from(rng.random::<f64>() < rest)
}

impl World {
    /// Whether requests are sampled (fast mode).
    #[inline]
    pub(crate) fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// Keeps each cohort of `cluster` at `⌈registered / m⌉` representatives: after an
    /// instance left the balancer, a registered, serving member of its cohort takes
    /// over (with an empty queue).
    pub(crate) fn top_up_reps(&mut self, cluster: ClusterId) {
        let c = &self.clusters[cluster.index()];
        if !c.sampled() {
            return;
        }
        let step = c.sampling_step;
        for cohort in 0..c.cohorts.len() {
            loop {
                let c = &self.clusters[cluster.index()];
                let group = c.cohorts[cohort];
                if group.reps >= group.reps_wanted(step) {
                    break;
                }
                let candidate = c
                    .entries
                    .iter()
                    .filter(|e| e.until == SimTime::MAX && usize::from(e.cohort) == cohort)
                    .map(|e| e.instance)
                    .find(|id| {
                        let instance = &self.instances[id.index()];
                        instance.phase == Phase::Serving && !instance.rep
                    });
                let Some(id) = candidate else { break };
                // It served no requests as a non-representative: its caches take the
                // warmth of a representative of its cohort, which served its share.
                let warmth = c
                    .rep_entries
                    .iter()
                    .rev()
                    .map(|e| e.instance)
                    .find(|r| {
                        let other = &self.instances[r.index()];
                        other.cohort as usize == cohort && other.phase != Phase::Terminated
                    })
                    .map(|r| self.instances[r.index()].cache_lookups.clone());
                let c = &mut self.clusters[cluster.index()];
                c.add_rep(id);
                let weight = c.cohorts[cohort].weight();
                let instance = &mut self.instances[id.index()];
                instance.rep = true;
                instance.sample_weight = weight;
                if let Some(warmth) = warmth {
                    instance.cache_lookups = warmth;
                }
                self.sync_brief(id);
            }
        }
    }

    /// Keeps a cohort's representatives a uniform random sample of its registered
    /// instances as `id` (of `cluster`) registers: if it took a representative's slot
    /// that opened, the slot goes instead to any of the cohort's registered instances
    /// that are not representatives, it included, with equal chance; if not, it
    /// replaces a random representative with probability `representatives ÷
    /// registered` (reservoir sampling). So the representatives of a batch are not its
    /// first instances to boot (the warmest), but a fair draw of them.
    pub(crate) fn sample_reps_on_register(&mut self, cluster: ClusterId, id: InstanceId) {
        let now = self.now();
        let Some(fast) = &mut self.fast else { return };
        let c = &self.clusters[cluster.index()];
        let cohort = self.instances[id.index()].cohort;
        let group = c.cohorts[usize::from(cohort)];
        let registered: Vec<InstanceId> = c
            .entries
            .iter()
            .filter(|e| e.until == SimTime::MAX && e.cohort == cohort && e.instance != id)
            .map(|e| e.instance)
            .filter(|other| self.instances[other.index()].phase == Phase::Serving)
            .collect();
        let (reps, others): (Vec<InstanceId>, Vec<InstanceId>) = registered
            .into_iter()
            .partition(|other| self.instances[other.index()].rep);
        let (promote, demote) = if self.instances[id.index()].rep {
            // It took an opened slot: any non-representative, it included, equally likely.
            let pick = fast.rng.random_range(0..=others.len());
            match others.get(pick) {
                Some(&other) => (other, id),
                None => return,
            }
        } else {
            let reps_now = f64::from(group.reps);
            if reps.is_empty()
                || fast.rng.random::<f64>() >= reps_now / f64::from(group.registered.max(1))
            {
                return;
            }
            (id, reps[fast.rng.random_range(0..reps.len())])
        };
        // A promoted instance took no requests so far: its caches take the warmth of the
        // representative of its cohort registered closest in time to it.
        let registered_at = |who: InstanceId| {
            self.clusters[cluster.index()]
                .entries
                .iter()
                .find(|e| e.instance == who && e.until == SimTime::MAX)
                .map_or(now, |e| e.from)
        };
        let promoted_at = registered_at(promote);
        // (One registering now is as cold as the real one: nothing to copy.)
        let warmth = if promote == id {
            None
        } else {
            reps.iter()
                .filter(|r| **r != promote)
                .min_by_key(|r| {
                    registered_at(**r)
                        .as_nanos()
                        .abs_diff(promoted_at.as_nanos())
                })
                .map(|r| self.instances[r.index()].cache_lookups.clone())
        };
        let c = &mut self.clusters[cluster.index()];
        c.demote(demote, now);
        c.add_rep(promote);
        let weight = c.cohorts[usize::from(cohort)].weight();
        self.instances[demote.index()].rep = false;
        let promoted = &mut self.instances[promote.index()];
        promoted.rep = true;
        promoted.sample_weight = weight;
        if let Some(warmth) = warmth {
            promoted.cache_lookups = warmth;
        }
        self.sync_brief(promote);
        self.sync_brief(demote);
    }

    /// Whether `cohort` of `cluster` has registered instances, all warm: warm-up over,
    /// and its representatives' caches warm.
    pub(crate) fn cohort_is_warm(&self, cluster: ClusterId, cohort: usize, now: SimTime) -> bool {
        let c = &self.clusters[cluster.index()];
        let group = c.cohorts[cohort];
        if group.registered == 0 || group.warm_by > now {
            return false;
        }
        let warm_lookups = self.layers[c.layer.index()]
            .downstream
            .iter()
            .filter_map(|d| d.cache)
            .map(|(_, warmup, _)| (warmup * super::world::WARM_CACHE_WARMUPS) as u64);
        c.rep_entries
            .iter()
            .filter(|e| e.until == SimTime::MAX && usize::from(e.cohort) == cohort)
            .all(|e| {
                let lookups = &self.instances[e.instance.index()].cache_lookups;
                lookups
                    .iter()
                    .zip(warm_lookups.clone())
                    .all(|(n, warm)| *n >= warm)
            })
    }

    /// Cohorts whose instances are all warm (warm-up over, caches warm) are
    /// interchangeable with the cluster's largest warm cohort and join it, giving back
    /// the representatives they no longer need: a replacement or a rolling batch costs
    /// full representatives only while it is different.
    fn merge_warm_cohorts(&mut self, now: SimTime) {
        for cluster in 0..self.clusters.len() {
            let c = &self.clusters[cluster];
            if c.retired || !c.sampled() || c.cohorts.len() < 2 {
                continue;
            }
            let id = ClusterId(cluster as u32);
            let warm: Vec<usize> = (0..c.cohorts.len())
                .filter(|&k| self.cohort_is_warm(id, k, now))
                .collect();
            let Some(&main) = warm
                .iter()
                .max_by_key(|&&k| (c.cohorts[k].registered, usize::MAX - k))
            else {
                continue;
            };
            let step = c.sampling_step;
            let joining: Vec<usize> = warm.into_iter().filter(|&k| k != main).collect();
            if joining.is_empty() {
                continue;
            }
            for &k in &joining {
                let members: Vec<InstanceId> = self.clusters[cluster]
                    .entries
                    .iter()
                    .filter(|e| e.until == SimTime::MAX && usize::from(e.cohort) == k)
                    .map(|e| e.instance)
                    .collect();
                for id in members {
                    self.instances[id.index()].cohort = main as u16;
                }
                let c = &mut self.clusters[cluster];
                c.merge_cohort(k as u16, main as u16);
            }
            // Give back representatives beyond ⌈registered / m⌉, the newest first.
            loop {
                let c = &self.clusters[cluster];
                let group = c.cohorts[main];
                if group.reps <= group.reps_wanted(step) {
                    break;
                }
                let Some(extra) = c
                    .rep_entries
                    .iter()
                    .rev()
                    .find(|e| e.until == SimTime::MAX && usize::from(e.cohort) == main)
                    .map(|e| e.instance)
                else {
                    break;
                };
                self.clusters[cluster].demote(extra, now);
                self.instances[extra.index()].rep = false;
                self.sync_brief(extra);
            }
        }
    }

    /// Counts an event of a request on `instance` standing for `weight` real ones (0:
    /// a background one) in its cluster's series. At request level every event counts
    /// once. In fast mode a cluster's attempts and finished requests are its *sampled*
    /// ones, each counted for the real ones it stands for (unbiased whatever the
    /// callers' views), and how the finished ones split into successes
    /// and failures by cause, and their latencies, come from every request its
    /// representatives served, background ones included, each weighted by the
    /// instances its representative stands for (so a one-instance canary is judged on
    /// all its requests, and each cohort weighs what it weighs in the fleet).
    #[inline]
    pub(crate) fn count_on_cluster(
        &mut self,
        instance: InstanceId,
        weight: u32,
        event: ClusterEvent,
    ) {
        let on = &self.instances[instance.index()];
        let cluster = on.cluster.index();
        let Some(fast) = &mut self.fast else {
            let window = &mut self.cluster_windows[cluster];
            match event {
                ClusterEvent::Attempt => window.attempts += 1,
                ClusterEvent::Success(latency) => {
                    window.succeeded += 1;
                    self.cluster_latency[cluster].record(latency);
                }
                ClusterEvent::Failure(cause) => count_cause(&mut window.failed, cause),
            }
            return;
        };
        let stands_for = on.sample_weight;
        let tally = &mut fast.clusters[cluster];
        match event {
            ClusterEvent::Attempt => tally.attempts += u64::from(weight),
            ClusterEvent::Success(latency) => {
                tally.finished += u64::from(weight);
                tally.succeeded_weight += stands_for;
                let copies = random_round(stands_for, &mut fast.rng);
                self.cluster_latency[cluster].record_n(latency, copies);
            }
            ClusterEvent::Failure(cause) => {
                tally.finished += u64::from(weight);
                tally.failed_weight[cause.index()] += stands_for;
            }
        }
    }

    /// Every 100 ms: smooths each layer's sampled attempt rate and sets every
    /// cluster's background rate from it.
    pub(crate) fn fast_tick(&mut self) {
        let now = self.now();
        let Some(fast) = &mut self.fast else { return };
        let step = fast.step;
        let tick_secs = TICK.as_secs_f64();
        let alpha = 1.0 - (-tick_secs / RATE_SMOOTHING_SECS).exp();
        // Per layer: sampled attempts per second at the weights now in effect, and the
        // real attempts each stands for (the sampling step, times any thinning above).
        // Without thinning, every sampled attempt stands for the step: both rates are
        // smoothed alike. With it, the real rate is smoothed but the weight is the
        // recent attempts' own, so that a switch of thinning above changes the sampled
        // rate expected at once (a smoothed sampled rate would lag, and the background
        // load topping it up would overshoot for a second).
        let thinning = fast.thinning;
        let rates: Vec<(f64, f64)> = fast
            .layers
            .iter_mut()
            .map(|l| {
                let measured = l.attempts_since_tick as f64 / tick_secs;
                let weight = l.attempt_weight_since_tick as f64 / tick_secs;
                l.recent_attempts += l.attempts_since_tick;
                l.recent_weight += l.attempt_weight_since_tick;
                l.attempts_since_tick = 0;
                l.attempt_weight_since_tick = 0;
                if l.recent_attempts >= STANDS_FOR_ATTEMPTS {
                    l.stands_for = (l.recent_weight as f64 / l.recent_attempts as f64).max(1.0);
                    l.recent_attempts = 0;
                    l.recent_weight = 0;
                }
                l.attempt_rate += alpha * (measured - l.attempt_rate);
                let weight_alpha = if thinning && l.attempt_rate > 0.0 {
                    let secs = (RATE_SMOOTHING_ATTEMPTS / l.attempt_rate).max(RATE_SMOOTHING_SECS);
                    1.0 - (-tick_secs / secs).exp()
                } else {
                    alpha
                };
                l.attempt_weight_rate += weight_alpha * (weight - l.attempt_weight_rate);
                l.thin.tick(tick_secs, alpha);
                if !thinning {
                    let stands_for = if l.attempt_rate > 0.0 {
                        (l.attempt_weight_rate / l.attempt_rate).max(1.0)
                    } else {
                        f64::from(step)
                    };
                    return (l.attempt_rate, stands_for);
                }
                let stands_for = if l.stands_for > 0.0 {
                    l.stands_for
                } else {
                    f64::from(step)
                };
                (l.attempt_weight_rate / stands_for, stands_for)
            })
            .collect();
        for (index, &(rate, stands_for)) in rates.iter().enumerate() {
            let layer = LayerId(index as u16);
            let (elb, lag, caches) = match self.layers[index].balancer {
                Balancer::Elb { .. } => (true, SimDuration::ZERO, [SimDuration::ZERO; 2]),
                Balancer::Discovery {
                    refresh_interval,
                    server_cache_interval,
                    list_refresh_interval,
                    ..
                } => (
                    false,
                    refresh_interval,
                    [server_cache_interval, list_refresh_interval],
                ),
            };
            for ci in 0..self.layers[index].clusters.len() {
                let cluster = self.layers[index].clusters[ci];
                let c = &self.clusters[cluster.index()];
                let mut background = 0.0;
                let mut quiet = None;
                if c.active_entries > 0 && rate > 0.0 {
                    let p = f64::from(c.active_reps) * stands_for / f64::from(c.active_entries);
                    if p >= 1.0 {
                        let share = if elb {
                            self.cluster_share(layer, cluster, now, true)
                        } else {
                            // Callers' views spread over the last refresh interval,
                            // and over the registry's and balancers' caches (Halton
                            // points in bases 3 and 5 spread those delays).
                            (0..SHARE_VIEWS)
                                .map(|k| {
                                    let back = lag.as_nanos() / SHARE_VIEWS * k
                                        + lag.as_nanos() / (2 * SHARE_VIEWS)
                                        + spread(caches[0], k + 1, 3)
                                        + spread(caches[1], k + 1, 5);
                                    let view =
                                        SimTime::from_nanos(now.as_nanos().saturating_sub(back));
                                    self.cluster_share(layer, cluster, view, false)
                                })
                                .sum::<f64>()
                                / SHARE_VIEWS as f64
                        };
                        quiet = self.quiet_queue_of(layer, cluster, rate * share, p, now);
                        if p > 1.0 {
                            background = rate * share * (p - 1.0);
                            if let Some(q) = quiet {
                                // Only the other cohorts' representatives.
                                let c = &self.clusters[cluster.index()];
                                let cold = c.active_reps - c.cohorts[usize::from(q.cohort)].reps;
                                background *= f64::from(cold) / f64::from(c.active_reps);
                            }
                        }
                    }
                }
                self.clusters[cluster.index()].sample.quiet = quiet;
                self.set_background_rate(cluster, background);
            }
        }
        self.set_thinning();
        if now + TICK < self.end {
            self.scheduler.schedule_at(now + TICK, Event::FastTick);
        }
    }

    /// Restarts `cluster`'s background arrivals at `rate` per second.
    fn set_background_rate(&mut self, cluster: ClusterId, rate: f64) {
        let sample = &mut self.clusters[cluster.index()].sample;
        if rate <= 0.0 && sample.rate_per_second <= 0.0 {
            return;
        }
        sample.generation = sample.generation.wrapping_add(1);
        sample.rate_per_second = rate;
        let generation = sample.generation;
        if rate > 0.0 {
            self.schedule_background(cluster, rate, generation);
        }
    }

    fn schedule_background(&mut self, cluster: ClusterId, rate: f64, generation: u32) {
        let fast = self
            .fast
            .as_mut()
            .expect("background arrivals exist in fast mode only");
        let unit: f64 = fast.rng.random::<f64>();
        let gap = SimDuration::from_secs_f64(-(1.0 - unit).ln() / rate);
        let at = self.now() + gap;
        if at < self.end {
            self.scheduler.schedule_at(
                at,
                Event::Background {
                    cluster,
                    generation,
                },
            );
        }
    }

    /// A background request reaches one of `cluster`'s representatives.
    pub(crate) fn background_arrival(&mut self, cluster: ClusterId, generation: u32) {
        let sample = &self.clusters[cluster.index()].sample;
        let rate = sample.rate_per_second;
        if sample.generation != generation || rate <= 0.0 {
            return;
        }
        let quiet_cohort = sample.quiet.map(|q| q.cohort);
        self.schedule_background(cluster, rate, generation);
        let layer = self.clusters[cluster.index()].layer;
        let picked = match quiet_cohort {
            // A quiet cluster's background arrivals are its cold cohorts' only.
            Some(quiet) => self.pick_cold_rep(cluster, quiet),
            None => {
                let (view, algorithm, exact) = self.view_of(layer, super::request::Caller::User);
                self.pick_instance(cluster, view, algorithm, exact, None)
            }
        };
        let Some(instance) = picked else {
            return;
        };
        if !self.instances[instance.index()].is_up() {
            // A dead representative still in view: the sampled requests sent to it
            // already count the refusals.
            return;
        }
        if self.instances[instance.index()].impaired.blackholed {
            // Lost on its way, as the sampled requests sent to it are (they count it).
            return;
        }
        let now = self.now();
        self.count_on_cluster(instance, 0, ClusterEvent::Attempt);
        let job = self.jobs.insert(Job {
            call: Handle::DANGLING,
            attempt: 0,
            layer,
            instance,
            arrived_at: now,
            stage: JobStage::Queued,
            pending_calls: 0,
            downstream_failed: false,
            reconnect: false,
            defect_hit: false,
            background: true,
            weight: 0,
        });
        self.jobs_peak = self.jobs_peak.max(self.jobs.len());
        match self.instances[instance.index()].station.arrive(now, job) {
            crate::queueing::Admission::Serving(job) => self.start_service(job),
            crate::queueing::Admission::Queued => {}
            crate::queueing::Admission::Rejected(job) => {
                self.jobs.remove(job);
                self.count_on_cluster(instance, 0, ClusterEvent::Failure(FailureCause::Shed));
            }
        }
    }

    /// A representative of `cluster` outside its quiet cohort, at random.
    fn pick_cold_rep(&mut self, cluster: ClusterId, quiet: u16) -> Option<InstanceId> {
        let fast = self.fast.as_mut()?;
        let c = &self.clusters[cluster.index()];
        let cold = c
            .rep_entries
            .iter()
            .filter(|e| e.until == SimTime::MAX && e.cohort != quiet);
        let count = cold.clone().count();
        if count == 0 {
            return None;
        }
        cold.map(|e| e.instance)
            .nth(fast.rng.random_range(0..count))
    }

    /// A background job's calls below: their outcomes drawn from what those layers'
    /// callers saw in the last second; the job's worker waits for the slowest.
    pub(crate) fn await_sampled_calls(&mut self, job: Handle, below: &[LayerId]) {
        let fast = self
            .fast
            .as_mut()
            .expect("background jobs exist in fast mode only");
        let (mut wait, mut failed) = (SimDuration::ZERO, false);
        for layer in below {
            let (latency, call_failed) = fast.layers[layer.index()].draw(&mut fast.rng);
            wait = wait.max(latency);
            failed |= call_failed;
        }
        let record = self.jobs.get_mut(job).expect("a job being served");
        record.stage = JobStage::Waiting;
        record.downstream_failed = failed;
        let at = self.now() + wait;
        self.scheduler
            .schedule_at(at, Event::SampledCallsDone { job });
    }

    /// A background job's drawn calls are over.
    pub(crate) fn sampled_calls_done(&mut self, job: Handle) {
        let Some(record) = self.jobs.get(job) else {
            return; // its instance died
        };
        if record.stage != JobStage::Waiting {
            return;
        }
        let failure = record.downstream_failed.then_some(FailureCause::Downstream);
        self.complete_job(job, failure);
    }

    /// At a window's end: scales every cluster's counts from its representatives to
    /// all its instances, and returns each layer's busy worker-ns in the window, scaled
    /// likewise.
    pub(crate) fn fast_window_end(&mut self, now: SimTime) -> Vec<f64> {
        self.merge_warm_cohorts(now);
        self.draw_caller_phases();
        // A registered representative stands for `registered ÷ representatives` of its
        // cohort; one that has left keeps the weight it had.
        let reps: Vec<InstanceId> = self.live_reps.iter().copied().collect();
        for id in &reps {
            let instance = &mut self.instances[id.index()];
            let cohort =
                self.clusters[instance.cluster.index()].cohorts[usize::from(instance.cohort)];
            if cohort.reps > 0 && self.clusters[instance.cluster.index()].is_registered(*id) {
                instance.sample_weight = cohort.weight();
            }
        }
        let fast = self.fast.as_mut().expect("fast mode");
        let mut busy: Vec<f64> = fast
            .layers
            .iter_mut()
            .map(|l| std::mem::take(&mut l.busy_gone_pending))
            .collect();
        let mut holding = vec![(0u128, 0u64); self.clusters.len()];
        // A quiet cohort's busy workers follow the utilisation law: the real requests
        // that reached it in the window × the mean time a worker holds one (measured
        // on its representatives). Its representatives' own busy time carries only
        // 1/p of a whole instance's load, and scaling it by p per window would
        // multiply two noisy measures of the same window.
        let quiet_busy: Vec<f64> = self
            .clusters
            .iter()
            .zip(&fast.clusters)
            .map(|(c, tally)| match c.sample.quiet {
                Some(q) if c.active_entries > 0 => {
                    let registered = f64::from(c.cohorts[usize::from(q.cohort)].registered);
                    tally.attempts as f64 * registered / f64::from(c.active_entries)
                        * c.sample.holding_ns
                }
                _ => 0.0,
            })
            .collect();
        for (index, &scaled) in quiet_busy.iter().enumerate() {
            self.clusters[index].sample.busy_scaled_ns += scaled;
            busy[self.clusters[index].layer.index()] += scaled;
        }
        for id in &reps {
            let instance = &mut self.instances[id.index()];
            let stats = instance.station.stats_at(now);
            let delta = stats.area_busy.saturating_sub(instance.busy_seen_ns);
            instance.busy_seen_ns = stats.area_busy;
            let completed = stats.completed.saturating_sub(instance.completed_seen);
            instance.completed_seen = stats.completed;
            let cluster = &mut self.clusters[instance.cluster.index()];
            if now >= instance.warm_at {
                let tally = &mut holding[instance.cluster.index()];
                tally.0 += delta;
                tally.1 += completed;
            }
            if cluster
                .sample
                .quiet
                .is_some_and(|q| q.cohort == instance.cohort)
            {
                continue; // counted above
            }
            let scaled = delta as f64 * instance.sample_weight;
            cluster.sample.busy_scaled_ns += scaled;
            busy[instance.layer.index()] += scaled;
        }
        for (cluster, (busy_ns, completed)) in holding.into_iter().enumerate() {
            self.note_holding(ClusterId(cluster as u32), busy_ns, completed);
        }
        let fast = self.fast.as_mut().expect("fast mode");
        for (index, tally) in fast.clusters.iter_mut().enumerate() {
            let window: &mut ClusterWindow = &mut self.cluster_windows[index];
            window.attempts = u32::try_from(tally.attempts).unwrap_or(u32::MAX);
            let finished = u32::try_from(tally.finished).unwrap_or(u32::MAX);
            let weight_total = tally.succeeded_weight + tally.failed_weight.iter().sum::<f64>();
            let mut failed_total = 0u32;
            for cause in 0..CAUSES {
                window.failed[cause] = if weight_total > 0.0 {
                    random_round(
                        f64::from(finished) * tally.failed_weight[cause] / weight_total,
                        &mut fast.rng,
                    )
                } else {
                    0
                };
                failed_total = failed_total.saturating_add(window.failed[cause]);
            }
            window.succeeded = finished.saturating_sub(failed_total);
            *tally = ClusterTally::default();
        }
        for (layer, total) in busy.iter().enumerate() {
            fast.layers[layer].busy_scaled_ns += total;
        }
        busy
    }

    /// Every window: each sampled cluster draws the refresh phases of serving members
    /// its representatives take when they call (looking up a random member on every
    /// call would cost a cache miss each).
    fn draw_caller_phases(&mut self) {
        let fast = self.fast.as_mut().expect("fast mode");
        for cluster in &mut self.clusters {
            let mut phases = std::mem::take(&mut cluster.sample.phases);
            phases.clear();
            if cluster.sampled() && !cluster.retired && !cluster.members.is_empty() {
                for _ in 0..PHASE_SAMPLE {
                    let member = cluster.members[fast.rng.random_range(0..cluster.members.len())];
                    let member = &self.briefs[member.index()];
                    if member.phase == Phase::Serving {
                        phases.push((member.refresh_phase, member.list_phase));
                    }
                }
            }
            cluster.sample.phases = phases;
        }
    }

    /// A representative shuts down: its busy time since the last window counts, scaled.
    pub(crate) fn fast_instance_gone(&mut self, busy_area_ns: u128, id: super::ids::InstanceId) {
        let instance = &self.instances[id.index()];
        if !instance.rep {
            return;
        }
        let quiet = self.clusters[instance.cluster.index()].sample.quiet;
        if quiet.is_some_and(|q| q.cohort == instance.cohort) {
            return; // its cohort's busy time follows its requests (see the window's end)
        }
        let delta = busy_area_ns.saturating_sub(instance.busy_seen_ns);
        let scaled = delta as f64 * instance.sample_weight;
        self.clusters[instance.cluster.index()]
            .sample
            .busy_scaled_ns += scaled;
        let layer = instance.layer.index();
        if let Some(fast) = &mut self.fast {
            fast.layers[layer].busy_gone_pending += scaled;
        }
    }

    /// Keeps what `layer`'s callers saw in the window being closed, for drawing the
    /// outcomes of background calls.
    pub(crate) fn fast_close_layer_window(&mut self, layer: usize, window: &LayerWindow) {
        if let Some(fast) = &mut self.fast {
            fast.layers[layer].close_window(window);
        }
    }
}

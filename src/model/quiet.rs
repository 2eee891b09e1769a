//! Quiet clusters of the fast mode: queue waits from queueing theory instead of
//! background load, while nothing about a cluster is changing.
//!
//! # Why
//! In fast mode a representative must see the queue of a fully loaded instance, so
//! background arrivals top up the sampled traffic it receives (see [`super::fast`]).
//! In a model of many services that floor dominates the cost: every layer keeps at
//! least one representative at a whole instance's load, whatever the sampling step.
//! Yet most of the time most clusters are *quiet*: no rollout on their layer, one warm
//! cohort, a healthy release, well below saturation. Their representatives then only
//! need the waits a full load would add, and for a stable multi-server queue those
//! are what queueing theory describes best.
//!
//! # How
//! Every tick, a cluster short of load (`p > 1`, see [`super::fast`]) is quiet when
//! - it is its layer's only cluster with members (no rollout under way, no cluster
//!   draining or launching beside it),
//! - it has a warm cohort (warm-up over, caches warm): its largest such is the quiet
//!   one; others (a relaunched batch, Chaos Monkey's replacements, still cold) keep
//!   background arrivals for their own representatives,
//! - its release has no defect and no impairment touches its representatives,
//! - its layer has no latency noise and its balancer picks in turn or at random (a
//!   least-outstanding balancer pools the fleet: never quiet),
//! - a holding time was measured and a whole instance's load keeps its workers at most
//!   `fast_quiet_busy` busy (default
//!   [`crate::scenario::document::DEFAULT_FAST_QUIET_BUSY`]).
//!
//! A quiet cluster gets no background arrivals. Each sampled request reaching one of
//! its representatives first waits an extra time, drawn so that its wait is, on
//! average, a fully loaded instance's. With λ a whole instance's arrival rate, `h`
//! the mean time a worker holds a request (its service and its calls below, measured
//! on the representatives: busy worker-time ÷ services completed, smoothed), `c`
//! workers and `C(c, a)` Erlang C, the Allen–Cunneen approximation of the G/G/c wait
//! is `W(λ) = C(c, λh) · h / (c − λh) · (Ca² + Cs²) / 2`, with `Ca² = 1` for a
//! random pick (discovery's), `1/n` in turn over `n` instances (an ELB's round robin),
//! and `Cs² = 1`. The representative receives `λ / p` and queues those for real, so
//! the extra wait has mean `Δ = W(λ) − W(λ / p)` (its own `Ca²` in turn is `1 /
//! representatives`); it is drawn as an M/M/c wait is: zero with probability `1 −
//! C(c, λh)`, else exponential with mean `Δ / C(c, λh)`. The request spends it on its
//! way to the instance (outstanding there, holding no worker), so timeouts, retries
//! and balancers see it. Busy workers (what autoscalers and reports read) follow the
//! utilisation law: the real requests that reached the quiet cohort × `h`.
//!
//! # Thinned calls (`fast_thinning = true`)
//! A quiet layer needs few sampled calls to measure what its callers see, and a
//! sampled call costs its whole subtree. So every tick, a layer (not the entry)
//! whose clusters with members are all quiet, and below which every layer is steady
//! (one cluster with members, a healthy release, no impairment, and its callers saw
//! at most 0.5% of their calls fail in the last window: nothing being rolled out or
//! broken), is *thinned*: of the `d` sampled calls per second offered to it, one in
//! `F` is made and stands for `F` (its weight, and that of every attempt, job and
//! call below it, is multiplied by `F`: every count of the run adds weights, so
//! totals stay unbiased, as with the sampling step itself); each of the others takes
//! an outcome (duration, success or failure) drawn from the layer's calls made in
//! the last 10 seconds (at least its last 256), and costs one event. `F` is a power
//! of two chosen so that about
//! [`crate::scenario::document::THINNED_CALLS_PER_SECOND`] calls a second are made:
//! halved at once when fewer than ¾ of that would be, doubled at most every 2 s when
//! more than 2½ times would (noise in `d` must not switch it back and forth, and the
//! rates measured below must follow a change). A caller's job still waits for the
//! slowest of its calls, so fan-out and its tail are kept; drawn outcomes are
//! independent draws, so a slow instance below does not slow many callers at once
//! more than a real fleet's would. A rollout, a defect or failing calls anywhere
//! below turn the thinning of every layer above off within a tick, so that judges see
//! every sampled request and failures reach the entry as they happen.
//!
//! Thinning changes the weights of the attempts below at once; what background
//! load must top up (see [`super::fast`]) follows: the real rate is smoothed (over a
//! second, or 64 sampled attempts if that is longer: a few heavy attempts would make
//! it swing, and a quiet wait, convex in the rate, would grow with the swings), but
//! the weight each sampled attempt stands for is that of the last 16, so the sampled
//! rate expected follows a switch within a few attempts. (A first version smoothed
//! the sampled rate too: when thinning switched off it lagged, background load
//! overshot for a second, and at the 32-service model's peak the overload fed itself.)
//!
//! # Why it is accurate, and where it is not
//! At the loads allowed, waits are a small part of a request's time (at 40% busy, 6
//! workers and exponential holding times: 0.03 `h`; 2 workers: 0.19 `h`), so an error
//! of a few tens of percent in them moves latencies by a few percent at most; the
//! service, the calls below, failures and their feedback stay simulated request by
//! request, and every change (a rollout, a kill's cold replacement, a defect, a
//! surge past the threshold) turns background arrivals back on within a tick.
//! - Extra waits are drawn independently; real waits come in busy spells.
//! - `Cs² = 1`: holding times more variable than exponential wait longer.
//! - No request is shed while quiet (at most 60% busy and a queue of tens, the chance
//!   that it is full is negligible).
//! - The switch is made per tick on smoothed rates: a sudden surge is met by the
//!   formula for up to a tick and a smoothing time before background arrivals return.
//! - A thinned layer's outcomes are those of its last 10 seconds of calls made (at
//!   least 256: 16 seconds at 16 a second): a change there that the rules above do
//!   not see (a layer's load creeping up within the threshold) reaches its callers
//!   that late, and an incident below 0.5% failures is replayed that long.
//! - Counts of a thinned layer and those below vary `F` times more than with every
//!   sampled call made (their means are unbiased); so do its latencies over a few
//!   minutes, and an hour's p99, made of its worst minutes, comes out a few percent
//!   higher.
//!
//! Measured (`tests/quiet_clusters_agree_with_background_load.rs`): on the
//! 32-service model at its evening peak, every layer's availability, mean, p50 and
//! p99 latency and busy workers within 5% (or the 95% interval) of the fast mode
//! with background load everywhere, with 3.8× fewer events; rollouts decide alike.

use rand::RngExt;

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::queueing::theory::erlang_c;

use super::ids::{ClusterId, InstanceId, LayerId};
use super::world::{Balancer, World};
use crate::scenario::balancer::Algorithm;

/// Recent calls to a layer kept to draw thinned calls' outcomes from.
const RECENT_CALLS: usize = 4096;

use crate::scenario::document::THINNED_CALLS_PER_SECOND;

/// Thinned calls' outcomes are drawn from the calls made in about this many
/// seconds…
const DRAWN_FROM_SECS: f64 = 10.0;

/// …but from at least this many calls.
const DRAWN_FROM_CALLS: usize = 256;

/// A layer whose callers saw more than this share of their calls fail in the last
/// window is not steady: its failures, and those they cause above, are simulated
/// call by call (a thinned layer would replay them from its recent calls).
const STEADY_MAX_FAILURES: f64 = 0.005;

/// A layer's thinning doubles at most once in this many ticks (2 s).
const RAISE_EVERY_TICKS: u32 = 20;

/// At most this thinning per layer.
const MAX_THINNING: u32 = 64;

/// Time constant of a cluster's smoothed holding time, in observation windows.
const HOLDING_SMOOTHING_WINDOWS: f64 = 5.0;

/// The extra wait of requests reaching a quiet cluster's representatives.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct QuietQueue {
    /// Probability that a request waits at all.
    pub(crate) wait_probability: f64,
    /// Mean extra wait of one that does, in ns.
    pub(crate) mean_wait_ns: f64,
    /// The cluster's cohort that is quiet (its largest warm one); the others' (cold)
    /// representatives keep background arrivals.
    pub(crate) cohort: u16,
}

impl QuietQueue {
    /// One request's extra wait.
    pub(crate) fn draw(&self, rng: &mut SimRng) -> SimDuration {
        if self.mean_wait_ns <= 0.0 || rng.random::<f64>() >= self.wait_probability {
            return SimDuration::ZERO;
        }
        let unit: f64 = rng.random::<f64>();
        SimDuration::from_nanos_f64(-(1.0 - unit).ln() * self.mean_wait_ns)
    }
}

/// What became of a call to a layer that may be thinned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Thinned {
    /// Made, standing for this many of the calls it would have stood for.
    Made(u32),
    /// Not made: its outcome, drawn from the layer's recent calls.
    Drawn { latency: SimDuration, failed: bool },
}

/// A layer's thinning: calls decided, and the recent calls' outcomes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Thinning {
    /// One call in `factor` is made (0 or 1: every call).
    factor: u32,
    decisions_since_tick: u64,
    /// Ticks since the factor last grew.
    ticks_since_raised: u32,
    /// Calls decided per second, smoothed.
    decision_rate: f64,
    /// `(latency ns, failed)` of recent calls made, a ring.
    recent: Vec<(u64, bool)>,
    next: usize,
    /// Outcomes are drawn from this many of the most recent calls: those of the last
    /// [`DRAWN_FROM_SECS`], but at least [`DRAWN_FROM_CALLS`].
    drawn_from: usize,
}

impl Thinning {
    /// Decides a call to the layer: made (one in `factor`), or drawn.
    #[inline]
    pub(crate) fn thin_or_draw(&mut self, rng: &mut SimRng) -> Thinned {
        self.decisions_since_tick += 1;
        if self.factor <= 1 {
            return Thinned::Made(1);
        }
        if rng.random_range(0..self.factor) == 0 {
            return Thinned::Made(self.factor);
        }
        // The ring is full while thinning (see `set`): `next` is its oldest entry.
        let back = rng.random_range(0..self.drawn_from.clamp(1, self.recent.len()));
        let (nanos, failed) = self.recent[(self.next + RECENT_CALLS - 1 - back) % RECENT_CALLS];
        Thinned::Drawn {
            latency: SimDuration::from_nanos(nanos),
            failed,
        }
    }

    /// A call made to the layer is over, after `latency`.
    #[inline]
    pub(crate) fn note_call(&mut self, latency: SimDuration, failed: bool) {
        let record = (latency.as_nanos(), failed);
        if self.recent.len() < RECENT_CALLS {
            self.recent.push(record);
        } else {
            self.recent[self.next] = record;
        }
        self.next = (self.next + 1) % RECENT_CALLS;
    }

    /// Every tick: smooths the rate of calls decided.
    pub(crate) fn tick(&mut self, tick_secs: f64, alpha: f64) {
        let measured = self.decisions_since_tick as f64 / tick_secs;
        self.decisions_since_tick = 0;
        self.decision_rate += alpha * (measured - self.decision_rate);
        self.ticks_since_raised = self.ticks_since_raised.saturating_add(1);
        let made_per_second = self.decision_rate / f64::from(self.factor.max(1));
        self.drawn_from =
            ((made_per_second * DRAWN_FROM_SECS) as usize).clamp(DRAWN_FROM_CALLS, RECENT_CALLS);
    }

    /// Thins the layer's calls (if `allowed` and its recent calls are known) so that
    /// about [`THINNED_CALLS_PER_SECOND`] are made: by a power of two, halved when
    /// fewer than ¾ of that rate would be made and doubled when more than 2½ times
    /// would, so that noise in the rate does not switch it back and forth.
    fn set(&mut self, allowed: bool) {
        if !allowed || self.recent.len() < RECENT_CALLS {
            self.factor = 1;
            return;
        }
        let wanted = self.decision_rate / THINNED_CALLS_PER_SECOND;
        let mut factor = self.factor.max(1);
        while factor > 1 && wanted < 0.75 * f64::from(factor) {
            factor /= 2;
        }
        // Grows by one doubling at a time, so that the rates measured below (smoothed
        // over a second or more) can follow.
        if factor < MAX_THINNING
            && wanted >= 2.5 * f64::from(factor)
            && self.ticks_since_raised >= RAISE_EVERY_TICKS
        {
            factor *= 2;
            self.ticks_since_raised = 0;
        }
        self.factor = factor;
    }
}

/// A queue's inputs for [`quiet_queue`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueLoad {
    /// Workers of one instance.
    pub(crate) workers: u32,
    /// A whole instance's arrivals per second.
    pub(crate) arrival_rate: f64,
    /// Mean time a worker holds a request, in seconds.
    pub(crate) holding_secs: f64,
    /// Real load ÷ the representative's own (`p ≥ 1`).
    pub(crate) load_factor: f64,
    /// Squared coefficient of variation of a whole instance's inter-arrival times.
    pub(crate) arrival_scv: f64,
    /// The same for the representative's own arrivals.
    pub(crate) rep_arrival_scv: f64,
}

/// Allen–Cunneen's mean wait in a G/G/c queue, seconds (`None` if unstable).
fn mean_wait_secs(
    workers: u32,
    arrival_rate: f64,
    holding_secs: f64,
    arrival_scv: f64,
) -> Option<f64> {
    let offered = arrival_rate * holding_secs;
    if offered <= 0.0 {
        return Some(0.0);
    }
    let waits = erlang_c(workers, offered)?;
    Some(waits * holding_secs / (f64::from(workers) - offered) * (arrival_scv + 1.0) / 2.0)
}

/// The extra wait that gives a representative at `1/p` of an instance's load the
/// waits of a whole one, if its workers would be at most `max_busy` busy.
pub(crate) fn quiet_queue(load: QueueLoad, max_busy: f64) -> Option<QuietQueue> {
    let offered = load.arrival_rate * load.holding_secs;
    if load.holding_secs.is_nan()
        || load.holding_secs <= 0.0
        || offered / f64::from(load.workers) > max_busy
    {
        return None;
    }
    let full = mean_wait_secs(
        load.workers,
        load.arrival_rate,
        load.holding_secs,
        load.arrival_scv,
    )?;
    let own = mean_wait_secs(
        load.workers,
        load.arrival_rate / load.load_factor,
        load.holding_secs,
        load.rep_arrival_scv,
    )?;
    let extra_secs = (full - own).max(0.0);
    let wait_probability = if offered > 0.0 {
        erlang_c(load.workers, offered)?
    } else {
        0.0
    };
    Some(QuietQueue {
        wait_probability,
        mean_wait_ns: if wait_probability > 0.0 {
            extra_secs / wait_probability * 1e9
        } else {
            0.0
        },
        cohort: 0,
    })
}

impl World {
    /// The cohort of `cluster` that may take its waits from [`quiet_queue`] now (see
    /// the module's list): its largest warm one; the load test is [`quiet_queue`]'s.
    fn quiet_cohort(&self, layer: LayerId, cluster: ClusterId, now: SimTime) -> Option<usize> {
        let l = &self.layers[layer.index()];
        if l.noise.is_some() || self.fast.as_ref().is_none_or(|f| f.quiet_max_busy <= 0.0) {
            return None;
        }
        let algorithm = match l.balancer {
            Balancer::Elb { algorithm, .. } | Balancer::Discovery { algorithm, .. } => algorithm,
        };
        if algorithm == Algorithm::LeastOutstanding {
            return None;
        }
        let with_members = l
            .clusters
            .iter()
            .filter(|c| !self.clusters[c.index()].members.is_empty())
            .count();
        let c = &self.clusters[cluster.index()];
        if with_members != 1 || c.members.is_empty() || c.sample.holding_ns <= 0.0 {
            return None;
        }
        if l.releases[c.version as usize] != super::release::Release::healthy() {
            return None;
        }
        let unimpaired = c
            .rep_entries
            .iter()
            .filter(|e| e.until == SimTime::MAX)
            .all(|e| self.instances[e.instance.index()].impaired.is_none());
        if !unimpaired {
            return None;
        }
        (0..c.cohorts.len())
            .filter(|&k| c.cohorts[k].reps > 0 && self.cohort_is_warm(cluster, k, now))
            .max_by_key(|&k| (c.cohorts[k].registered, usize::MAX - k))
    }

    /// The quiet queue of `cluster` of `layer`, whose representatives receive
    /// `sampled_rate` sampled requests per second in all and are short of a whole
    /// instance's load by `load_factor` (`p`), or `None` if it is not quiet now.
    pub(crate) fn quiet_queue_of(
        &self,
        layer: LayerId,
        cluster: ClusterId,
        sampled_rate: f64,
        load_factor: f64,
        now: SimTime,
    ) -> Option<QuietQueue> {
        let cohort = self.quiet_cohort(layer, cluster, now)?;
        let c = &self.clusters[cluster.index()];
        let reps = f64::from(c.active_reps.max(1));
        let round_robin = matches!(self.layers[layer.index()].balancer, Balancer::Elb { .. });
        let workers = c
            .rep_entries
            .iter()
            .find(|e| e.until == SimTime::MAX)
            .map(|e| self.instances[e.instance.index()].station.servers())?;
        let load = QueueLoad {
            workers,
            arrival_rate: sampled_rate * load_factor / reps,
            holding_secs: c.sample.holding_ns * 1e-9,
            load_factor,
            arrival_scv: if round_robin {
                1.0 / f64::from(c.active_entries.max(1))
            } else {
                1.0
            },
            rep_arrival_scv: if round_robin { 1.0 / reps } else { 1.0 },
        };
        let mut queue = quiet_queue(load, self.fast.as_ref()?.quiet_max_busy)?;
        queue.cohort = u16::try_from(cohort).ok()?;
        Some(queue)
    }

    /// Whether nothing about `layer` is being decided or broken: one cluster with
    /// members, a healthy release, no impairment on its representatives (cold
    /// replacements aside).
    fn is_steady(&self, layer: LayerId) -> bool {
        let l = &self.layers[layer.index()];
        let mut with_members = l
            .clusters
            .iter()
            .map(|c| &self.clusters[c.index()])
            .filter(|c| !c.members.is_empty());
        let (Some(c), None) = (with_members.next(), with_members.next()) else {
            return false;
        };
        let failing = self.fast.as_ref().is_some_and(|fast| {
            fast.layers[layer.index()].failure_probability() > STEADY_MAX_FAILURES
        });
        !failing
            && l.releases[c.version as usize] == super::release::Release::healthy()
            && c.rep_entries
                .iter()
                .filter(|e| e.until == SimTime::MAX)
                .all(|e| self.instances[e.instance.index()].impaired.is_none())
    }

    /// Every tick, after the clusters' quiet queues are set: thins calls to a layer
    /// (never the entry) whose clusters with members are all quiet, and below which
    /// every layer is steady ([`World::is_steady`]): a layer being rolled out, or
    /// running a defective release, keeps every call of the layers above it made, so
    /// that its judges see as many requests as without thinning and its failures
    /// reach the entry when they happen.
    pub(crate) fn set_thinning(&mut self) {
        let count = self.layers.len();
        // Whether each layer and all below it are steady (layers call only lower ones).
        let mut steady_below: Vec<Option<bool>> = vec![None; count];
        fn visit(world: &World, layer: usize, memo: &mut Vec<Option<bool>>) -> bool {
            if let Some(known) = memo[layer] {
                return known;
            }
            memo[layer] = Some(true); // a cycle (refused by check) ends here
            let steady = world.is_steady(LayerId(layer as u16))
                && world.layers[layer]
                    .downstream
                    .iter()
                    .all(|d| visit(world, d.layer.index(), memo));
            memo[layer] = Some(steady);
            steady
        }
        for layer in 0..count {
            let id = LayerId(layer as u16);
            let quiet = self.layers[layer]
                .clusters
                .iter()
                .map(|c| &self.clusters[c.index()])
                .filter(|c| !c.members.is_empty())
                .all(|c| c.sample.quiet.is_some());
            let allowed = id != self.entry && quiet && visit(self, layer, &mut steady_below);
            if let Some(fast) = &mut self.fast {
                let allowed = allowed && fast.thinning;
                fast.layers[layer].thin.set(allowed);
            }
        }
    }

    /// The extra wait of a sampled request reaching `instance` (zero unless its
    /// cohort is its cluster's quiet one).
    #[inline]
    pub(crate) fn quiet_wait(&mut self, instance: InstanceId) -> SimDuration {
        let Some(fast) = &mut self.fast else {
            return SimDuration::ZERO;
        };
        let on = &self.instances[instance.index()];
        match &self.clusters[on.cluster.index()].sample.quiet {
            Some(queue) if queue.cohort == on.cohort => queue.draw(&mut fast.rng),
            _ => SimDuration::ZERO,
        }
    }

    /// At a window's end: each cluster's holding time, smoothed, from what its
    /// representatives did in the window (`busy_ns` worker-ns over `completed`
    /// services).
    pub(crate) fn note_holding(&mut self, cluster: ClusterId, busy_ns: u128, completed: u64) {
        if completed == 0 {
            return;
        }
        let measured = busy_ns as f64 / completed as f64;
        let sample = &mut self.clusters[cluster.index()].sample;
        if sample.holding_ns <= 0.0 {
            sample.holding_ns = measured;
        } else {
            let alpha = 1.0 - (-1.0 / HOLDING_SMOOTHING_WINDOWS).exp();
            // Weighted by the services behind it: a window of few says little.
            let alpha = alpha * (completed as f64 / (completed as f64 + 10.0));
            sample.holding_ns += alpha * (measured - sample.holding_ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queueing::theory::{erlang_c, mmc};

    fn load(workers: u32, busy: f64, load_factor: f64) -> QueueLoad {
        let holding_secs = 0.05;
        QueueLoad {
            workers,
            arrival_rate: busy * f64::from(workers) / holding_secs,
            holding_secs,
            load_factor,
            arrival_scv: 1.0,
            rep_arrival_scv: 1.0,
        }
    }

    #[test]
    fn quiet_waits_add_up_to_a_fully_loaded_instances_erlang_c_wait() {
        for workers in [1, 2, 6, 16] {
            for busy in [0.2, 0.4, 0.6] {
                let q = quiet_queue(load(workers, busy, 8.0), 0.6).expect("quiet at ≤ 60%");
                let l = load(workers, busy, 8.0);
                let full = mmc(workers, l.arrival_rate, l.holding_secs)
                    .unwrap()
                    .wq_secs;
                let own = mmc(workers, l.arrival_rate / 8.0, l.holding_secs)
                    .unwrap()
                    .wq_secs;
                let extra = q.wait_probability * q.mean_wait_ns * 1e-9;
                assert!(
                    (own + extra - full).abs() <= 1e-9 + 1e-6 * full,
                    "c={workers} busy={busy}: {own} + {extra} ≠ {full}"
                );
                let p_wait = erlang_c(workers, busy * f64::from(workers));
                assert_eq!(Some(q.wait_probability), p_wait);
            }
        }
    }

    #[test]
    fn a_cluster_past_the_busy_threshold_is_not_quiet() {
        assert!(quiet_queue(load(6, 0.61, 4.0), 0.6).is_none());
        assert!(quiet_queue(load(6, 0.59, 4.0), 0.6).is_some());
        assert!(quiet_queue(load(6, 0.3, 4.0), 0.0).is_none());
    }

    #[test]
    fn round_robin_arrivals_wait_about_half_as_long() {
        let mut regular = load(4, 0.5, 16.0);
        regular.arrival_scv = 0.0;
        let random = quiet_queue(load(4, 0.5, 16.0), 0.6).unwrap();
        let in_turn = quiet_queue(regular, 0.6).unwrap();
        let mean = |q: QuietQueue| q.wait_probability * q.mean_wait_ns;
        assert!(mean(in_turn) < 0.6 * mean(random));
    }

    #[test]
    fn drawn_waits_have_the_mean_they_promise() {
        let q = quiet_queue(load(2, 0.5, 10.0), 0.6).unwrap();
        let mut rng = crate::engine::RngStreams::new(7).stream("quiet");
        let n = 200_000;
        let total: f64 = (0..n).map(|_| q.draw(&mut rng).as_nanos_f64()).sum();
        let expected = q.wait_probability * q.mean_wait_ns;
        let got = total / f64::from(n);
        assert!(
            (got - expected).abs() < 0.02 * expected,
            "{got} vs {expected}"
        );
    }

    /// A thinning fed `per_second` decisions a second for `ticks` ticks.
    fn run_ticks(thin: &mut Thinning, per_second: f64, ticks: u32) {
        for _ in 0..ticks {
            thin.decisions_since_tick = (per_second * 0.1) as u64;
            thin.tick(0.1, 1.0);
            thin.set(true);
        }
    }

    fn full_ring() -> Thinning {
        let mut thin = Thinning::default();
        for k in 0..RECENT_CALLS as u64 {
            thin.note_call(SimDuration::from_nanos(k), false);
        }
        thin
    }

    #[test]
    fn thinning_grows_one_doubling_at_a_time_and_shrinks_at_once() {
        let mut thin = full_ring();
        // Enough decisions for the largest factor: it is reached a doubling per 2 s.
        run_ticks(&mut thin, 1e6, RAISE_EVERY_TICKS);
        assert_eq!(thin.factor, 2);
        run_ticks(&mut thin, 1e6, RAISE_EVERY_TICKS - 1);
        assert_eq!(thin.factor, 2, "no second doubling within 2 s");
        run_ticks(&mut thin, 1e6, 6 * RAISE_EVERY_TICKS);
        assert_eq!(thin.factor, MAX_THINNING);
        // Decisions drop 16-fold: halved at once until enough calls are made again.
        let wanted = 1e6 / THINNED_CALLS_PER_SECOND;
        let per_second = THINNED_CALLS_PER_SECOND * f64::from(MAX_THINNING) / 16.0;
        assert!(per_second < wanted);
        run_ticks(&mut thin, per_second, 1);
        let made = per_second / f64::from(thin.factor);
        assert!(
            made >= 0.75 * THINNED_CALLS_PER_SECOND,
            "{made} made a second"
        );
        // Noise within the band leaves it alone.
        let factor = thin.factor;
        for k in 0..100 {
            let wobble = if k % 2 == 0 { 1.4 } else { 0.8 };
            run_ticks(&mut thin, per_second * wobble, 1);
            assert_eq!(thin.factor, factor);
        }
        // Not allowed: every call made.
        thin.set(false);
        assert_eq!(thin.factor, 1);
    }

    #[test]
    fn thinned_calls_draw_from_the_most_recent_calls_made() {
        let mut thin = full_ring();
        run_ticks(&mut thin, 1e6, 10 * RAISE_EVERY_TICKS);
        // Few calls made a second: the last DRAWN_FROM_CALLS are drawn from.
        run_ticks(&mut thin, THINNED_CALLS_PER_SECOND, 1);
        thin.factor = 2;
        thin.tick(0.1, 0.0);
        assert_eq!(thin.drawn_from, DRAWN_FROM_CALLS);
        let mut rng = crate::engine::RngStreams::new(3).stream("thin");
        let newest = RECENT_CALLS as u64 - 1;
        let oldest_drawn = newest + 1 - DRAWN_FROM_CALLS as u64;
        let mut drawn = 0;
        for _ in 0..20_000 {
            if let Thinned::Drawn { latency, .. } = thin.thin_or_draw(&mut rng) {
                let k = latency.as_nanos();
                assert!((oldest_drawn..=newest).contains(&k), "call {k} is too old");
                drawn += 1;
            }
        }
        assert!(drawn > 8_000, "about half the calls are drawn ({drawn})");
    }
}

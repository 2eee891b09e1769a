//! The world: layers of clusters of instances behind balancers, driven by the event
//! queue of the engine.
//!
//! # How a run moves
//! 1. [`World::new`] compiles a [`Scenario`]: layers in order from the entry layer, one
//!    cluster per layer at its starting size, warm and registered, RNG streams per
//!    concern (traffic, service, routing, clients, caches, lifecycle, chaos), and the
//!    first events (entry arrival, herds, chaos, autoscaler ticks, the first window).
//! 2. [`World::run_until`] pops events in time order and hands each to its handler:
//!    requests in [`super::flow`], instances and clusters in [`super::lifecycle`],
//!    routing in [`super::routing`]. Events are small `Copy` values holding ids and
//!    generations; stale ones are dropped when handled.
//! 3. Every second a window closes ([`super::observe`]); totals are kept exactly.
//! 4. [`World::summary`] condenses the run for reports.
//!
//! Nothing here reads a wall clock or an unseeded RNG: the same scenario and seed give
//! the same run, event for event.

use rand::RngExt;

use crate::engine::{RngStreams, Scheduler, SimDuration, SimRng, SimTime};
use crate::scenario::Scenario;
use crate::stats::histogram::{HistogramRecorder, Precision};

pub(crate) use super::balancer::Balancer;
use super::cluster::Cluster;
use super::herd::HerdPlan;
use super::ids::{ClusterId, InstanceId, LayerId};
use super::instance::{Instance, Phase};
pub(crate) use super::layer::Layer;
use super::observe::{
    ClusterSeries, ClusterWindow, LayerSeries, Observations, Retention, WINDOW, state_index,
};
use super::request::{Call, Job};
use super::slab::{Handle, Slab};
use super::traffic::TrafficCurve;

/// Something that happens at a point in virtual time. Small and `Copy`: ids, not data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The next outside request at the entry layer.
    EntryArrival,
    /// The next client of herd `herd`; `left` clients remain, this one included.
    HerdArrival { herd: u32, left: u32 },
    /// A call's backoff ended: make the next attempt.
    Retry { call: Handle },
    /// A job's own work is done.
    ServiceDone { job: Handle },
    /// The earliest pending caller timer of a layer is due (see [`Layer::timeouts`]).
    Timeouts { layer: LayerId },
    /// Provisioning done: the instance boots.
    Launched { instance: InstanceId },
    /// Boot done: the instance serves (or its launch failed).
    Booted { instance: InstanceId },
    /// Health checks passed: the ELB registers the instance.
    HealthChecksPassed { instance: InstanceId },
    /// Health checks failed on a dead instance: the ELB stops routing to it.
    HealthChecksFailed { instance: InstanceId },
    /// The draining period of an instance ended.
    DrainDone { instance: InstanceId },
    /// Chaos Monkey strikes a layer (kill spec `kill`).
    ChaosKill { kill: u32 },
    /// A zone is lost (outage spec `outage`).
    ZoneOutage { outage: u32 },
    /// An impairment begins (see [`super::impairment`]).
    ImpairmentStart { impairment: u32 },
    /// An impairment ends.
    ImpairmentEnd { impairment: u32 },
    /// A delayed request reaches its instance.
    Delivered { job: Handle },
    /// The caller of a request lost to a blackholed instance has given up on it.
    LostExpired { instance: InstanceId },
    /// A crash-looping release brings its instance down.
    Crash { instance: InstanceId },
    /// A cluster's autoscaler evaluates its metric.
    Autoscale { cluster: ClusterId },
    /// An observation window closes.
    WindowEnd,
    /// Fast mode: background rates are recomputed.
    FastTick,
    /// Fast mode: a background request for a representative of `cluster` (dropped if
    /// `generation` is no longer the cluster's).
    Background { cluster: ClusterId, generation: u32 },
    /// Fast mode: a background job's drawn calls below are over.
    SampledCallsDone { job: Handle },
    /// Fast mode: a call to a thinned layer, whose outcome was drawn, is over (see
    /// `model::quiet`).
    DrawnCallDone {
        job: Handle,
        failed: bool,
        calls: u32,
    },
}

/// Independent random streams, one per concern, so that changing one part of a model
/// (say, the rollout) does not reshuffle the others' dice.
#[derive(Debug, Clone)]
pub(crate) struct Streams {
    pub(crate) traffic: SimRng,
    pub(crate) herd: SimRng,
    pub(crate) service: Vec<SimRng>,
    pub(crate) route: SimRng,
    pub(crate) client: SimRng,
    pub(crate) cache: SimRng,
    pub(crate) lifecycle: SimRng,
    pub(crate) release: SimRng,
    pub(crate) chaos: SimRng,
    pub(crate) impairment: SimRng,
    /// Background errors (see [`super::noise`]).
    pub(crate) noise: SimRng,
    /// Phases of discovery's caches (registry response caches, callers' balancers).
    pub(crate) discovery: SimRng,
}

impl Streams {
    /// The world's streams, each named after its concern (one service stream per layer).
    fn new(streams: &RngStreams, layers: usize) -> Streams {
        Streams {
            traffic: streams.stream("traffic"),
            herd: streams.stream("herd"),
            service: (0..layers)
                .map(|i| streams.indexed_stream("service", i as u64))
                .collect(),
            route: streams.stream("route"),
            client: streams.stream("client"),
            cache: streams.stream("cache"),
            lifecycle: streams.stream("lifecycle"),
            release: streams.stream("release"),
            chaos: streams.stream("chaos"),
            impairment: streams.stream("impairment"),
            noise: streams.stream("noise"),
            discovery: streams.stream("discovery"),
        }
    }
}

/// The simulated world of one run.
#[derive(Clone)]
pub struct World {
    pub(super) scheduler: Scheduler<Event>,
    pub(super) end: SimTime,
    pub(super) name: String,
    pub(super) seed: u64,
    pub(super) layers: Vec<Layer>,
    pub(super) clusters: Vec<Cluster>,
    pub(super) instances: Vec<Instance>,
    /// Instances not yet terminated (pruned at window ends).
    pub(super) alive: Vec<InstanceId>,
    pub(super) calls: Slab<Call>,
    pub(super) jobs: Slab<Job>,
    pub(super) entry: LayerId,
    pub(super) traffic: TrafficCurve,
    pub(super) herds: Vec<HerdPlan>,
    pub(super) kills: Vec<super::chaos::Kills>,
    pub(super) outages: Vec<(f64, Vec<LayerId>)>,
    pub(super) impairments: Vec<super::impairment::ImpairmentPlan>,
    pub(super) rng: Streams,
    pub(super) observations: Observations,
    pub(super) cluster_windows: Vec<ClusterWindow>,
    /// Server-side latency of each cluster's window being filled.
    pub(super) cluster_latency: Vec<HistogramRecorder>,
    /// Most jobs alive at once (memory grows with this, not with time).
    pub(super) jobs_peak: usize,
    /// A reusable buffer for the layers a job calls (no allocation per job).
    pub(super) scratch_layers: Vec<LayerId>,
    /// Fast mode: the drawn calls of the job whose calls are being issued.
    pub(super) drawn_batch: Option<super::request::DrawnBatch>,
    /// Real requests each simulated one stands for: 1, or the fast mode's step.
    pub(super) weight: u32,
    /// The fast mode's state, if the world runs in fast mode.
    pub(super) fast: Option<Box<super::fast::Fast>>,
    /// Each instance's [`super::instance::Brief`], by id: kept in step with it by
    /// [`World::sync_brief`] wherever its phase, warm-up or representation changes.
    pub(super) briefs: Vec<super::instance::Brief>,
    /// Fast mode: the representatives not terminated, in id order (as in `alive`), so
    /// that closing a window reads them, not the whole fleet. Kept by
    /// [`World::sync_brief`].
    pub(super) live_reps: std::collections::BTreeSet<InstanceId>,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("name", &self.name)
            .field("now", &self.now())
            .field("pending_events", &self.scheduler.pending())
            .field("calls_in_flight", &self.calls.len())
            .field("jobs_in_flight", &self.jobs.len())
            .finish_non_exhaustive()
    }
}

/// Lookups that leave a cache essentially warm (1 − e^−20).
pub(crate) const WARM_CACHE_WARMUPS: f64 = 20.0;

impl World {
    /// Builds the world of `scenario` at time zero, with `scenario.seed`.
    ///
    /// The scenario must have passed [`crate::scenario::parse`]'s checks (every model
    /// loaded through [`crate::scenario::load`] has).
    pub fn new(scenario: &Scenario) -> World {
        let streams = RngStreams::new(scenario.seed);
        let order = layer_order(scenario);
        let id_of = |name: &str| {
            LayerId(
                order
                    .iter()
                    .position(|n| n == name)
                    .expect("validated: every called layer exists") as u16,
            )
        };
        let layers: Vec<Layer> = order
            .iter()
            .map(|name| Layer::compile(name, &scenario.layers[name], id_of))
            .collect();
        let end = SimTime::ZERO + scenario.duration;
        let entry = id_of(&scenario.traffic.entry);
        let herds = HerdPlan::compile(scenario, entry, id_of);
        let kills = super::chaos::compile_kills(scenario, id_of);
        let outages = super::chaos::compile_outages(scenario, order.len(), id_of);
        let impairments = super::impairment::compile(scenario, order.len(), id_of);
        let mut world = World {
            scheduler: Scheduler::new(),
            end,
            name: scenario.name.clone(),
            seed: scenario.seed,
            observations: Observations {
                layers: vec![LayerSeries::default(); layers.len()],
                clusters: Vec::new(),
                retention: retention_of(scenario),
            },
            layers,
            clusters: Vec::new(),
            instances: Vec::new(),
            alive: Vec::new(),
            calls: Slab::default(),
            jobs: Slab::default(),
            entry,
            traffic: TrafficCurve::new(&scenario.traffic),
            herds,
            kills,
            outages,
            impairments,
            rng: Streams::new(&streams, order.len()),
            cluster_windows: Vec::new(),
            cluster_latency: Vec::new(),
            jobs_peak: 0,
            scratch_layers: Vec::new(),
            drawn_batch: None,
            weight: 1,
            fast: None,
            briefs: Vec::new(),
            live_reps: std::collections::BTreeSet::new(),
        };
        let step = scenario.sampling_step();
        if step > 1 {
            world.weight = step;
            world.traffic.sample_one_in(step);
            world.fast = Some(Box::new(super::fast::Fast::new(
                step,
                streams.stream("fast"),
                world.layers.len(),
                scenario.fast_quiet_busy(),
                scenario.fast_thinning,
            )));
        }
        world.populate(scenario);
        world.schedule_first_events(scenario);
        world
    }

    /// The starting fleet: warm, registered, serving since before time zero.
    fn populate(&mut self, scenario: &Scenario) {
        // Each discovery layer's registry rebuilds its response cache at its own phase.
        for layer in &mut self.layers {
            let hour = SimDuration::from_hours(1).as_nanos();
            layer.registry_cache_phase =
                SimDuration::from_nanos(self.rng.discovery.random_range(0..hour));
        }
        for layer_index in 0..self.layers.len() {
            let layer = LayerId(layer_index as u16);
            let size = scenario.layers[&self.layers[layer_index].name].instances;
            let cluster = self.add_cluster(layer, 0, size);
            for _ in 0..size {
                let id = self.new_instance(cluster);
                let caches = self.layers[layer_index]
                    .downstream
                    .iter()
                    .filter_map(|d| d.cache);
                let warm: Vec<u64> = caches
                    .map(|(_, warmup, _)| (warmup * WARM_CACHE_WARMUPS) as u64)
                    .collect();
                // Its registry fetches, as a caller, at a random phase of any interval,
                // and its balancer's list refreshes at another (long-running timers
                // drift apart).
                let phase = self.random_phase(SimDuration::from_hours(1));
                let list_phase = SimDuration::from_nanos(
                    self.rng
                        .discovery
                        .random_range(0..SimDuration::from_hours(1).as_nanos()),
                );
                let instance = &mut self.instances[id.index()];
                instance.phase = Phase::Serving;
                instance.ready_at = SimTime::ZERO;
                instance.warm_at = SimTime::ZERO;
                instance.cache_lookups = warm.into_boxed_slice();
                instance.refresh_phase = phase;
                instance.list_phase = list_phase;
                self.start_spells(id, true);
                let cohort = self.instances[id.index()].cohort;
                let rep = self.clusters[cluster.index()].register(id, cohort, SimTime::ZERO);
                self.instances[id.index()].rep = rep;
                self.sync_brief(id);
            }
        }
    }

    fn schedule_first_events(&mut self, scenario: &Scenario) {
        if let Some(first) =
            self.traffic
                .next_arrival(SimTime::ZERO, self.end, &mut self.rng.traffic)
        {
            self.scheduler.schedule_at(first, Event::EntryArrival);
        }
        self.schedule_herds(scenario);
        for kill in 0..self.kills.len() {
            self.schedule_next_kill(kill as u32);
        }
        for (index, outage) in scenario.chaos.zone_outages.iter().enumerate() {
            let at = SimTime::ZERO + outage.at;
            if at < self.end {
                self.scheduler.schedule_at(
                    at,
                    Event::ZoneOutage {
                        outage: index as u32,
                    },
                );
            }
        }
        self.schedule_impairments();
        for cluster in 0..self.clusters.len() {
            self.schedule_autoscale(ClusterId(cluster as u32));
        }
        self.scheduler
            .schedule_at(SimTime::ZERO + WINDOW, Event::WindowEnd);
        if self.is_fast() {
            self.scheduler
                .schedule_at(SimTime::ZERO + super::fast::TICK, Event::FastTick);
        }
    }

    /// How this world simulates requests: `Exact`, or `Fast` (see [`super::fast`]).
    pub fn fidelity(&self) -> crate::scenario::Fidelity {
        if self.is_fast() {
            crate::scenario::Fidelity::Fast
        } else {
            crate::scenario::Fidelity::Exact
        }
    }

    /// Real requests each simulated request stands for (1 at request level).
    pub fn sampling_step(&self) -> u32 {
        self.weight
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.scheduler.now()
    }

    /// When the run ends.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// Events handled so far.
    pub fn events_handled(&self) -> u64 {
        self.scheduler.events_handled()
    }

    /// Most attempts on instances at once so far.
    pub fn jobs_peak(&self) -> usize {
        self.jobs_peak
    }

    /// Runs every event up to and including `horizon` (capped at the run's end), and
    /// leaves the clock at `horizon`.
    pub fn run_until(&mut self, horizon: SimTime) {
        let horizon = horizon.min(self.end);
        while let Some((_, event)) = self.scheduler.pop_until(horizon) {
            self.handle(event);
        }
        self.scheduler.advance_to(horizon);
    }

    /// Runs to the end of the model's duration.
    pub fn run(&mut self) {
        self.run_until(self.end);
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::EntryArrival => {
                self.issue_call(self.entry, super::request::Caller::User, false);
                let now = self.now();
                if let Some(next) = self
                    .traffic
                    .next_arrival(now, self.end, &mut self.rng.traffic)
                {
                    self.scheduler.schedule_at(next, Event::EntryArrival);
                }
            }
            Event::HerdArrival { herd, left } => self.herd_arrival(herd, left),
            Event::Retry { call } => self.send_attempt(call),
            Event::ServiceDone { job } => self.service_done(job),
            Event::Timeouts { layer } => self.timeouts_due(layer),
            Event::Launched { instance } => self.launched(instance),
            Event::Booted { instance } => self.booted(instance),
            Event::HealthChecksPassed { instance } => self.health_checks_passed(instance),
            Event::HealthChecksFailed { instance } => self.health_checks_failed(instance),
            Event::DrainDone { instance } => self.drain_done(instance),
            Event::ChaosKill { kill } => self.chaos_kill(kill),
            Event::Crash { instance } => self.crash_if_serving(instance),
            Event::ZoneOutage { outage } => self.zone_outage(outage),
            Event::ImpairmentStart { impairment } => self.impairment_start(impairment),
            Event::ImpairmentEnd { impairment } => self.impairment_end(impairment),
            Event::Delivered { job } => self.delivered(job),
            Event::LostExpired { instance } => self.lost_expired(instance),
            Event::Autoscale { cluster } => self.autoscale(cluster),
            Event::WindowEnd => self.window_end(),
            Event::FastTick => self.fast_tick(),
            Event::Background {
                cluster,
                generation,
            } => self.background_arrival(cluster, generation),
            Event::SampledCallsDone { job } => self.sampled_calls_done(job),
            Event::DrawnCallDone { job, failed, calls } => {
                self.downstream_resolved(job, failed, calls)
            }
        }
    }

    /// A uniformly random offset within `interval` (zero for a zero interval).
    pub(crate) fn random_phase(&mut self, interval: SimDuration) -> SimDuration {
        if interval.is_zero() {
            return SimDuration::ZERO;
        }
        SimDuration::from_nanos(self.rng.lifecycle.random_range(0..interval.as_nanos()))
    }

    /// Closes the current window of every layer and cluster.
    fn window_end(&mut self) {
        let now = self.now();
        let window_ns = WINDOW.as_nanos() as u128;
        self.alive
            .retain(|id| self.briefs[id.index()].phase != Phase::Terminated);
        let scaled_busy = self.is_fast().then(|| self.fast_window_end(now));
        let mut states = vec![[0u32; 6]; self.layers.len()];
        let mut cluster_states = vec![[0u32; 6]; self.clusters.len()];
        let mut busy = vec![0u128; self.layers.len()];
        let mut workers_serving = vec![0u128; self.layers.len()];
        // Instance by instance from the compact briefs; the instances themselves only
        // at request level, for their busy workers.
        for id in &self.alive {
            let brief = self.briefs[id.index()];
            let (layer, state) = (brief.layer.index(), state_index(brief.state(now)));
            states[layer][state] += 1;
            // A draining instance has left its cluster's members.
            if brief.phase != Phase::Draining {
                cluster_states[brief.cluster.index()][state] += 1;
            }
            if matches!(brief.phase, Phase::Serving | Phase::Draining) {
                workers_serving[layer] += u128::from(brief.workers);
            }
            if scaled_busy.is_none() {
                busy[layer] += self.instances[id.index()].station.stats_at(now).area_busy;
            }
        }
        for index in 0..self.layers.len() {
            let layer = &mut self.layers[index];
            debug_assert!(
                super::observe::conservation_broken(&layer.calls, &layer.attempts).is_none(),
                "layer {index} at {now:?} breaks {:?}: calls {:?}, attempts {:?}",
                super::observe::conservation_broken(&layer.calls, &layer.attempts),
                layer.calls,
                layer.attempts
            );
            let busy_area = busy[index] + layer.gone_stations.area_busy;
            let mut window = std::mem::take(&mut layer.window);
            layer.latency.absorb(&layer.window_latency);
            // Only the entry layer keeps fine windows (see observe.rs: Size).
            window.latency = if index == 0 {
                layer.window_latency.take()
            } else {
                layer.window_latency.take_at(Precision::Window)
            };
            window.in_flight = layer.calls.in_flight.min(u32::MAX as u64) as u32;
            window.instances = states[index];
            window.busy_workers = match &scaled_busy {
                Some(scaled) => (scaled[index] / window_ns as f64) as f32,
                None => {
                    (busy_area.saturating_sub(layer.busy_area_ns_at_window) as f64
                        / window_ns as f64) as f32
                }
            };
            layer.busy_area_ns_at_window = busy_area;
            let alive: u32 = states[index].iter().sum();
            layer.worker_area_ns += workers_serving[index] * window_ns;
            layer.instances_min = layer.instances_min.min(alive);
            layer.instances_max = layer.instances_max.max(alive);
            self.fast_close_layer_window(index, &window);
            self.observations.layers[index].push(window);
        }
        let window_index = self.observations.layers.first().map_or(0, LayerSeries::len) as u32;
        for (index, cluster) in self.clusters.iter().enumerate() {
            if !cluster.retired {
                let mut window = std::mem::take(&mut self.cluster_windows[index]);
                window.latency = self.cluster_latency[index].take();
                // Its members are its alive instances.
                window.instances = cluster_states[index];
                self.observations.clusters[index].windows.push(window);
            }
        }
        if window_index.is_multiple_of(10) {
            self.purge_balancer_entries();
        }
        if window_index.is_multiple_of(600) {
            self.observations.trim(window_index as usize);
        }
        if now + WINDOW <= self.end {
            self.scheduler.schedule_at(now + WINDOW, Event::WindowEnd);
        }
    }

    /// Drops balancer entries that no caller can still see.
    fn purge_balancer_entries(&mut self) {
        let now = self.now();
        for layer in &self.layers {
            let horizon = SimTime::ZERO
                + now
                    .since_start()
                    .saturating_sub(layer.balancer.view_lag() + WINDOW);
            for cluster in &layer.clusters {
                self.clusters[cluster.index()].purge_entries(horizon);
            }
        }
        for cluster in 0..self.clusters.len() {
            self.retire_if_empty(ClusterId(cluster as u32));
        }
    }

    /// Records a new cluster and its series.
    pub(crate) fn add_cluster(&mut self, layer: LayerId, version: u32, desired: u32) -> ClusterId {
        let id = ClusterId(self.clusters.len() as u32);
        let autoscaled = self.layers[layer.index()].autoscaler.is_some();
        let mut cluster = Cluster::new(layer, version, desired, autoscaled);
        cluster.sampling_step = self.weight;
        self.clusters.push(cluster);
        self.layers[layer.index()].clusters.push(id);
        let first_window = self.observations.layers.first().map_or(0, LayerSeries::len) as u32;
        self.observations.clusters.push(ClusterSeries {
            layer: self.layers[layer.index()].name.clone(),
            version,
            first_window,
            windows: Vec::new(),
        });
        self.cluster_windows.push(ClusterWindow::default());
        if let Some(fast) = &mut self.fast {
            fast.clusters.push(super::fast::ClusterTally::default());
        }
        self.cluster_latency
            .push(HistogramRecorder::new(Precision::Window));
        id
    }

    /// Copies instance `id`'s phase, warm-up and representation into its brief.
    #[inline]
    pub(crate) fn sync_brief(&mut self, id: InstanceId) {
        let brief = self.instances[id.index()].brief();
        let old = std::mem::replace(&mut self.briefs[id.index()], brief);
        let live_rep = |b: &super::instance::Brief| b.rep && b.phase != Phase::Terminated;
        match (live_rep(&old), live_rep(&brief)) {
            (false, true) => {
                self.live_reps.insert(id);
            }
            (true, false) => {
                self.live_reps.remove(&id);
            }
            _ => {}
        }
    }

    /// Records a new instance of `cluster` in the `launching` phase (no event yet).
    pub(crate) fn new_instance(&mut self, cluster: ClusterId) -> InstanceId {
        let id =
            InstanceId(u32::try_from(self.instances.len()).expect("fewer than 2^32 instances"));
        let layer_id = self.clusters[cluster.index()].layer;
        let layer = &self.layers[layer_id.index()];
        let version = self.clusters[cluster.index()].version as usize;
        let workers = layer.releases[version].workers(layer.workers);
        self.instances.push(Instance {
            layer: layer_id,
            cluster,
            version: version as u32,
            phase: Phase::Launching,
            launched_at: self.scheduler.now(),
            ready_at: SimTime::MAX,
            warm_at: SimTime::MAX,
            warmup_slowdown: layer.warmup_slowdown,
            terminated_at: SimTime::MAX,
            station: {
                let station = crate::queueing::Station::new(workers, layer.queue_capacity as usize);
                if layer.adaptive_lifo {
                    station.serve_newest_above(workers as usize)
                } else {
                    station
                }
            },
            cache_lookups: vec![0; layer.caches].into_boxed_slice(),
            refresh_phase: SimDuration::ZERO,
            list_phase: SimDuration::ZERO,
            rep: false,
            busy_seen_ns: 0,
            completed_seen: 0,
            cohort: 0,
            sample_weight: 1.0,
            impaired: Default::default(),
            outstanding_from_here: Default::default(),
            spells: None,
        });
        let brief = self.instances[id.index()].brief();
        debug_assert!(
            !brief.rep,
            "an instance is made a representative when it registers"
        );
        self.briefs.push(brief);
        if self.clusters[cluster.index()].sampled() {
            let now = self.scheduler.now();
            self.instances[id.index()].cohort = self.clusters[cluster.index()].cohort_at(now);
        }
        self.clusters[cluster.index()].members.push(id);
        self.alive.push(id);
        id
    }
}

/// Layers in display order: breadth-first from the entry layer along calls, then any
/// layer no call reaches, alphabetically.
fn layer_order(scenario: &Scenario) -> Vec<String> {
    let mut order: Vec<String> = vec![scenario.traffic.entry.clone()];
    let mut next = 0;
    while next < order.len() {
        let layer = &scenario.layers[&order[next]];
        for call in &layer.calls {
            if !order.contains(&call.layer) {
                order.push(call.layer.clone());
            }
        }
        next += 1;
    }
    for name in scenario.layers.keys() {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    order
}

/// How much of its series a world of `scenario` keeps: see
/// [`Scenario::series_horizon`].
fn retention_of(scenario: &Scenario) -> Retention {
    match scenario.series_horizon() {
        None => Retention::Whole,
        Some(keep) => Retention::Recent(super::observe::windows_in(keep) + 1),
    }
}

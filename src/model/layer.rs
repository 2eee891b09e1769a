//! A layer as the world runs it: its compiled settings (workers, service time,
//! lifecycle times, balancer, client, the calls it makes, its releases) and its running
//! totals (calls, attempts, latency, stations of instances that are gone, the window
//! being filled, caller timers).

use crate::engine::{DurationDist, SimDuration, SimTime};
use crate::queueing::StationStats;
use crate::scenario::client::ClientSpec;
use crate::scenario::layer::{LayerSpec, QueueOrder};
use crate::stats::histogram::{HistogramRecorder, HistogramTotal};

use super::balancer::Balancer;
use super::client::RetryBudget;
use super::ids::{ClusterId, LayerId};
use super::observe::{AttemptCounts, CallCounts, LayerWindow};
use super::slab::Handle;

/// A call a layer makes for every request it serves, compiled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Downstream {
    pub(crate) layer: LayerId,
    pub(crate) count: u32,
    /// `(hit ratio when warm, lookups to ~63% warm, slot in the instance's caches)`.
    pub(crate) cache: Option<(f64, f64, usize)>,
}

/// A layer, compiled, with its running totals.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub(crate) name: String,
    pub(crate) workers: u32,
    pub(crate) queue_capacity: u32,
    /// Drop a request whose caller timed out when it reaches a worker.
    pub(crate) drop_timed_out: bool,
    /// Drop a request that waited longer than this for a worker.
    pub(crate) queue_timeout: Option<SimDuration>,
    /// Adaptive LIFO: serve the newest while more requests wait than workers.
    pub(crate) adaptive_lifo: bool,
    pub(crate) service_time: DurationDist,
    pub(crate) launch_time: DurationDist,
    pub(crate) boot_time: DurationDist,
    pub(crate) warmup: SimDuration,
    pub(crate) warmup_slowdown: f64,
    pub(crate) launch_failure_probability: f64,
    pub(crate) balancer: Balancer,
    /// Behind discovery, when its registry's response cache is rebuilt: at this phase
    /// of every `server_cache_interval`.
    pub(crate) registry_cache_phase: SimDuration,
    pub(crate) client: ClientSpec,
    pub(crate) downstream: Vec<Downstream>,
    pub(crate) caches: usize,
    pub(crate) autoscaler: Option<crate::scenario::layer::AutoscalerSpec>,
    /// Background errors and spells on every version, if any.
    pub(crate) noise: Option<super::noise::Noise>,
    /// Its versions' behaviour; version 0 is the model's baseline.
    pub(crate) releases: Vec<super::release::Release>,
    /// Its clusters that still have members or registrations, in creation order.
    pub(crate) clusters: Vec<ClusterId>,
    pub(crate) budget: RetryBudget,
    pub(crate) calls: CallCounts,
    pub(crate) attempts: AttemptCounts,
    /// Latency of every successful call, whole run, up to the last closed window.
    pub(crate) latency: HistogramTotal,
    /// Station statistics of instances that are gone.
    pub(crate) gone_stations: StationStats,
    /// Σ time on an instance of attempts that left it, in ns (for Little's law).
    pub(crate) sojourn_ns: u128,
    /// Attempts that left an instance (completed, failed, shed or reset).
    pub(crate) departed: u64,
    /// Attempts a worker took (each after its wait in the queue, possibly none).
    pub(crate) service_starts: u64,
    /// Σ time those attempts waited in an instance's queue, in ns.
    pub(crate) waited_ns: u128,
    /// Those of them that waited at all (found every worker busy).
    pub(crate) delayed: u64,
    /// Callers' timers for attempts to this layer, `(deadline, call, attempt)`. All
    /// callers of a layer share its timeout, so deadlines come in the order attempts
    /// were made: a FIFO, with one event in the queue for its head, instead of one
    /// heap entry per attempt. Timers of calls that have moved on are skipped when due.
    pub(crate) timeouts: std::collections::VecDeque<(SimTime, Handle, u32)>,
    /// Whether an event for the head of `timeouts` is in the queue.
    pub(crate) timeouts_armed: bool,
    /// The window being filled.
    pub(crate) window: LayerWindow,
    /// Latency of the successful calls of the window being filled.
    pub(crate) window_latency: HistogramRecorder,
    /// Busy worker-ns of the layer at the last window's end.
    pub(crate) busy_area_ns_at_window: u128,
    /// Instances alive at the start, and the fewest and most alive at any window's end.
    pub(crate) instances_start: u32,
    pub(crate) instances_min: u32,
    pub(crate) instances_max: u32,
    /// Instances launched after the start (replacements, scaling, new clusters).
    pub(crate) launched: u64,
    /// Instances that crashed (killed, lost with a zone, failed to boot).
    pub(crate) crashed: u64,
    /// Σ workers of serving instances × window length, in worker-ns (for utilisation).
    pub(crate) worker_area_ns: u128,
}

impl Layer {
    /// The layer `name` of the model, compiled, with zero totals; `id_of` gives the id
    /// of a layer it calls.
    pub(crate) fn compile(name: &str, spec: &LayerSpec, id_of: impl Fn(&str) -> LayerId) -> Layer {
        let mut caches = 0;
        let downstream = spec
            .calls
            .iter()
            .map(|call| Downstream {
                layer: id_of(&call.layer),
                count: call.count,
                cache: call.cache.as_ref().map(|cache| {
                    caches += 1;
                    (
                        cache.hit_ratio,
                        cache.warmup_requests.max(1) as f64,
                        caches - 1,
                    )
                }),
            })
            .collect();
        Layer {
            name: name.to_string(),
            workers: spec.workers,
            queue_capacity: spec.queue_capacity,
            drop_timed_out: spec.drop_timed_out,
            queue_timeout: spec.queue_timeout,
            adaptive_lifo: spec.queue_order == QueueOrder::AdaptiveLifo,
            service_time: spec.service_time,
            launch_time: spec.launch_time,
            boot_time: spec.boot_time,
            warmup: spec.warmup,
            warmup_slowdown: spec.warmup_slowdown,
            launch_failure_probability: spec.launch_failure_probability,
            balancer: Balancer::new(&spec.balancer),
            registry_cache_phase: SimDuration::ZERO,
            client: spec.client.clone(),
            downstream,
            caches,
            autoscaler: spec.autoscaler.clone(),
            noise: spec.noise.as_ref().and_then(super::noise::Noise::compile),
            releases: vec![super::release::Release::healthy()],
            clusters: Vec::new(),
            budget: RetryBudget::new(spec.client.retry_budget),
            calls: CallCounts::default(),
            attempts: AttemptCounts::default(),
            latency: HistogramTotal::default(),
            gone_stations: StationStats::default(),
            sojourn_ns: 0,
            departed: 0,
            service_starts: 0,
            waited_ns: 0,
            delayed: 0,
            timeouts: std::collections::VecDeque::new(),
            timeouts_armed: false,
            window: LayerWindow::default(),
            window_latency: HistogramRecorder::default(),
            busy_area_ns_at_window: 0,
            instances_start: spec.instances,
            instances_min: spec.instances,
            instances_max: spec.instances,
            worker_area_ns: 0,
            launched: 0,
            crashed: 0,
        }
    }
}

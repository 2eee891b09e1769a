//! A layer as the world runs it: its compiled settings (workers, service time,
//! lifecycle times, balancer, client, the calls it makes, its releases) and its running
//! totals (calls, attempts, latency, stations of instances that are gone, the window
//! being filled, caller timers).

use crate::engine::{DurationDist, SimDuration, SimTime};
use crate::queueing::StationStats;
use crate::scenario::client::ClientSpec;
use crate::stats::LatencyHistogram;
use crate::stats::histogram::HistogramRecorder;

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
    pub(crate) client: ClientSpec,
    pub(crate) downstream: Vec<Downstream>,
    pub(crate) caches: usize,
    pub(crate) autoscaler: Option<crate::scenario::layer::AutoscalerSpec>,
    /// Its versions' behaviour; version 0 is the model's baseline.
    pub(crate) releases: Vec<super::release::Release>,
    /// Its clusters that still have members or registrations, in creation order.
    pub(crate) clusters: Vec<ClusterId>,
    pub(crate) budget: RetryBudget,
    pub(crate) calls: CallCounts,
    pub(crate) attempts: AttemptCounts,
    /// Latency of every successful call, whole run, up to the last closed window.
    pub(crate) latency: LatencyHistogram,
    /// Station statistics of instances that are gone.
    pub(crate) gone_stations: StationStats,
    /// Σ time on an instance of attempts that left it, in ns (for Little's law).
    pub(crate) sojourn_ns: u128,
    /// Attempts that left an instance (completed, failed, shed or reset).
    pub(crate) departed: u64,
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

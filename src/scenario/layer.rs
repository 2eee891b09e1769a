//! A layer of the service graph: its instances, the balancer in front, how its
//! callers behave, and the layers it calls in turn.
//!
//! # Default values
//! | field | default | source |
//! |---|---|---|
//! | `workers` | `8` | concurrent requests per instance, about the vCPUs of a mid-size VM |
//! | `queue_capacity` | `100` | Tomcat's `acceptCount` |
//! | `service_time` | `lognormal(mean=20ms, p99=100ms)` | a typical API call |
//! | `launch_time` | `uniform(20s, 40s)` | EC2 `pending` → `running` |
//! | `boot_time` | `lognormal(mean=60s, p99=150s)` | OS and application start, after launch |
//! | `warmup` | `2m` | JIT and cache warm-up after boot |
//! | `warmup_slowdown` | `2.0` | service twice as slow when cold, easing to 1× |
//! | `launch_failure_probability` | `0` | |
//! | `balancer` | `elb` (see [`BalancerSpec`]) | |
//! | `client` | see [`ClientSpec`] | |
//! | `calls` | none | |
//! | `autoscaler` | none (fixed size) | |
//! | `autoscaler.target_utilisation` | `0.6` | AWS target tracking |
//! | `autoscaler.scale_out_cooldown` | `300s` | AWS |
//! | `autoscaler.scale_in_cooldown` | `300s` | AWS |
//! | `autoscaler.metric_period` | `60s` | CloudWatch's one-minute metrics |
//! | `drop_timed_out` | `false` | most servers serve what their callers gave up on |
//! | `queue_timeout` | none | |
//! | `queue_order` | `fifo` | |
//! | `noise` | none | |
//!
//! # Servers that fight overload
//! By default an instance serves every request it queued, in arrival order, even when
//! its caller has long given up (a thread-per-request server without deadlines). Three
//! settings change that, each a known defence against metastable overload:
//! - `drop_timed_out = true`: a request whose caller's timeout has passed when it
//!   reaches a worker is dropped unserved (deadline propagation, as gRPC servers do);
//!   it counts as a `timeout` of the layer.
//! - `queue_timeout = "100ms"`: a request that waited longer than this for a worker is
//!   dropped unserved and its caller told at once (CoDel-style queue timeouts); it
//!   counts as `shed`.
//! - `queue_order = "adaptive-lifo"`: while more requests wait than the instance has
//!   workers, the newest is served first (Facebook's adaptive LIFO): under overload
//!   fresh requests, whose callers still wait, go first.

use crate::engine::{DurationDist, SimDuration};

use super::balancer::BalancerSpec;
use super::client::ClientSpec;
use super::noise::NoiseSpec;

/// One layer: a cluster of identical instances behind a balancer.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// Instances in the layer's cluster at the start (required).
    #[cfg_attr(test, schemars(range(min = 1, max = super::limits::MAX_INSTANCES)))]
    #[cfg_attr(test, schemars(example = 4))]
    pub instances: u32,
    /// Requests an instance serves at once.
    #[serde(default = "default_workers")]
    #[cfg_attr(test, schemars(range(min = 1, max = super::limits::MAX_WORKERS)))]
    pub workers: u32,
    /// Requests that may wait for a worker; beyond it they are shed (fail at once).
    #[serde(default = "default_queue_capacity")]
    #[cfg_attr(test, schemars(range(max = super::limits::MAX_QUEUE_CAPACITY)))]
    pub queue_capacity: u32,
    /// Time a worker spends on one request, on a warm instance.
    #[serde(default = "default_service_time")]
    pub service_time: DurationDist,
    /// From the launch request until the machine runs (the `launching` state).
    #[serde(default = "default_launch_time")]
    pub launch_time: DurationDist,
    /// From a running machine to an application ready to serve (the `booting` state).
    #[serde(default = "default_boot_time")]
    pub boot_time: DurationDist,
    /// How long after boot an instance is still slower than warm.
    #[serde(default = "default_warmup")]
    pub warmup: SimDuration,
    /// Service-time multiplier right after boot, easing linearly to 1 over `warmup`.
    #[serde(default = "default_warmup_slowdown")]
    #[cfg_attr(test, schemars(range(min = 1, max = 100)))]
    pub warmup_slowdown: f64,
    /// Probability that a launch fails (the instance never becomes ready).
    #[serde(default)]
    #[cfg_attr(test, schemars(range(min = 0), extend("exclusiveMaximum" = 1)))]
    pub launch_failure_probability: f64,
    /// What routes requests to the instances.
    #[serde(default)]
    pub balancer: BalancerSpec,
    /// How callers of this layer behave.
    #[serde(default)]
    pub client: ClientSpec,
    /// Layers this one calls for each request it serves.
    #[serde(default)]
    pub calls: Vec<CallSpec>,
    /// Target-tracking autoscaling; none keeps the size fixed.
    #[serde(default)]
    pub autoscaler: Option<AutoscalerSpec>,
    /// Drop, unserved, a request whose caller has timed out when it reaches a worker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop_timed_out: bool,
    /// Drop, unserved, a request that waited longer than this for a worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(example = &"100ms"))]
    pub queue_timeout: Option<SimDuration>,
    /// Which waiting request a free worker takes.
    #[serde(default, skip_serializing_if = "QueueOrder::is_fifo")]
    pub queue_order: QueueOrder,
    /// Background errors and per-instance bad spells, on every version, healthy ones
    /// included; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<NoiseSpec>,
}

/// Which waiting request a free worker takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum QueueOrder {
    /// The oldest.
    #[default]
    Fifo,
    /// The oldest, but the newest while more requests wait than there are workers.
    AdaptiveLifo,
}

impl QueueOrder {
    fn is_fifo(&self) -> bool {
        *self == QueueOrder::Fifo
    }
}

/// A call from one layer to another, made for every request served.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// The layer called.
    #[cfg_attr(test, schemars(example = &"backend"))]
    pub layer: String,
    /// Calls per request served.
    #[serde(default = "CallSpec::default_count")]
    #[cfg_attr(test, schemars(range(min = 1, max = super::limits::MAX_CALL_COUNT)))]
    pub count: u32,
    /// A cache in front of the call; hits skip it.
    #[serde(default)]
    pub cache: Option<CacheSpec>,
}

/// A per-instance cache in front of a call: cold on a new instance, warming with use.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    /// Hit ratio once warm, in [0, 1).
    #[cfg_attr(test, schemars(range(min = 0), extend("exclusiveMaximum" = 1)))]
    #[cfg_attr(test, schemars(example = 0.8))]
    pub hit_ratio: f64,
    /// Lookups after which the cache is ~63% warm (the ratio grows as 1 − e^(−n/N)).
    #[serde(default = "default_cache_warmup_requests")]
    pub warmup_requests: u64,
}

/// Target tracking on mean worker utilisation (AWS-style); its defaults are in the
/// module's table.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoscalerSpec {
    /// Fewest instances.
    #[cfg_attr(test, schemars(range(min = 1, max = super::limits::MAX_INSTANCES)))]
    #[cfg_attr(test, schemars(example = 2))]
    pub min: u32,
    /// Most instances.
    #[cfg_attr(test, schemars(range(min = 1, max = super::limits::MAX_INSTANCES)))]
    #[cfg_attr(test, schemars(example = 10))]
    pub max: u32,
    /// Utilisation the autoscaler steers toward, in (0, 1).
    #[serde(default = "default_target_utilisation")]
    #[cfg_attr(test, schemars(extend("exclusiveMinimum" = 0, "exclusiveMaximum" = 1)))]
    pub target_utilisation: f64,
    /// Wait after scaling out before scaling again.
    #[serde(default = "AutoscalerSpec::default_scale_out_cooldown")]
    pub scale_out_cooldown: SimDuration,
    /// Wait after scaling in before scaling in again.
    #[serde(default = "AutoscalerSpec::default_scale_in_cooldown")]
    pub scale_in_cooldown: SimDuration,
    /// Averaging window of the utilisation metric (the scaling lag).
    #[serde(default = "AutoscalerSpec::default_metric_period")]
    pub metric_period: SimDuration,
}

impl CallSpec {
    fn default_count() -> u32 {
        1
    }
}

impl AutoscalerSpec {
    fn default_scale_out_cooldown() -> SimDuration {
        SimDuration::from_mins(5)
    }
    fn default_scale_in_cooldown() -> SimDuration {
        SimDuration::from_mins(5)
    }
    fn default_metric_period() -> SimDuration {
        SimDuration::from_mins(1)
    }
}

fn default_workers() -> u32 {
    8
}
fn default_queue_capacity() -> u32 {
    100
}
fn default_service_time() -> DurationDist {
    "lognormal(mean=20ms, p99=100ms)"
        .parse()
        .expect("a valid default")
}
fn default_launch_time() -> DurationDist {
    "uniform(20s, 40s)".parse().expect("a valid default")
}
fn default_boot_time() -> DurationDist {
    "lognormal(mean=60s, p99=150s)"
        .parse()
        .expect("a valid default")
}
fn default_warmup() -> SimDuration {
    SimDuration::from_mins(2)
}
fn default_warmup_slowdown() -> f64 {
    2.0
}
fn default_cache_warmup_requests() -> u64 {
    1_000
}
fn default_target_utilisation() -> f64 {
    0.6
}

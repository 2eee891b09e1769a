//! The balancer in front of a layer: an ELB, or service discovery with client-side
//! balancing (Eureka and Ribbon at Netflix).
//!
//! # Default values
//! | field | default | source |
//! |---|---|---|
//! | `kind` | `elb` | |
//! | `algorithm` | `round-robin` | classic ELB |
//! | `health_check_interval` | `30s` | AWS ALB |
//! | `healthy_threshold` | `5` | AWS ALB |
//! | `unhealthy_threshold` | `2` | AWS ALB |
//! | `deregistration_delay` | `300s` | AWS ELB/ALB connection draining |
//! | `heartbeat_interval` | `30s` | Eureka lease renewal |
//! | `eviction_timeout` | `90s` | Eureka lease expiry (3 missed heartbeats) |
//! | `refresh_interval` | `30s` | Eureka client registry fetch (`registryFetchIntervalSeconds`) |
//! | `server_cache_interval` | `30s` | Eureka server's read-only response cache (`responseCacheUpdateIntervalMs`) |
//! | `list_refresh_interval` | `30s` | Ribbon's server-list refresh (`ServerListRefreshInterval`) |
//!
//! # How a change reaches a discovery client
//! A registration or cancellation reaches a caller through three caches in a row, as
//! with Eureka and Ribbon: the server's read-only response cache is rebuilt every
//! `server_cache_interval` (one phase per layer's registry); each client fetches the
//! registry every `refresh_interval`, and its Ribbon load balancer copies the client's
//! list every `list_refresh_interval` (each at the caller's own phase). So a change
//! waits up to the sum of the three (90 s with the defaults; ~45 s on average, 85 s
//! until 99% of callers see it), as Eureka's documentation warns ("up to 2 minutes").
//! Setting `server_cache_interval` and `list_refresh_interval` to `0s` leaves only the
//! client's fetch: a change waits at most one `refresh_interval`.

use crate::engine::SimDuration;

/// Which kind of balancer, and its knobs.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BalancerSpec {
    /// A load balancer the callers connect through (AWS ELB/ALB).
    Elb {
        /// How the next instance is picked.
        #[serde(default)]
        algorithm: Algorithm,
        /// Time between health checks of a registered instance.
        #[serde(default = "thirty_seconds")]
        health_check_interval: SimDuration,
        /// Consecutive passing checks before an instance gets traffic.
        #[serde(default = "five")]
        healthy_threshold: u32,
        /// Consecutive failing checks before a dead instance stops getting traffic.
        #[serde(default = "two")]
        unhealthy_threshold: u32,
        /// How long a deregistered instance keeps its in-flight requests (draining).
        #[serde(default = "three_hundred_seconds")]
        deregistration_delay: SimDuration,
    },
    /// A registry plus client-side balancing; each client sees changes only when its
    /// cached view refreshes, at its own phase.
    Discovery {
        /// How the next instance is picked from the client's view.
        #[serde(default)]
        algorithm: Algorithm,
        /// How often instances renew their registration.
        #[serde(default = "thirty_seconds")]
        heartbeat_interval: SimDuration,
        /// An instance silent this long is evicted from the registry.
        #[serde(default = "ninety_seconds")]
        eviction_timeout: SimDuration,
        /// How often each client refreshes its cached view.
        #[serde(default = "thirty_seconds")]
        refresh_interval: SimDuration,
        /// How often the registry's response cache is rebuilt (0: answers are live).
        #[serde(default = "thirty_seconds")]
        server_cache_interval: SimDuration,
        /// How often each client's balancer copies the client's view (0: at once).
        #[serde(default = "thirty_seconds")]
        list_refresh_interval: SimDuration,
    },
}

impl Default for BalancerSpec {
    fn default() -> Self {
        BalancerSpec::Elb {
            algorithm: Algorithm::default(),
            health_check_interval: thirty_seconds(),
            healthy_threshold: five(),
            unhealthy_threshold: two(),
            deregistration_delay: three_hundred_seconds(),
        }
    }
}

/// How a balancer picks an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Each instance in turn.
    #[default]
    RoundRobin,
    /// The instance with the fewest requests in flight.
    LeastOutstanding,
}

fn thirty_seconds() -> SimDuration {
    SimDuration::from_secs(30)
}
fn ninety_seconds() -> SimDuration {
    SimDuration::from_secs(90)
}
fn three_hundred_seconds() -> SimDuration {
    SimDuration::from_secs(300)
}
fn two() -> u32 {
    2
}
fn five() -> u32 {
    5
}

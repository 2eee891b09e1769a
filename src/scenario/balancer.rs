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
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BalancerSpec {
    /// A load balancer the callers connect through (AWS ELB/ALB).
    Elb {
        /// How the next instance is picked.
        #[serde(default)]
        algorithm: Algorithm,
        /// Time between health checks of a registered instance.
        #[serde(default = "BalancerSpec::default_health_check_interval")]
        health_check_interval: SimDuration,
        /// Consecutive passing checks before an instance gets traffic.
        #[serde(default = "BalancerSpec::default_healthy_threshold")]
        healthy_threshold: u32,
        /// Consecutive failing checks before a dead instance stops getting traffic.
        #[serde(default = "BalancerSpec::default_unhealthy_threshold")]
        unhealthy_threshold: u32,
        /// How long a deregistered instance keeps its in-flight requests (draining).
        #[serde(default = "BalancerSpec::default_deregistration_delay")]
        deregistration_delay: SimDuration,
    },
    /// A registry plus client-side balancing; each client sees changes only when its
    /// cached view refreshes, at its own phase.
    Discovery {
        /// How the next instance is picked from the client's view.
        #[serde(default)]
        algorithm: Algorithm,
        /// How often instances renew their registration.
        #[serde(default = "BalancerSpec::default_heartbeat_interval")]
        heartbeat_interval: SimDuration,
        /// An instance silent this long is evicted from the registry.
        #[serde(default = "BalancerSpec::default_eviction_timeout")]
        eviction_timeout: SimDuration,
        /// How often each client refreshes its cached view.
        #[serde(default = "BalancerSpec::default_refresh_interval")]
        refresh_interval: SimDuration,
        /// How often the registry's response cache is rebuilt (0: answers are live).
        #[serde(default = "BalancerSpec::default_server_cache_interval")]
        server_cache_interval: SimDuration,
        /// How often each client's balancer copies the client's view (0: at once).
        #[serde(default = "BalancerSpec::default_list_refresh_interval")]
        list_refresh_interval: SimDuration,
    },
}

impl Default for BalancerSpec {
    fn default() -> Self {
        BalancerSpec::Elb {
            algorithm: Algorithm::default(),
            health_check_interval: BalancerSpec::default_health_check_interval(),
            healthy_threshold: BalancerSpec::default_healthy_threshold(),
            unhealthy_threshold: BalancerSpec::default_unhealthy_threshold(),
            deregistration_delay: BalancerSpec::default_deregistration_delay(),
        }
    }
}

/// How a balancer picks an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Each instance in turn.
    #[default]
    RoundRobin,
    /// The instance with the fewest requests in flight.
    LeastOutstanding,
}

/// Each field's default, once: the defaults of a kind's fields a file leaves out, and
/// of [`BalancerSpec::default`] (an ELB).
impl BalancerSpec {
    fn default_health_check_interval() -> SimDuration {
        SimDuration::from_secs(30)
    }
    fn default_healthy_threshold() -> u32 {
        5
    }
    fn default_unhealthy_threshold() -> u32 {
        2
    }
    fn default_deregistration_delay() -> SimDuration {
        SimDuration::from_secs(300)
    }
    fn default_heartbeat_interval() -> SimDuration {
        SimDuration::from_secs(30)
    }
    fn default_eviction_timeout() -> SimDuration {
        SimDuration::from_secs(90)
    }
    fn default_refresh_interval() -> SimDuration {
        SimDuration::from_secs(30)
    }
    fn default_server_cache_interval() -> SimDuration {
        SimDuration::from_secs(30)
    }
    fn default_list_refresh_interval() -> SimDuration {
        SimDuration::from_secs(30)
    }
}

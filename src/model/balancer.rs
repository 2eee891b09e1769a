//! A layer's balancer, compiled from its model section: an ELB, or service discovery
//! with client-side balancing. Routing itself is in [`super::routing`]; registration
//! and draining in [`super::lifecycle`].

use crate::engine::SimDuration;
use crate::scenario::balancer::{Algorithm, BalancerSpec};

/// The balancer of a layer, compiled.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Balancer {
    Elb {
        algorithm: Algorithm,
        health_check_interval: SimDuration,
        healthy_threshold: u32,
        unhealthy_threshold: u32,
        deregistration_delay: SimDuration,
    },
    Discovery {
        algorithm: Algorithm,
        heartbeat_interval: SimDuration,
        eviction_timeout: SimDuration,
        refresh_interval: SimDuration,
    },
}

impl Balancer {
    pub(crate) fn new(spec: &BalancerSpec) -> Self {
        match *spec {
            BalancerSpec::Elb {
                algorithm,
                health_check_interval,
                healthy_threshold,
                unhealthy_threshold,
                deregistration_delay,
            } => Balancer::Elb {
                algorithm,
                health_check_interval,
                healthy_threshold,
                unhealthy_threshold,
                deregistration_delay,
            },
            BalancerSpec::Discovery {
                algorithm,
                heartbeat_interval,
                eviction_timeout,
                refresh_interval,
            } => Balancer::Discovery {
                algorithm,
                heartbeat_interval,
                eviction_timeout,
                refresh_interval,
            },
        }
    }

    /// How long a deregistered instance keeps serving before it shuts down: the ELB's
    /// draining delay, or one client refresh behind discovery (so every client has
    /// seen it go).
    pub(crate) fn drain_time(&self) -> SimDuration {
        match *self {
            Balancer::Elb {
                deregistration_delay,
                ..
            } => deregistration_delay,
            Balancer::Discovery {
                refresh_interval, ..
            } => refresh_interval,
        }
    }

    /// Whether each caller balances on its own outstanding requests (client-side least
    /// outstanding behind discovery), not on the instances' true load.
    pub(crate) fn counts_per_client(&self) -> bool {
        matches!(
            self,
            Balancer::Discovery {
                algorithm: Algorithm::LeastOutstanding,
                ..
            }
        )
    }

    /// How long after its end a registration may still be in a caller's view.
    pub(crate) fn view_lag(&self) -> SimDuration {
        match *self {
            Balancer::Elb { .. } => SimDuration::ZERO,
            Balancer::Discovery {
                refresh_interval, ..
            } => refresh_interval,
        }
    }
}

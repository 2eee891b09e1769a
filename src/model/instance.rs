//! An instance: a virtual machine of one cluster.
//!
//! # Lifecycle
//! 1. `launching`: the machine is being provisioned (`launch_time`).
//! 2. `booting`: OS and application start (`boot_time`); a launch may fail here
//!    (`launch_failure_probability`), and the instance is gone.
//! 3. `warming`: ready and serving, but slower: service times are multiplied by a
//!    factor that starts at `warmup_slowdown` and falls linearly to 1 over `warmup`.
//! 4. `in service`: a queueing station: `workers` parallel slots, a bounded queue,
//!    requests beyond it shed.
//! 5. `draining`: taken out of its balancer; finishes what it has, gets no new work
//!    from the balancer (stale discovery clients may still reach it).
//! 6. `terminated`: gone. Requests still on it fail (connection reset); requests sent to
//!    it fail (connection refused).
//!
//! A worker stays busy while its request waits for the calls it makes downstream, as
//! in a thread-per-request server.

use crate::engine::{SimDuration, SimTime};
use crate::queueing::Station;

use super::ids::{ClusterId, InstanceId, LayerId};
use super::slab::Handle;

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceState {
    /// Being provisioned.
    Launching,
    /// Starting its OS and application.
    Booting,
    /// Serving, still slower than warm.
    Warming,
    /// Serving at full speed.
    InService,
    /// Out of its balancer, finishing its work.
    Draining,
    /// Gone.
    Terminated,
}

impl InstanceState {
    /// Every state, in lifecycle order.
    pub const ALL: [InstanceState; 6] = [
        InstanceState::Launching,
        InstanceState::Booting,
        InstanceState::Warming,
        InstanceState::InService,
        InstanceState::Draining,
        InstanceState::Terminated,
    ];

    /// Position in [`InstanceState::ALL`] (and in per-state counters).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The state's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Launching => "launching",
            InstanceState::Booting => "booting",
            InstanceState::Warming => "warming",
            InstanceState::InService => "in service",
            InstanceState::Draining => "draining",
            InstanceState::Terminated => "terminated",
        }
    }
}

/// The stored phase; `Warming` vs `InService` is derived from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Launching,
    Booting,
    Serving,
    Draining,
    Terminated,
}

/// One virtual machine.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// The layer it serves.
    pub(crate) layer: LayerId,
    /// The cluster that launched it.
    pub(crate) cluster: ClusterId,
    /// The release it runs (its cluster's, kept here: read on every request).
    pub(crate) version: u32,
    /// Stored phase of the lifecycle.
    pub(crate) phase: Phase,
    /// When it was asked for.
    pub(crate) launched_at: SimTime,
    /// When it became ready to serve (or `SimTime::MAX` before that).
    pub(crate) ready_at: SimTime,
    /// When its warm-up ends.
    pub(crate) warm_at: SimTime,
    /// Service-time multiplier at `ready_at`.
    pub(crate) warmup_slowdown: f64,
    /// When it terminated (or `SimTime::MAX`).
    pub(crate) terminated_at: SimTime,
    /// Its workers and queue; customers are job handles.
    pub(crate) station: Station<Handle>,
    /// Lookups made so far by each of its caches (one per cached call).
    pub(crate) cache_lookups: Box<[u64]>,
    /// As a caller of discovery layers, it refreshes its view at times `refresh_phase +
    /// k × interval` (for each callee's interval): its start time, or a random offset
    /// for the starting fleet.
    pub(crate) refresh_phase: SimDuration,
    /// Its client-side balancer copies the registry client's view at times
    /// `list_phase + k × list_refresh_interval` (Ribbon's server-list refresh).
    pub(crate) list_phase: SimDuration,
    /// Fast mode: whether it is (or, leaving, was) a representative that serves
    /// requests (see `model::fast`); registered instances that are not take none.
    pub(crate) rep: bool,
    /// Fast mode: its busy worker-ns at the last window's end.
    pub(crate) busy_seen_ns: u128,
    /// Fast mode: its services completed at the last window's end.
    pub(crate) completed_seen: u64,
    /// Fast mode: its cohort in its cluster (instances launched with it).
    pub(crate) cohort: u16,
    /// Fast mode, for a representative: the registered instances it stands for.
    pub(crate) sample_weight: f64,
    /// What impairments hit it now (see [`super::impairment`]).
    pub(crate) impaired: Impaired,
    /// As a caller through a client-side least-outstanding balancer: its own requests
    /// outstanding on each instance it calls (Ribbon's and Finagle's per-client
    /// counts); only instances with some are kept.
    pub(crate) outstanding_from_here: std::collections::BTreeMap<InstanceId, u32>,
    /// Its bad spells, once ready, if its layer has them (see [`super::noise`]).
    pub(crate) spells: Option<Box<super::noise::SpellClock>>,
}

/// The impairments on an instance now: the product of the service-time factors, the
/// sum of the added latencies, whether any blackhole; and the requests on their way to
/// it (delayed or lost), which a balancer counts as outstanding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Impaired {
    pub(crate) service_factor: f64,
    pub(crate) added_latency: SimDuration,
    pub(crate) blackholed: bool,
    pub(crate) in_transit: u32,
}

impl Default for Impaired {
    fn default() -> Self {
        Impaired {
            service_factor: 1.0,
            added_latency: SimDuration::ZERO,
            blackholed: false,
            in_transit: 0,
        }
    }
}

/// What closing a window reads of an instance, kept apart from it in a compact
/// array (see `World::briefs`): reading a whole [`Instance`] of every instance every
/// simulated second was most of a quiet run's cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Brief {
    pub(crate) phase: Phase,
    pub(crate) rep: bool,
    pub(crate) layer: LayerId,
    pub(crate) cluster: ClusterId,
    pub(crate) warm_at: SimTime,
    /// Its workers (fixed at launch).
    pub(crate) workers: u32,
    /// Its refresh phases as a caller (see [`Instance::refresh_phase`]), which callers
    /// in fast mode draw from a sample of members every window.
    pub(crate) refresh_phase: SimDuration,
    pub(crate) list_phase: SimDuration,
}

/// The state at `now` of an instance in `phase`, warm from `warm_at`.
#[inline]
fn state_at(phase: Phase, warm_at: SimTime, now: SimTime) -> InstanceState {
    match phase {
        Phase::Launching => InstanceState::Launching,
        Phase::Booting => InstanceState::Booting,
        Phase::Serving if now < warm_at => InstanceState::Warming,
        Phase::Serving => InstanceState::InService,
        Phase::Draining => InstanceState::Draining,
        Phase::Terminated => InstanceState::Terminated,
    }
}

impl Brief {
    /// The instance's state at `now` (as [`Instance::state`]).
    #[inline]
    pub(crate) fn state(&self, now: SimTime) -> InstanceState {
        state_at(self.phase, self.warm_at, now)
    }
}

impl Instance {
    /// Its [`Brief`].
    pub(crate) fn brief(&self) -> Brief {
        Brief {
            phase: self.phase,
            rep: self.rep,
            layer: self.layer,
            cluster: self.cluster,
            warm_at: self.warm_at,
            workers: self.station.servers(),
            refresh_phase: self.refresh_phase,
            list_phase: self.list_phase,
        }
    }
}

impl Impaired {
    /// Whether nothing impairs the instance (requests on their way aside).
    pub(crate) fn is_none(&self) -> bool {
        self.service_factor == 1.0 && self.added_latency.is_zero() && !self.blackholed
    }
}

impl Instance {
    /// The state at `now`.
    pub(crate) fn state(&self, now: SimTime) -> InstanceState {
        state_at(self.phase, self.warm_at, now)
    }

    /// Whether it accepts connections (serving or draining).
    #[inline]
    pub(crate) fn is_up(&self) -> bool {
        matches!(self.phase, Phase::Serving | Phase::Draining)
    }

    /// Requests a balancer sees outstanding on it: in its station, and on their way.
    #[inline]
    pub(crate) fn outstanding(&self) -> usize {
        self.station.in_system() + self.impaired.in_transit as usize
    }

    /// Time it has been alive (launch to termination, or to `now`).
    pub(crate) fn alive_for(&self, now: SimTime) -> SimDuration {
        self.terminated_at
            .min(now)
            .saturating_since(self.launched_at)
    }

    /// Service-time multiplier at `now`: the warm-up slowdown easing linearly to 1.
    #[inline]
    pub(crate) fn slowdown_at(&self, now: SimTime) -> f64 {
        if now >= self.warm_at || self.warm_at <= self.ready_at {
            return 1.0;
        }
        let total = (self.warm_at - self.ready_at).as_nanos_f64();
        let left = (self.warm_at - now).as_nanos_f64();
        1.0 + (self.warmup_slowdown - 1.0) * (left / total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queueing::Station;

    fn booted_at(ready: u64, warmup: u64) -> Instance {
        Instance {
            layer: LayerId(0),
            cluster: ClusterId(0),
            version: 0,
            phase: Phase::Serving,
            launched_at: SimTime::ZERO,
            ready_at: SimTime::ZERO + SimDuration::from_secs(ready),
            warm_at: SimTime::ZERO + SimDuration::from_secs(ready + warmup),
            warmup_slowdown: 3.0,
            terminated_at: SimTime::MAX,
            station: Station::new(1, 0),
            cache_lookups: Box::new([]),
            refresh_phase: SimDuration::ZERO,
            list_phase: SimDuration::ZERO,
            rep: false,
            busy_seen_ns: 0,
            completed_seen: 0,
            cohort: 0,
            sample_weight: 1.0,
            impaired: Impaired::default(),
            outstanding_from_here: Default::default(),
            spells: None,
        }
    }

    #[test]
    fn warm_up_slowdown_eases_linearly_to_one() {
        let instance = booted_at(100, 60);
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        assert_eq!(instance.slowdown_at(at(100)), 3.0);
        assert!((instance.slowdown_at(at(130)) - 2.0).abs() < 1e-9);
        assert_eq!(instance.slowdown_at(at(160)), 1.0);
        assert_eq!(instance.state(at(120)), InstanceState::Warming);
        assert_eq!(instance.state(at(160)), InstanceState::InService);
    }
}

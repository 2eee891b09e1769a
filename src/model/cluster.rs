//! A cluster (an auto-scaling group, a Spinnaker server group): instances of one
//! version of one layer, kept at a desired size, plus its entries in the layer's
//! balancer.
//!
//! # Balancer entries
//! Both kinds of balancer are a list of entries `(instance, from, until)` per cluster.
//! A caller routes among the entries visible at its *view time*: `now` behind an ELB
//! (the balancer knows at once), the time of the caller's last registry refresh behind
//! discovery (so a change reaches callers gradually, each at its own phase). Removing
//! an instance sets its entry's `until`; old entries are purged once no caller's view
//! can still contain them.

use crate::engine::SimTime;

use super::ids::{InstanceId, LayerId};

/// An instance's registration in its layer's balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LbEntry {
    pub(crate) instance: InstanceId,
    /// Registered from (ELB: healthy; discovery: registered in the registry).
    pub(crate) from: SimTime,
    /// Registered until (`SimTime::MAX` while registered).
    pub(crate) until: SimTime,
    /// Fast mode: the instance's cohort in its cluster.
    pub(crate) cohort: u16,
}

impl LbEntry {
    #[inline]
    pub(crate) fn visible_at(&self, view: SimTime) -> bool {
        self.from <= view && view < self.until
    }
}

/// Target tracking state.
#[derive(Debug, Clone, Default)]
pub(crate) struct AutoscalerState {
    pub(crate) last_scale_out: Option<SimTime>,
    pub(crate) last_scale_in: Option<SimTime>,
    /// Busy worker-nanoseconds of the cluster at the last evaluation.
    pub(crate) busy_area_ns: u128,
}

/// One auto-scaling group.
#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub(crate) layer: LayerId,
    /// The release it runs (0 = the model's baseline).
    pub(crate) version: u32,
    /// Instances it keeps alive.
    pub(crate) desired: u32,
    /// Live members (launching, booting, serving), in launch order.
    pub(crate) members: Vec<InstanceId>,
    /// Every share of the layer's traffic set, with when (`None` = in proportion to its
    /// registered instances); the last is the weight now ([`Cluster::weight_now`]).
    /// Behind an ELB a weight applies from the moment it is set; a caller behind
    /// discovery sees the weights and the instances of the same moment (a mesh pushes
    /// both through one control plane; with Eureka a change of traffic is itself a
    /// registry change), so a new weight reaches it through the same chain of caches as
    /// a registration.
    pub(crate) weight_changes: Vec<(SimTime, Option<f64>)>,
    /// Whether its instances are (to be) registered in the balancer.
    pub(crate) enabled: bool,
    /// Its balancer entries.
    pub(crate) entries: Vec<LbEntry>,
    /// `from` of every entry, sorted (entries are registered at the current time, so
    /// appending keeps the order): with `untils`, counts the entries a view sees in
    /// O(log n) instead of scanning them on every routed request.
    froms: Vec<SimTime>,
    /// `until` of every ended entry, sorted.
    untils: Vec<SimTime>,
    /// Entries with `until == MAX`.
    pub(crate) active_entries: u32,
    /// Round-robin position.
    pub(crate) cursor: u32,
    /// Busy worker-nanoseconds of members that are gone (for utilisation).
    pub(crate) busy_area_gone_ns: u128,
    pub(crate) autoscaler: Option<AutoscalerState>,
    /// No members, no registrations, no size: dropped from its layer's routing.
    pub(crate) retired: bool,
    /// Its instances that failed on their own (crash loop, failed boot); kills by chaos
    /// are not theirs and do not count.
    pub(crate) crashes: u32,
    /// Whether its autoscaler is suspended (during a rollout, as deploy tools do).
    pub(crate) autoscaling_suspended: bool,
    /// Fast mode: one registered instance in `sampling_step` is a representative
    /// (rounded up); 1 in request-level mode, where every instance serves requests.
    pub(crate) sampling_step: u32,
    /// Fast mode: the balancer entries of its representatives (a subset of
    /// `entries`, same times), among which requests are routed.
    pub(crate) rep_entries: Vec<LbEntry>,
    /// Fast mode: entries of `rep_entries` with `until == MAX`.
    pub(crate) active_reps: u32,
    /// Fast mode: its background arrivals and scale (see `model::fast`).
    pub(crate) sample: super::fast::ClusterSample,
    /// Fast mode: its instances by launch (instances launched together are
    /// interchangeable), each with its own representatives.
    pub(crate) cohorts: Vec<Cohort>,
}

/// Instances of a cluster launched at the same moment: interchangeable, so a few
/// representatives stand for them all in fast mode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cohort {
    /// When its instances were launched.
    pub(crate) launched_at: SimTime,
    /// Its instances registered now.
    pub(crate) registered: u32,
    /// Its representatives registered now.
    pub(crate) reps: u32,
    /// When the last of its registered instances is warm (warm-up over).
    pub(crate) warm_by: SimTime,
}

impl Cohort {
    /// Representatives it should have: one per `step` registered instances, rounded up.
    pub(crate) fn reps_wanted(&self, step: u32) -> u32 {
        self.registered.div_ceil(step)
    }

    /// Registered instances each representative stands for (1 without any).
    pub(crate) fn weight(&self) -> f64 {
        if self.reps == 0 {
            1.0
        } else {
            f64::from(self.registered) / f64::from(self.reps)
        }
    }
}

impl Cluster {
    pub(crate) fn new(layer: LayerId, version: u32, desired: u32, autoscaled: bool) -> Self {
        Cluster {
            layer,
            version,
            desired,
            members: Vec::new(),
            weight_changes: Vec::new(),
            enabled: true,
            entries: Vec::new(),
            froms: Vec::new(),
            untils: Vec::new(),
            active_entries: 0,
            cursor: 0,
            busy_area_gone_ns: 0,
            autoscaler: autoscaled.then(AutoscalerState::default),
            retired: false,
            crashes: 0,
            autoscaling_suspended: false,
            sampling_step: 1,
            rep_entries: Vec::new(),
            active_reps: 0,
            sample: super::fast::ClusterSample::default(),
            cohorts: Vec::new(),
        }
    }

    /// The cohort of instances launched at `at` (created if new).
    pub(crate) fn cohort_at(&mut self, at: SimTime) -> u16 {
        if let Some(index) = self.cohorts.iter().rposition(|c| c.launched_at == at) {
            return index as u16;
        }
        self.cohorts.push(Cohort {
            launched_at: at,
            registered: 0,
            reps: 0,
            warm_by: SimTime::ZERO,
        });
        u16::try_from(self.cohorts.len() - 1).unwrap_or(u16::MAX)
    }

    /// Whether its representatives are a sample of its instances (fast mode).
    #[inline]
    pub(crate) fn sampled(&self) -> bool {
        self.sampling_step > 1
    }

    /// Makes a registered instance a representative, with its registration's times.
    pub(crate) fn add_rep(&mut self, instance: InstanceId) {
        if let Some(entry) = self
            .entries
            .iter()
            .find(|e| e.instance == instance && e.until == SimTime::MAX)
        {
            self.rep_entries.push(*entry);
            self.active_reps += 1;
            self.cohorts[entry.cohort as usize].reps += 1;
        }
    }

    /// Whether a caller whose view dates from `view` can reach any instance of it.
    pub(crate) fn visible_at(&self, view: SimTime) -> bool {
        self.visible_count(view) > 0
    }

    /// Entries a caller whose view dates from `view` sees: those registered from at or
    /// before it, less those that ended at or before it (an entry ends after it begins).
    pub(crate) fn visible_count(&self, view: SimTime) -> usize {
        self.froms.partition_point(|from| *from <= view)
            - self.untils.partition_point(|until| *until <= view)
    }

    /// The explicit weight as of `view` (the last one set at or before it; `None`
    /// before any).
    pub(crate) fn weight_at(&self, view: SimTime) -> Option<f64> {
        let set = self.weight_changes.partition_point(|(at, _)| *at <= view);
        set.checked_sub(1)
            .and_then(|last| self.weight_changes[last].1)
    }

    /// The explicit weight now (`None` before any, or when unweighted).
    pub(crate) fn weight_now(&self) -> Option<f64> {
        self.weight_changes.last().and_then(|(_, weight)| *weight)
    }

    /// Sets the weight from `now` on.
    pub(crate) fn set_weight(&mut self, weight: Option<f64>, now: SimTime) {
        self.weight_changes.push((now, weight));
    }

    /// Its share weight for a caller whose view dates from `view`: the explicit weight
    /// of that view, or the number of its instances in that view.
    pub(crate) fn routing_weight(&self, view: SimTime) -> f64 {
        match self.weight_at(view) {
            Some(weight) => weight,
            None => self.visible_count(view) as f64,
        }
    }

    /// Registers the instance (of `cohort`) at `now`; in fast mode it becomes a
    /// representative if its cohort has fewer than it wants. Returns whether it did.
    pub(crate) fn register(&mut self, instance: InstanceId, cohort: u16, now: SimTime) -> bool {
        self.entries.push(LbEntry {
            instance,
            from: now,
            until: SimTime::MAX,
            cohort,
        });
        debug_assert!(self.froms.last().is_none_or(|last| *last <= now));
        self.froms.push(now);
        self.active_entries += 1;
        if !self.sampled() {
            return false;
        }
        let step = self.sampling_step;
        let group = &mut self.cohorts[cohort as usize];
        group.registered += 1;
        if group.reps < group.reps_wanted(step) {
            self.add_rep(instance);
            return true;
        }
        false
    }

    /// Ends the instance's registration at `now`; false if it was not registered.
    pub(crate) fn deregister(&mut self, instance: InstanceId, now: SimTime) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|e| e.instance == instance && e.until == SimTime::MAX)
        {
            Some(entry) => {
                entry.until = now.max(entry.from);
                let at = self.untils.partition_point(|until| *until <= entry.until);
                self.untils.insert(at, entry.until);
                self.active_entries -= 1;
                if self.sampling_step > 1 {
                    self.cohorts[entry.cohort as usize].registered -= 1;
                }
                if let Some(rep) = self
                    .rep_entries
                    .iter_mut()
                    .find(|e| e.instance == instance && e.until == SimTime::MAX)
                {
                    rep.until = now.max(rep.from);
                    self.active_reps -= 1;
                    self.cohorts[rep.cohort as usize].reps -= 1;
                }
                true
            }
            None => false,
        }
    }

    /// Ends the instance's standing as a representative (it stays registered).
    pub(crate) fn demote(&mut self, instance: InstanceId, now: SimTime) {
        if let Some(rep) = self
            .rep_entries
            .iter_mut()
            .find(|e| e.instance == instance && e.until == SimTime::MAX)
        {
            rep.until = now.max(rep.from);
            self.active_reps -= 1;
            self.cohorts[rep.cohort as usize].reps -= 1;
        }
    }

    /// Moves the registered instances of cohort `from` into cohort `into`.
    pub(crate) fn merge_cohort(&mut self, from: u16, into: u16) {
        for entry in self.entries.iter_mut().chain(self.rep_entries.iter_mut()) {
            if entry.cohort == from && entry.until == SimTime::MAX {
                entry.cohort = into;
            }
        }
        let moved = self.cohorts[from as usize];
        let target = &mut self.cohorts[into as usize];
        target.registered += moved.registered;
        target.reps += moved.reps;
        target.warm_by = target.warm_by.max(moved.warm_by);
        let source = &mut self.cohorts[from as usize];
        source.registered = 0;
        source.reps = 0;
    }

    /// Whether the instance is registered now.
    pub(crate) fn is_registered(&self, instance: InstanceId) -> bool {
        self.entries
            .iter()
            .any(|e| e.instance == instance && e.until == SimTime::MAX)
    }

    /// Drops entries that ended before `horizon` (no caller's view is that old).
    pub(crate) fn purge_entries(&mut self, horizon: SimTime) {
        let before = self.entries.len();
        self.entries.retain(|e| e.until > horizon);
        self.rep_entries.retain(|e| e.until > horizon);
        if self.entries.len() != before {
            self.froms = self.entries.iter().map(|e| e.from).collect();
            self.froms.sort_unstable();
            self.untils = self
                .entries
                .iter()
                .filter(|e| e.until != SimTime::MAX)
                .map(|e| e.until)
                .collect();
            self.untils.sort_unstable();
        }
    }
}

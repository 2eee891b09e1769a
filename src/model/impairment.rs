//! Impairments: capacity lost for a while without instances dying (see
//! [`crate::scenario::chaos`] for the kinds and their real-world counterparts).
//!
//! # How an impairment moves
//! 1. At its start a share of each named layer's serving instances is drawn (its own
//!    RNG stream, so adding an impairment does not reshuffle any other dice). In fast
//!    mode the share is drawn separately among the representatives and among the
//!    other instances, so that the representatives — who carry the traffic — are hit
//!    in the same proportion as the fleet (rounded up, as a zone outage rounds).
//! 2. Every hit instance's [`Impaired`] state is recomputed from all impairments active
//!    on it: service-time factors multiply, added latencies add, any blackhole holes.
//!    [`super::flow`] reads it: a factor slows each service, an added latency holds a
//!    request on its way in (no worker taken), a blackhole loses it.
//! 3. At its end the hit instances are recomputed again without it (those still alive).
//!
//! A lost request counts at once as a `timeout` failure of the layer (its caller hears
//! nothing and fails it at its own timer) and stays outstanding on the instance, for a
//! balancer counting requests in flight, until that timer; a delayed request counts as
//! outstanding while on its way.

use rand::RngExt;

use crate::engine::{SimDuration, SimTime};
use crate::scenario::Scenario;
use crate::scenario::chaos::ImpairmentKind;

use super::ids::{InstanceId, LayerId};
use super::instance::{Impaired, Phase};
use super::world::{Event, World};

/// What an impairment does to an instance it hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Effect {
    /// Service times multiplied by this factor (a CPU cut or a slowdown).
    Slower(f64),
    /// Requests reach the instance this much later.
    Delayed(SimDuration),
    /// Requests sent to the instance are lost.
    Blackholed,
}

/// An impairment, compiled: its effect, where and when, and whom it hit.
#[derive(Debug, Clone)]
pub(crate) struct ImpairmentPlan {
    pub(crate) effect: Effect,
    pub(crate) share: f64,
    pub(crate) layers: Vec<LayerId>,
    pub(crate) start: SimTime,
    pub(crate) end: SimTime,
    /// The instances it hit, sorted (empty before its start).
    pub(crate) victims: Vec<InstanceId>,
    pub(crate) active: bool,
}

/// Compiles the model's impairments; `id_of` names layers, `layer_count` is how many.
pub(crate) fn compile(
    scenario: &Scenario,
    layer_count: usize,
    id_of: impl Fn(&str) -> LayerId,
) -> Vec<ImpairmentPlan> {
    scenario
        .chaos
        .impairments
        .iter()
        .map(|spec| {
            let effect = match spec.kind {
                ImpairmentKind::CpuCut => Effect::Slower(1.0 / spec.capacity.unwrap_or(1.0)),
                ImpairmentKind::Slowdown => Effect::Slower(spec.factor.unwrap_or(1.0)),
                ImpairmentKind::Latency => Effect::Delayed(spec.added.unwrap_or(SimDuration::ZERO)),
                ImpairmentKind::Blackhole => Effect::Blackholed,
            };
            let layers = if spec.layers.is_empty() {
                (0..layer_count).map(|i| LayerId(i as u16)).collect()
            } else {
                spec.layers.iter().map(|l| id_of(l)).collect()
            };
            let start = SimTime::ZERO + spec.at;
            ImpairmentPlan {
                effect,
                share: spec.share,
                layers,
                start,
                end: start + spec.duration,
                victims: Vec::new(),
                active: false,
            }
        })
        .collect()
}

impl World {
    /// Schedules the start of every impairment that begins before the run ends.
    pub(crate) fn schedule_impairments(&mut self) {
        for index in 0..self.impairments.len() {
            let start = self.impairments[index].start;
            if start < self.end {
                let impairment = index as u32;
                self.scheduler
                    .schedule_at(start, Event::ImpairmentStart { impairment });
            }
        }
    }

    /// Impairment `impairment` begins: draw whom it hits, and hit them.
    pub(crate) fn impairment_start(&mut self, impairment: u32) {
        let plan = &self.impairments[impairment as usize];
        let (share, layers, end) = (plan.share, plan.layers.clone(), plan.end);
        let mut victims = Vec::new();
        for layer in layers {
            let serving = self.serving_instances(layer);
            let (reps, others): (Vec<InstanceId>, Vec<InstanceId>) = if self.is_fast() {
                serving
                    .into_iter()
                    .partition(|id| self.instances[id.index()].rep)
            } else {
                (serving, Vec::new())
            };
            for mut group in [reps, others] {
                let hit = ((group.len() as f64 * share).ceil() as usize).min(group.len());
                // A partial Fisher–Yates shuffle picks `hit` distinct victims.
                for k in 0..hit {
                    let pick = self.rng.impairment.random_range(k..group.len());
                    group.swap(k, pick);
                }
                victims.extend_from_slice(&group[..hit]);
            }
        }
        victims.sort_unstable();
        let plan = &mut self.impairments[impairment as usize];
        plan.victims = victims;
        plan.active = true;
        self.reapply_impairments(impairment);
        if end < self.end {
            self.scheduler
                .schedule_at(end, Event::ImpairmentEnd { impairment });
        }
    }

    /// Impairment `impairment` ends: its victims recover (from it).
    pub(crate) fn impairment_end(&mut self, impairment: u32) {
        self.impairments[impairment as usize].active = false;
        self.reapply_impairments(impairment);
    }

    /// Recomputes the impaired state of every instance `impairment` hit.
    fn reapply_impairments(&mut self, impairment: u32) {
        let victims = std::mem::take(&mut self.impairments[impairment as usize].victims);
        for &id in &victims {
            let mut state = Impaired {
                in_transit: self.instances[id.index()].impaired.in_transit,
                ..Impaired::default()
            };
            for (index, plan) in self.impairments.iter().enumerate() {
                // The walked impairment's victims are out of its plan meanwhile.
                let hit = index == impairment as usize || plan.victims.binary_search(&id).is_ok();
                if !plan.active || !hit {
                    continue;
                }
                match plan.effect {
                    Effect::Slower(factor) => state.service_factor *= factor,
                    Effect::Delayed(added) => state.added_latency += added,
                    Effect::Blackholed => state.blackholed = true,
                }
            }
            self.instances[id.index()].impaired = state;
        }
        self.impairments[impairment as usize].victims = victims;
    }

    /// A request lost to a blackholed instance stops counting as outstanding there (its
    /// caller's timer has fired).
    pub(crate) fn lost_expired(&mut self, instance: InstanceId) {
        let on = &mut self.instances[instance.index()];
        on.impaired.in_transit = on.impaired.in_transit.saturating_sub(1);
        if on.phase == Phase::Draining {
            self.finish_drain_if_idle(instance);
        }
    }
}

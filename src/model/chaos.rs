//! Faults injected while the world runs: Chaos Monkey's random kills (a Poisson
//! process per kill spec, each striking a random serving instance of its layer) and
//! zone outages (a fraction of every named layer's serving instances at once). Killed
//! instances crash (see [`super::lifecycle`]) and their clusters replace them.

use rand::RngExt;

use crate::engine::SimDuration;

use crate::scenario::Scenario;
use crate::scenario::week::WorkingHours;

use super::ids::{InstanceId, LayerId};
use super::instance::Phase;
use super::world::{Event, World};

/// One of Chaos Monkey's kill specs, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Kills {
    /// The layer struck.
    layer: LayerId,
    /// Kills per second (within `hours`).
    per_second: f64,
    /// When it strikes (any time if `None`), and the run's start in hours after
    /// Monday 00:00.
    hours: Option<(WorkingHours, f64)>,
}

/// Chaos Monkey's kill specs of `scenario`, compiled.
pub(crate) fn compile_kills(scenario: &Scenario, id_of: impl Fn(&str) -> LayerId) -> Vec<Kills> {
    scenario
        .chaos
        .kills
        .iter()
        .map(|k| Kills {
            layer: id_of(&k.layer),
            per_second: k.rate.per_second(),
            hours: k.hours.clone().map(|h| (h, scenario.week_start_hours())),
        })
        .collect()
}

/// The zone outages of `scenario`, compiled: the fraction struck and the layers hit
/// (all `layers` of the world when the outage names none).
pub(crate) fn compile_outages(
    scenario: &Scenario,
    layers: usize,
    id_of: impl Fn(&str) -> LayerId,
) -> Vec<(f64, Vec<LayerId>)> {
    scenario
        .chaos
        .zone_outages
        .iter()
        .map(|o| {
            let hit: Vec<LayerId> = if o.layers.is_empty() {
                (0..layers).map(|i| LayerId(i as u16)).collect()
            } else {
                o.layers.iter().map(|l| id_of(l)).collect()
            };
            (o.fraction, hit)
        })
        .collect()
}

impl World {
    pub(crate) fn schedule_next_kill(&mut self, kill: u32) {
        let rate_per_second = self.kills[kill as usize].per_second;
        let unit: f64 = self.rng.chaos.random::<f64>();
        let gap = SimDuration::from_secs_f64(-(1.0 - unit).ln() / rate_per_second);
        let at = self.now() + gap;
        if at < self.end {
            self.scheduler.schedule_at(at, Event::ChaosKill { kill });
        }
    }

    /// A kill of spec `kill` comes due. Outside its hours it strikes nothing: kills at
    /// a constant rate, thinned to the hours, are a Poisson process at that rate within
    /// them and none outside.
    pub(crate) fn chaos_kill(&mut self, kill: u32) {
        let spec = &self.kills[kill as usize];
        let layer = spec.layer;
        let in_hours = spec
            .hours
            .as_ref()
            .is_none_or(|(hours, start)| hours.contains(*start, self.now()));
        let serving = if in_hours {
            self.serving_instances(layer)
        } else {
            Vec::new()
        };
        if !serving.is_empty() {
            let victim = serving[self.rng.chaos.random_range(0..serving.len())];
            self.crash(victim);
        }
        self.schedule_next_kill(kill);
    }

    pub(crate) fn zone_outage(&mut self, outage: u32) {
        let (fraction, layers) = self.outages[outage as usize].clone();
        for layer in layers {
            let mut serving = self.serving_instances(layer);
            let lost = ((serving.len() as f64 * fraction).ceil() as usize).min(serving.len());
            // A partial Fisher–Yates shuffle picks `lost` distinct victims.
            for k in 0..lost {
                let pick = self.rng.chaos.random_range(k..serving.len());
                serving.swap(k, pick);
            }
            for victim in serving.into_iter().take(lost) {
                self.crash(victim);
            }
        }
    }

    /// Serving members of every cluster of `layer`, in cluster and launch order.
    pub(crate) fn serving_instances(&self, layer: LayerId) -> Vec<InstanceId> {
        self.layers[layer.index()]
            .clusters
            .iter()
            .flat_map(|c| self.clusters[c.index()].members.iter().copied())
            .filter(|id| self.instances[id.index()].phase == Phase::Serving)
            .collect()
    }
}

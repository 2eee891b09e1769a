//! Faults injected while the world runs: Chaos Monkey's random kills (a Poisson
//! process per kill spec, each striking a random serving instance of its layer) and
//! zone outages (a fraction of every named layer's serving instances at once). Killed
//! instances crash (see [`super::lifecycle`]) and their clusters replace them.

use rand::RngExt;

use crate::engine::SimDuration;

use crate::scenario::Scenario;

use super::ids::{InstanceId, LayerId};
use super::instance::Phase;
use super::world::{Event, World};

/// Chaos Monkey's kill specs of `scenario`, compiled: the layer and kills per second.
pub(crate) fn compile_kills(
    scenario: &Scenario,
    id_of: impl Fn(&str) -> LayerId,
) -> Vec<(LayerId, f64)> {
    scenario
        .chaos
        .kills
        .iter()
        .map(|k| (id_of(&k.layer), k.rate.per_second()))
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
        let rate_per_second = self.kills[kill as usize].1;
        let unit: f64 = self.rng.chaos.random::<f64>();
        let gap = SimDuration::from_secs_f64(-(1.0 - unit).ln() / rate_per_second);
        let at = self.now() + gap;
        if at < self.end {
            self.scheduler.schedule_at(at, Event::ChaosKill { kill });
        }
    }

    pub(crate) fn chaos_kill(&mut self, kill: u32) {
        let layer = self.kills[kill as usize].0;
        let serving = self.serving_instances(layer);
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

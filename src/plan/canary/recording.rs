//! One rehearsal of a canary held for the longest duration asked, kept as what its
//! judge sees: the canary's and the old version's metrics, second by second, from the
//! moment the canary took its share of traffic.
//!
//! The rehearsal is the ordinary one (the real controller against the simulated
//! world, the model's traffic, noise and Chaos Monkey), with the model's rollout of the
//! layer turned into a one-step canary of `instances` instances taking `instances ÷
//! fleet` of the traffic (so each canary instance carries what an old one does), and a
//! judge that never aborts, so the canary keeps serving for the whole longest duration.
//! It stops as soon as the canary has been judged that long.

use crate::engine::{SimDuration, SimTime};
use crate::model::World;
use crate::model::observe::window_of;
use crate::rehearsal::driver::{metrics, rehearse_judged_for_from};
use crate::rollout::VersionMetrics;
use crate::scenario::Scenario;
use crate::scenario::rollout::{ReleaseSpec, RolloutSpec, Strategy, WeightStep};

/// What a canary's judge would have seen over one rehearsal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recording {
    /// The version replaced, and the canary's.
    pub(crate) old_version: u32,
    pub(crate) new_version: u32,
    /// When the canary took its share of traffic (the judge's start); `None` if it never
    /// came up in the rehearsal's time.
    pub(crate) judged_from: Option<SimTime>,
    /// The first second recorded: `window_of(judged_from)`.
    first_s: usize,
    /// Per second from `first_s`: the canary's metrics, and the old version's.
    seconds: Vec<(VersionMetrics, VersionMetrics)>,
}

/// The weight (percent) that gives a canary of `instances` out of `fleet` exactly that
/// many instances (the controller sizes a step as `⌈fleet × weight ÷ 100⌉`).
pub(crate) fn weight_for(instances: u32, fleet: u32) -> f64 {
    let mut weight = 100.0 * f64::from(instances) / f64::from(fleet);
    while (f64::from(fleet) * weight / 100.0).ceil() > f64::from(instances) {
        weight = weight.next_down();
    }
    weight
}

/// The model turned into a rehearsal of a canary of `instances` on `layer` with
/// `release`, held `longest`, under seed `seed`; every other rollout left out.
pub(crate) fn canary_scenario(
    base: &Scenario,
    layer: &str,
    instances: u32,
    release: &ReleaseSpec,
    longest: SimDuration,
    seed: u64,
) -> Scenario {
    let mut scenario = base.clone();
    scenario.seed = seed;
    let fleet = scenario.layers[layer].instances;
    let mut rollout = scenario
        .rollouts
        .iter()
        .find(|r| r.layer == layer)
        .cloned()
        .unwrap_or_else(|| RolloutSpec {
            layer: layer.to_string(),
            ..RolloutSpec::default()
        });
    rollout.strategy = Strategy::Canary;
    rollout.release = release.clone();
    rollout.canary.steps = vec![WeightStep {
        weight: weight_for(instances, fleet),
        pause: longest,
        scale: None,
    }];
    // The recording's own judge only watches: every judge asked is replayed over it.
    rollout.analysis.failure_limit = u32::MAX;
    rollout.analysis.max_crashes = u32::MAX;
    scenario.duration =
        rollout.start + rollout.canary.healthy_deadline + longest + SimDuration::from_mins(1);
    scenario.rollouts = vec![rollout];
    scenario
}

/// The world of `scenario` (from [`canary_scenario`]) run up to its rollout's start:
/// the same for every canary size and release rehearsed with its seed, so it is run
/// once and cloned for each.
pub(crate) fn prefix(scenario: &Scenario) -> World {
    let mut world = World::new(scenario);
    world.run_until(crate::engine::SimTime::ZERO + scenario.rollouts[0].start);
    world
}

impl Recording {
    /// Rehearses `scenario` (from [`canary_scenario`]) until its canary has been judged
    /// for `longest`, going on from `prefix` (see [`prefix`]), and keeps what the judge saw.
    pub(crate) fn of(prefix: World, scenario: &Scenario, longest: SimDuration) -> Recording {
        let rehearsal = rehearse_judged_for_from(prefix, scenario, longest);
        let record = &rehearsal.records[0];
        let world = &rehearsal.world;
        let layer = world
            .layer_id(&scenario.rollouts[0].layer)
            .expect("the recorded layer exists");
        let judged_from = record.judged_from.first().map(|t| SimTime::from(*t));
        let first_s = judged_from.map_or(0, window_of);
        let last_s = judged_from.map_or(0, |t| window_of(t + longest).min(window_of(world.now())));
        let (old, new) = (record.old_version, record.new_version);
        let seconds = (first_s..last_s)
            .map(|s| {
                let mut pair = (VersionMetrics::default(), VersionMetrics::default());
                for (version, m) in metrics(world, layer, s, s + 1) {
                    if version == new {
                        pair.0.add(&m);
                    } else if version == old {
                        pair.1.add(&m);
                    }
                }
                pair
            })
            .collect();
        Recording {
            old_version: old,
            new_version: new,
            judged_from,
            first_s,
            seconds,
        }
    }

    /// What each version did in the seconds `[from_s, to_s)`, as an observation carries
    /// it (seconds outside the recording count nothing).
    pub(crate) fn metrics(&self, from_s: usize, to_s: usize) -> Vec<(u32, VersionMetrics)> {
        let mut canary = VersionMetrics::default();
        let mut old = VersionMetrics::default();
        for s in from_s.max(self.first_s)..to_s {
            let Some((c, o)) = self.seconds.get(s - self.first_s) else {
                break;
            };
            canary.add(c);
            old.add(o);
        }
        vec![(self.old_version, old), (self.new_version, canary)]
    }

    /// Whether the canary was judged for at least `duration`.
    pub(crate) fn covers(&self, duration: SimDuration) -> bool {
        self.judged_from.is_some()
            && self.seconds.len() >= crate::model::observe::windows_in(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rehearsal_from_a_shared_prefix_is_the_rehearsal_from_the_start() {
        let model = crate::scenario::parse(
            include_str!("../../../models/quickstart.toml"),
            std::path::Path::new("quickstart.toml"),
        )
        .unwrap();
        let longest = SimDuration::from_mins(3);
        let release = ReleaseSpec {
            error_rate: 0.02,
            ..ReleaseSpec::default()
        };
        for seed in [1, 2] {
            let healthy =
                canary_scenario(&model, "backend", 1, &ReleaseSpec::default(), longest, seed);
            let defective = canary_scenario(&model, "backend", 1, &release, longest, seed);
            let shared = prefix(&healthy);
            for scenario in [&healthy, &defective] {
                let fresh = crate::rehearsal::driver::rehearse_judged_for(scenario, longest);
                let from_prefix = Recording::of(shared.clone(), scenario, longest);
                let judged_from = fresh.records[0]
                    .judged_from
                    .first()
                    .map(|t| SimTime::from(*t));
                assert_eq!(from_prefix.judged_from, judged_from);
                assert_eq!(from_prefix.seconds.len(), 180);
                assert_eq!(
                    fresh.world.now(),
                    from_prefix.judged_from.unwrap() + longest
                );
                let fresh_recording = Recording::of(World::new(scenario), scenario, longest);
                assert_eq!(from_prefix, fresh_recording, "seed {seed}");
            }
        }
    }

    #[test]
    fn the_weight_gives_the_controller_exactly_the_canary_asked() {
        for fleet in 1..300u32 {
            for instances in 1..=fleet {
                let weight = weight_for(instances, fleet);
                let size = ((f64::from(fleet) * weight / 100.0).ceil() as u32).clamp(1, fleet);
                assert_eq!(size, instances, "{instances} of {fleet}");
            }
        }
    }
}

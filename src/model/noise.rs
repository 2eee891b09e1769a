//! Background noise (see [`crate::scenario::noise`]): errors every version of a layer
//! has, and each instance's bad spells.
//!
//! # How it moves
//! 1. A layer with noise compiles to a [`Noise`]. When one of its instances becomes
//!    ready (the starting fleet at time zero), it gets a [`SpellClock`] on its own
//!    random stream (named after the instance's id), so its spells are the same in
//!    every run of a seed, whatever else happens: a rollout's run and its no-rollout
//!    baseline see the starting fleet's spells at the same times.
//! 2. The clock is read lazily, when the instance starts or finishes a request: it
//!    advances over spells that ended (exponential gaps of mean `every`, lengths drawn
//!    from `length`), and says whether now is in one. Nothing is scheduled, so a layer
//!    without requests costs nothing.
//! 3. At the start of a service, a spell multiplies its time by `latency_factor`; at
//!    its end, after any release defect, the request fails with `error` with the
//!    steady `error_rate` plus, in a spell, the spell's (drawn on the world's `noise`
//!    stream, so noise never reshuffles a release's dice).
//!
//! The starting fleet has been running long before time zero: each of its instances is
//! in a spell at zero with the long-run probability `length / (every + length)`.
//!
//! In fast mode only representatives serve requests, so only their clocks move; a
//! representative's spell then stands for its whole share of the fleet, which keeps the
//! mean but widens the spread between runs.

use rand::RngExt;

use crate::engine::{DurationDist, RngStreams, SimDuration, SimRng, SimTime};
use crate::scenario::noise::NoiseSpec;

use super::ids::{InstanceId, LayerId};
use super::world::World;

/// A layer's background noise, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Noise {
    /// Steady probability that a request fails with `error`.
    pub(crate) error_rate: f64,
    pub(crate) spells: Option<Spells>,
}

/// Each instance's bad spells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spells {
    /// Gaps between an instance's spells (exponential).
    gap: DurationDist,
    length: DurationDist,
    /// Long-run share of time an instance is in a spell.
    share_of_time: f64,
    pub(crate) error_rate: f64,
    pub(crate) latency_factor: f64,
}

impl Noise {
    /// `spec` compiled; `None` if it does nothing.
    pub(crate) fn compile(spec: &NoiseSpec) -> Option<Noise> {
        if spec.is_silent() {
            return None;
        }
        let spells = spec.spells.as_ref().map(|s| {
            let (every, length) = (s.every.as_nanos_f64(), s.length.mean().as_nanos_f64());
            Spells {
                gap: DurationDist::exponential(s.every).expect("checked: every > 0"),
                length: s.length,
                share_of_time: length / (every + length),
                error_rate: s.error_rate,
                latency_factor: s.latency_factor,
            }
        });
        Some(Noise {
            error_rate: spec.error_rate,
            spells,
        })
    }

    /// Probability that a request fails with `error` from noise, in a spell or not.
    #[inline]
    pub(crate) fn error_probability(&self, in_spell: bool) -> f64 {
        let spell = match &self.spells {
            Some(spells) if in_spell => spells.error_rate,
            _ => 0.0,
        };
        (self.error_rate + spell).min(1.0)
    }

    /// Service-time factor of a request started in a spell or not.
    #[inline]
    pub(crate) fn latency_factor(&self, in_spell: bool) -> f64 {
        match &self.spells {
            Some(spells) if in_spell => spells.latency_factor,
            _ => 1.0,
        }
    }
}

/// One instance's spells: the current or next one, drawn from the instance's stream.
#[derive(Debug, Clone)]
pub(crate) struct SpellClock {
    start: SimTime,
    end: SimTime,
    rng: SimRng,
}

impl SpellClock {
    /// The clock of an instance ready at `ready`; `running_before` for the starting
    /// fleet (which may be in a spell at once).
    pub(crate) fn new(
        spells: &Spells,
        ready: SimTime,
        running_before: bool,
        mut rng: SimRng,
    ) -> SpellClock {
        let start = if running_before && rng.random::<f64>() < spells.share_of_time {
            ready
        } else {
            ready + spells.gap.sample(&mut rng)
        };
        let end = start + spells.length.sample(&mut rng);
        SpellClock { start, end, rng }
    }

    /// Whether `now` (never earlier than a previous call's) is in a spell.
    #[inline]
    pub(crate) fn in_spell(&mut self, spells: &Spells, now: SimTime) -> bool {
        while now >= self.end {
            self.start = self.end + spells.gap.sample(&mut self.rng);
            // A spell lasts at least a nanosecond, so the loop ends.
            self.end = self.start
                + spells
                    .length
                    .sample(&mut self.rng)
                    .max(SimDuration::from_nanos(1));
        }
        now >= self.start
    }
}

impl World {
    /// Starts the spell clock of instance `id`, ready now, if its layer has spells;
    /// `running_before` for the starting fleet.
    pub(crate) fn start_spells(&mut self, id: InstanceId, running_before: bool) {
        let instance = &self.instances[id.index()];
        let Some(spells) = self.layers[instance.layer.index()]
            .noise
            .as_ref()
            .and_then(|n| n.spells.as_ref())
        else {
            return;
        };
        let rng = RngStreams::new(self.seed).indexed_stream("spells", u64::from(id.0));
        let clock = SpellClock::new(spells, instance.ready_at, running_before, rng);
        self.instances[id.index()].spells = Some(Box::new(clock));
    }

    /// Whether instance `id` of `layer` is in a bad spell now.
    #[inline]
    pub(crate) fn in_spell(&mut self, layer: LayerId, id: InstanceId) -> bool {
        let now = self.now();
        let Some(spells) = self.layers[layer.index()]
            .noise
            .as_ref()
            .and_then(|n| n.spells.as_ref())
        else {
            return false;
        };
        self.instances[id.index()]
            .spells
            .as_mut()
            .is_some_and(|clock| clock.in_spell(spells, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spells(every: &str, length: &str) -> Spells {
        let spec: NoiseSpec = toml::from_str(&format!(
            "spells = {{ every = \"{every}\", length = \"{length}\", error_rate = 0.1 }}"
        ))
        .unwrap();
        Noise::compile(&spec).unwrap().spells.unwrap()
    }

    #[test]
    fn an_instance_spends_length_over_every_plus_length_of_its_time_in_spells() {
        // Mean gap 50 min, spells of 10 min: 1/6 of the time, over many instances.
        let spells = spells("50m", "10m");
        let streams = RngStreams::new(7);
        let (mut in_spell, mut samples) = (0u64, 0u64);
        for instance in 0..200 {
            let mut clock = SpellClock::new(
                &spells,
                SimTime::ZERO,
                true,
                streams.indexed_stream("spells", instance),
            );
            for minute in 0..600 {
                samples += 1;
                in_spell += u64::from(
                    clock.in_spell(&spells, SimTime::ZERO + SimDuration::from_mins(minute)),
                );
            }
        }
        let share = in_spell as f64 / samples as f64;
        assert!((share - 1.0 / 6.0).abs() < 0.01, "{share}");
    }

    #[test]
    fn a_spell_adds_its_error_rate_to_the_steady_one() {
        let spec: NoiseSpec = toml::from_str(
            "error_rate = 0.001\nspells = { every = \"1h\", length = \"5m\", error_rate = 0.05, latency_factor = 3.0 }",
        )
        .unwrap();
        let noise = Noise::compile(&spec).unwrap();
        assert_eq!(noise.error_probability(false), 0.001);
        assert!((noise.error_probability(true) - 0.051).abs() < 1e-12);
        assert_eq!(noise.latency_factor(false), 1.0);
        assert_eq!(noise.latency_factor(true), 3.0);
        assert!(Noise::compile(&NoiseSpec::default()).is_none());
    }
}

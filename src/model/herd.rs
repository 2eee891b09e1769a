//! Herds: many clients calling together (a thundering herd after an outage, or
//! clients reconnecting after their connections went away).
//!
//! A herd is compiled from the model into a [`HerdPlan`] (where it lands, when its
//! spread ends, whether its clients reconnect). [`World::schedule_herds`] schedules
//! each herd's first client; every [`World::herd_arrival`] issues one call and
//! schedules the next. `clients` calls fall at uniform times over `[at, at + spread]`,
//! produced one at a time in increasing order (the next of `k` remaining uniform
//! points on `[now, end]` is `now + (end − now)(1 − U^(1/k))`, [`next_herd_time`]), so
//! a herd of a million clients holds one event. In fast mode the herd is thinned to
//! the representatives' share ([`super::fast::thin_count`]).
//!
//! A reconnecting client's call costs [`RECONNECT_SERVICE_FACTOR`] times the service
//! time at every attempt: the handshake (TCP and TLS set-up, session creation) plus
//! the request.

use rand::RngExt;

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::scenario::Scenario;
use crate::scenario::traffic::HerdKind;

use super::ids::LayerId;
use super::request::Caller;
use super::world::{Event, World};

/// How many service times a reconnecting client's attempt costs (handshake plus
/// request).
pub(crate) const RECONNECT_SERVICE_FACTOR: f64 = 2.0;

/// A herd, compiled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HerdPlan {
    /// When the herd's last client has arrived.
    pub(crate) end: SimTime,
    /// The layer the herd calls.
    pub(crate) layer: LayerId,
    /// Whether its clients reconnect (each attempt costs [`RECONNECT_SERVICE_FACTOR`]).
    pub(crate) reconnect: bool,
}

impl HerdPlan {
    /// The herds of `scenario`; a herd without a layer calls the entry layer `entry`.
    pub(crate) fn compile(
        scenario: &Scenario,
        entry: LayerId,
        id_of: impl Fn(&str) -> LayerId,
    ) -> Vec<HerdPlan> {
        scenario
            .traffic
            .herds
            .iter()
            .map(|h| HerdPlan {
                end: SimTime::ZERO + h.at + h.spread,
                layer: h.layer.as_deref().map_or(entry, &id_of),
                reconnect: h.kind == HerdKind::Reconnect,
            })
            .collect()
    }
}

impl World {
    /// Schedules the first client of every herd that starts before the run ends.
    pub(crate) fn schedule_herds(&mut self, scenario: &Scenario) {
        for (index, herd) in scenario.traffic.herds.iter().enumerate() {
            let start = SimTime::ZERO + herd.at;
            let clients = match &mut self.fast {
                Some(fast) => super::fast::thin_count(herd.clients, fast.step, &mut fast.rng),
                None => herd.clients,
            };
            if clients > 0 && start < self.end {
                let left = u32::try_from(clients).unwrap_or(u32::MAX);
                let at = next_herd_time(
                    start,
                    self.herds[index].end,
                    left as u64,
                    &mut self.rng.herd,
                );
                self.scheduler.schedule_at(
                    at,
                    Event::HerdArrival {
                        herd: index as u32,
                        left,
                    },
                );
            }
        }
    }

    /// The next client of herd `herd` calls; `left` clients remain, this one included.
    pub(crate) fn herd_arrival(&mut self, herd: u32, left: u32) {
        let plan = self.herds[herd as usize];
        self.issue_call(plan.layer, Caller::User, plan.reconnect);
        if left > 1 {
            let now = self.now();
            let at = next_herd_time(now, plan.end, (left - 1) as u64, &mut self.rng.herd);
            self.scheduler.schedule_at(
                at,
                Event::HerdArrival {
                    herd,
                    left: left - 1,
                },
            );
        }
    }
}

/// The time of the next of `remaining` uniform points on `[now, end]`.
pub(crate) fn next_herd_time(
    now: SimTime,
    end: SimTime,
    remaining: u64,
    rng: &mut SimRng,
) -> SimTime {
    if end <= now || remaining == 0 {
        return now;
    }
    let unit: f64 = rng.random::<f64>();
    let fraction = 1.0 - unit.powf(1.0 / remaining as f64);
    now + SimDuration::from_nanos_f64((end - now).as_nanos_f64() * fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn herd_times_are_increasing_and_stay_within_the_spread() {
        let mut rng = RngStreams::new(1).stream("herd");
        let end = SimTime::ZERO + SimDuration::from_secs(10);
        let mut now = SimTime::ZERO;
        let mut times = Vec::new();
        for remaining in (1..=10_000u64).rev() {
            now = next_herd_time(now, end, remaining, &mut rng);
            times.push(now);
        }
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(*times.last().unwrap() <= end);
        // Uniform: about half fall in the first half of the spread.
        let first_half = times.iter().filter(|t| t.as_secs_f64() < 5.0).count();
        assert!(first_half.abs_diff(5_000) < 200, "{first_half}");
    }
}

//! What an unfinished rollout still needs: the legs left of its plan from the phase it
//! is in, so a report of a run that ended too soon can say how much longer it needed.
//!
//! A plan is a sequence of legs: fixed waits (a canary's judgment, a step's pause, the
//! bake, cleanup, monitoring) and launches, each bounded by its deadline (a launch not
//! healthy by then aborts). Summing the waits gives a lower bound of the time left;
//! adding every launch's deadline, an upper bound; both if nothing fails.

use crate::engine::SimDuration;
use crate::scenario::rollout::{Cleanup, Strategy};

use super::super::time::Instant;
use super::{Controller, Phase};

/// What a rollout still needs, at some moment, to reach its final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLeft {
    /// What it was doing, in words ("baking", "launching the new version").
    pub doing: &'static str,
    /// Its fixed waits left, as if every launch ahead were instant: at least this.
    pub at_least: SimDuration,
    /// The same with every launch ahead taking its whole deadline: at most this, unless
    /// something fails (a rollback may end sooner, and a restore is bounded by its
    /// deadline only if some old instances come back).
    pub at_most: SimDuration,
}

/// One leg of a plan.
#[derive(Debug, Clone, Copy)]
enum Leg {
    /// A fixed wait.
    Wait(SimDuration),
    /// A launch, at most this long.
    Launch(SimDuration),
}

impl Controller {
    /// What the rollout still needs at `now`; `None` once it is done.
    pub fn time_left(&self, now: Instant) -> Option<TimeLeft> {
        let plan = self.plan();
        let until = |t: Instant| t.saturating_since(now);
        let after_last_launch = plan
            .iter()
            .rposition(|leg| matches!(leg, Leg::Launch(_)))
            .map_or(0, |i| i + 1);
        let (doing, current, rest) = match &self.phase {
            Phase::Done => return None,
            Phase::Waiting => (
                "waiting for its start",
                Leg::Wait(until(self.first_wake())),
                0,
            ),
            Phase::CanaryLaunching { deadline } => {
                ("launching the canary", Leg::Launch(until(*deadline)), 1)
            }
            Phase::CanaryJudging { until: end } => {
                ("judging the canary", Leg::Wait(until(*end)), 2)
            }
            Phase::Launching { deadline } => (
                "launching the new version",
                Leg::Launch(until(*deadline)),
                after_last_launch,
            ),
            Phase::Baking { until: end } => ("baking", Leg::Wait(until(*end)), plan.len() - 1),
            Phase::Promoted {
                destroy_old_at,
                monitor_until,
            } => {
                let cleanup = destroy_old_at.map_or(SimDuration::ZERO, until);
                let monitor = if self.judge.is_some() {
                    until(*monitor_until)
                } else {
                    SimDuration::ZERO
                };
                (
                    "cleaning up after promotion",
                    Leg::Wait(cleanup.max(monitor)),
                    plan.len(),
                )
            }
            Phase::Restoring { deadline } => {
                ("rolling back", Leg::Launch(until(*deadline)), plan.len())
            }
            Phase::Rolling {
                target,
                deadline,
                ready,
                ..
            } => {
                // Each instance still to get ready resets the deadline; after the
                // last, the judge has until its deadline to pass.
                let left = self.size().saturating_sub(*ready);
                let bound = until(*deadline)
                    + self
                        .spec
                        .rolling
                        .healthy_deadline
                        .saturating_mul(u64::from(left));
                if *target == self.new_version() {
                    ("replacing instances", Leg::Launch(bound), plan.len() - 1)
                } else {
                    ("rolling back", Leg::Launch(bound), plan.len())
                }
            }
            Phase::Stepping {
                index,
                deadline,
                until: end,
            } => match end {
                None => (
                    "launching a step",
                    Leg::Launch(until(*deadline)),
                    2 * index + 1,
                ),
                Some(end) => ("holding a step", Leg::Wait(until(*end)), 2 * index + 2),
            },
        };
        let legs = std::iter::once(current).chain(plan.into_iter().skip(rest));
        let (mut at_least, mut at_most) = (SimDuration::ZERO, SimDuration::ZERO);
        for leg in legs {
            match leg {
                Leg::Wait(d) => {
                    at_least += d;
                    at_most += d;
                }
                Leg::Launch(d) => at_most += d,
            }
        }
        Some(TimeLeft {
            doing,
            at_least,
            at_most,
        })
    }

    /// The rollout's legs from its start to its final state, if nothing fails.
    fn plan(&self) -> Vec<Leg> {
        let spec = &self.spec;
        let (deadline, _) = self.healthy_deadline();
        let disabled = if spec.red_black.cleanup == Cleanup::Disable {
            spec.red_black.disabled_for
        } else {
            SimDuration::ZERO
        };
        let after_promotion = spec.monitor.max(match spec.strategy {
            Strategy::RedBlack | Strategy::RollingRedBlack => disabled,
            Strategy::Canary => spec.canary.scale_down_delay,
            Strategy::Highlander | Strategy::Rolling => SimDuration::ZERO,
        });
        let steps = self
            .steps()
            .into_iter()
            .flat_map(|(_, pause)| [Leg::Launch(deadline), Leg::Wait(pause)]);
        let mut plan: Vec<Leg> = Vec::new();
        match spec.strategy {
            Strategy::RedBlack => {
                if let Some(canary) = &spec.red_black.canary {
                    plan.extend([Leg::Launch(deadline), Leg::Wait(canary.duration)]);
                }
                plan.extend([Leg::Launch(deadline), Leg::Wait(spec.red_black.bake)]);
            }
            Strategy::Highlander => plan.push(Leg::Launch(deadline)),
            Strategy::Canary => {
                plan.extend(steps);
                plan.push(Leg::Launch(deadline));
            }
            Strategy::RollingRedBlack => {
                plan.extend(steps);
                plan.push(Leg::Wait(spec.red_black.bake));
            }
            Strategy::Rolling => {
                let bound = spec
                    .rolling
                    .healthy_deadline
                    .saturating_mul(u64::from(self.size()) + 1);
                plan.push(Leg::Launch(bound));
            }
        }
        plan.push(Leg::Wait(after_promotion));
        plan
    }
}

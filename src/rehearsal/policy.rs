//! When a due rollout may start: one at a time per layer always, and the release
//! policy of the model's calendar (`releases.policy`): freeze windows, at most N
//! rollouts deciding at once, no two at once on services of which one calls the other.
//!
//! The driver asks [`Gate::blocker`] each time a rollout that has not started wakes;
//! a blocker says why it must wait and when to look again (the end of a freeze, or the
//! next moment a rollout holding it back acts). A rollout "decides" from its start
//! until it is promoted or rolled back
//! ([`Controller::holds_layer`](crate::rollout::Controller::holds_layer)); a monitor, a
//! cleanup or an old cluster kept warm do not hold anything back.

use crate::engine::SimTime;
use crate::model::{LayerId, World};
use crate::scenario::Scenario;
use crate::scenario::releases::ReleasePolicy;

/// A rollout as the gate sees it.
pub(crate) struct Running {
    /// Its layer.
    pub(crate) layer: LayerId,
    /// Whether it has started and is still deciding.
    pub(crate) deciding: bool,
    /// When it next acts.
    pub(crate) wake_at: Option<SimTime>,
}

/// Why a rollout must wait, and when to look again.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Blocked {
    /// In words, for the rollout's timeline.
    pub(crate) reason: String,
    /// When to look again (after `now`).
    pub(crate) retry_at: SimTime,
}

/// The rules of one run.
pub(crate) struct Gate {
    policy: ReleasePolicy,
    start_hours: f64,
    /// `dependent[a][b]`: layer `a` calls `b` or `b` calls `a`.
    dependent: Vec<Vec<bool>>,
    names: Vec<String>,
}

impl Gate {
    /// The rules of `scenario` for `world` (built from it).
    pub(crate) fn new(scenario: &Scenario, world: &World) -> Gate {
        let n = scenario.layers.len();
        let mut dependent = vec![vec![false; n]; n];
        let mut names = vec![String::new(); n];
        for (name, layer) in &scenario.layers {
            let Some(a) = world.layer_id(name) else {
                continue;
            };
            names[a.index()] = name.clone();
            for call in &layer.calls {
                if let Some(b) = world.layer_id(&call.layer) {
                    dependent[a.index()][b.index()] = true;
                    dependent[b.index()][a.index()] = true;
                }
            }
        }
        Gate {
            policy: scenario
                .releases
                .as_ref()
                .map(|r| r.policy.clone())
                .unwrap_or_default(),
            start_hours: scenario.week_start_hours(),
            dependent,
            names,
        }
    }

    /// Whether layers `a` and `b` call one another (either way).
    pub(crate) fn dependent(&self, a: LayerId, b: LayerId) -> bool {
        self.dependent[a.index()][b.index()]
    }

    /// What holds back a rollout of `layer` that is due at `now`, given every other
    /// rollout of the run, or `None` if it may start.
    pub(crate) fn blocker(
        &self,
        layer: LayerId,
        now: SimTime,
        others: &[Running],
    ) -> Option<Blocked> {
        let retry = |holders: &mut dyn Iterator<Item = &Running>| {
            holders
                .filter_map(|r| r.wake_at)
                .filter(|t| *t > now)
                .min()
                .unwrap_or(now + crate::model::observe::WINDOW)
        };
        let deciding = || others.iter().filter(|r| r.deciding);
        if deciding().any(|r| r.layer == layer) {
            return Some(Blocked {
                reason: format!(
                    "the previous rollout of {} to finish",
                    self.names[layer.index()]
                ),
                retry_at: retry(&mut deciding().filter(|r| r.layer == layer)),
            });
        }
        for window in &self.policy.freeze {
            if let Some(end) = window.end_after(self.start_hours, now) {
                return Some(Blocked {
                    reason: format!("the freeze {window} to end"),
                    retry_at: end,
                });
            }
        }
        if let Some(max) = self.policy.max_concurrent
            && deciding().count() >= max as usize
        {
            return Some(Blocked {
                reason: format!(
                    "one of the {max} rollouts under way to finish (at most {max} at once)"
                ),
                retry_at: retry(&mut deciding()),
            });
        }
        if self.policy.no_dependent_overlap
            && let Some(other) = deciding().find(|r| self.dependent(layer, r.layer))
        {
            return Some(Blocked {
                reason: format!(
                    "the rollout of {}, which calls or is called by {}, to finish",
                    self.names[other.layer.index()],
                    self.names[layer.index()]
                ),
                retry_at: retry(&mut deciding().filter(|r| self.dependent(layer, r.layer))),
            });
        }
        None
    }
}

//! Traffic steps: the progressive canary's weights and rolling red/black's target
//! percentages. See the module above.

use crate::engine::SimDuration;
use crate::scenario::rollout::{CanaryTraffic, Strategy};

use super::super::platform::{Command, Decision, Observation};
use super::super::record::{Outcome, RollbackPath};
use super::super::time::Instant;
use super::{Controller, Phase};

impl Controller {
    /// The traffic steps of a canary or rolling red/black: `(percent, pause)`.
    pub(super) fn steps(&self) -> Vec<(f64, SimDuration)> {
        match self.spec.strategy {
            Strategy::Canary => self
                .spec
                .canary
                .steps
                .iter()
                .map(|s| (s.weight, s.pause))
                .collect(),
            _ => self
                .spec
                .rolling_red_black
                .target_percentages
                .iter()
                .map(|p| (*p, self.spec.rolling_red_black.pause))
                .collect(),
        }
    }

    /// Starts step `index`: sizes the new version for its share (or its own scale).
    pub(super) fn enter_step(&mut self, obs: &Observation, index: usize, d: &mut Decision) {
        let now = obs.now;
        let (percent, _) = self.steps()[index];
        let size = self.canary_size(index);
        let new = self.new_version();
        let desired = obs.version(new).desired;
        // Sized by weight, the new version only grows; sized apart from its weight
        // (here or at the step before), it takes the step's size either way.
        let scaled_apart = (index.saturating_sub(1)..=index).any(|k| self.step_scale(k).is_some());
        if desired < size || (scaled_apart && desired != size) {
            d.commands.push(Command::Scale { version: new, size });
        }
        self.note(
            d,
            now,
            format!(
                "step {}: v{new} to {size} instances for {percent}% of traffic",
                index + 1
            ),
        );
        self.phase = Phase::Stepping {
            index,
            deadline: now + self.healthy_deadline().0,
            until: None,
        };
    }

    pub(super) fn step_size(&self, percent: f64) -> u32 {
        ((f64::from(self.size()) * percent / 100.0).ceil() as u32).clamp(1, self.size())
    }

    /// A canary step's own scale (`canary.steps[index].scale`), if it has one.
    fn step_scale(&self, index: usize) -> Option<crate::scenario::rollout::Count> {
        match self.spec.strategy {
            Strategy::Canary => self.spec.canary.steps.get(index).and_then(|s| s.scale),
            _ => None,
        }
    }

    /// The new version's instances at step `index`: its own scale, rounded up (Argo
    /// Rollouts' `setCanaryScale`: `replicas`, or `weight` percent of `spec.replicas`,
    /// utils/replicaset/canary.go `CalculateReplicaCountsForTrafficRoutedCanary`), at
    /// least one; or sized by its weight.
    fn canary_size(&self, index: usize) -> u32 {
        match self.step_scale(index) {
            Some(scale) => scale.of(self.size(), true).max(1),
            None => self.step_size(self.steps()[index].0),
        }
    }

    /// Whether the old version shrinks as the new one's weight grows (Argo Rollouts'
    /// `dynamicStableScale`, with a traffic router).
    fn dynamic_stable_scale(&self) -> bool {
        self.spec.strategy == Strategy::Canary
            && self.spec.canary.dynamic_stable_scale
            && !self.by_replicas()
    }

    /// Whether a step's weight is the share of instances (no traffic router).
    fn by_replicas(&self) -> bool {
        self.spec.strategy == Strategy::Canary
            && self.spec.canary.traffic == CanaryTraffic::Replicas
    }

    /// The old version's size at a step of `percent` when traffic follows instances:
    /// `⌈size × (1 − w)⌉`, as Argo Rollouts sizes its stable ReplicaSet.
    fn stable_size(&self, percent: f64) -> u32 {
        ((f64::from(self.size()) * (1.0 - percent / 100.0)).ceil() as u32).min(self.size())
    }

    pub(super) fn stepping(
        &mut self,
        obs: &Observation,
        index: usize,
        deadline: Instant,
        until: Option<Instant>,
        d: &mut Decision,
    ) {
        let now = obs.now;
        let steps = self.steps();
        let (percent, pause) = steps[index];
        let (old, new) = (self.old(), self.new_version());
        let Some(until) = until else {
            let canary = self.canary_size(index);
            if obs.version(new).registered >= canary {
                let until = now + pause;
                if self.by_replicas() {
                    // No router: each version takes its share of serving instances.
                    let stable = self.stable_size(percent);
                    d.commands.push(Command::Scale {
                        version: old,
                        size: stable,
                    });
                    let share = 100.0 * f64::from(canary) / f64::from(canary + stable);
                    self.note(
                        d,
                        now,
                        format!(
                            "v{new} takes {share:.0}% of traffic ({canary} of {} instances; \
                             weight {percent}%) until {until}",
                            canary + stable
                        ),
                    );
                } else {
                    d.commands.push(Command::SetWeight {
                        version: new,
                        weight: Some(percent),
                    });
                    d.commands.push(Command::SetWeight {
                        version: old,
                        weight: Some(100.0 - percent),
                    });
                    if percent >= 100.0 {
                        // The command that puts all traffic on the new version.
                        self.record.switched_at.get_or_insert(now);
                    }
                    self.note(
                        d,
                        now,
                        format!("v{new} takes {percent}% of traffic until {until}"),
                    );
                    self.shrink_stable(percent, now, d);
                }
                self.start_judge(now);
                self.phase = Phase::Stepping {
                    index,
                    deadline,
                    until: Some(until),
                };
            } else if now >= self.launch_deadline(obs, deadline) {
                self.abort(
                    d,
                    now,
                    format!("step {} not healthy in time", index + 1),
                    RollbackPath::Canary,
                );
                self.leave_steps(obs, d);
            }
            return;
        };
        if !self.judge_step(obs, d, &format!("step {}", index + 1)) {
            self.abort_with_verdict(d, now, RollbackPath::Canary);
            self.leave_steps(obs, d);
            return;
        }
        if now < until {
            return;
        }
        let judge = self.judge.take().expect("a judge while holding a step");
        if !judge.passed() {
            let reason = format!("step {} inconclusive: {}", index + 1, judge.tally());
            self.abort(d, now, reason, RollbackPath::Canary);
            self.leave_steps(obs, d);
            return;
        }
        self.reference = std::mem::take(&mut self.reference).updated_by(judge.reference());
        self.note(
            d,
            now,
            format!("step {} passed ({})", index + 1, judge.tally()),
        );
        if index + 1 < steps.len() {
            self.enter_step(obs, index + 1, d);
            return;
        }
        let size = self.size();
        match self.spec.strategy {
            Strategy::Canary => {
                d.commands.push(Command::Scale { version: new, size });
                self.note(d, now, format!("promoting: v{new} to {size} instances"));
                self.phase = Phase::Launching {
                    deadline: now + self.spec.canary.healthy_deadline,
                };
            }
            _ => {
                // Rolling red/black at 100%: the old cluster is disabled, then bake.
                // The switch is this, or the 100% step before it if there was one.
                self.record.switched_at.get_or_insert(now);
                d.commands.push(Command::Disable { version: old });
                for version in [old, new] {
                    d.commands.push(Command::SetWeight {
                        version,
                        weight: None,
                    });
                }
                let until = now + self.spec.red_black.bake;
                self.note(
                    d,
                    now,
                    format!("switching: v{old} disabled; baking until {until}"),
                );
                self.start_judge(now);
                self.phase = Phase::Baking { until };
            }
        }
    }

    /// With a dynamic stable scale, once step weight `percent` is on the new version:
    /// the old one down to `⌈size × (100 − w)%⌉`. Argo Rollouts sizes the stable
    /// ReplicaSet by the higher of the desired and the actual stable weight, so it
    /// shrinks only once traffic has moved (utils/replicaset/canary.go,
    /// `CalculateReplicaCountsForTrafficRoutedCanary`; docs/features/canary, "Dynamic
    /// Stable Scale").
    fn shrink_stable(&mut self, percent: f64, now: Instant, d: &mut Decision) {
        if !self.dynamic_stable_scale() {
            return;
        }
        let (old, size) = (self.old(), self.stable_size(percent));
        d.commands.push(Command::Scale { version: old, size });
        self.note(
            d,
            now,
            format!(
                "v{old} to {size} instances for its {}% (dynamic stable scale)",
                100.0 - percent
            ),
        );
    }

    /// After an abort during the steps: every request back on the old version and the
    /// new one removed, at once; or, when the old version was shrunk (dynamic stable
    /// scale), the old one grown back first, traffic following the instances, and the
    /// new one removed once the old is back (as Argo Rollouts scales the canary down as
    /// traffic shifts back to stable; docs/features/canary, "Dynamic Stable Scale").
    pub(super) fn leave_steps(&mut self, obs: &Observation, d: &mut Decision) {
        if self.dynamic_stable_scale() && obs.version(self.old()).desired < self.size() {
            self.restore(obs, d);
            return;
        }
        self.drop_new_version(d);
        self.finish(d, obs.now, Outcome::RolledBack);
    }

    /// Sends every request back to the old version and removes the new one.
    pub(super) fn drop_new_version(&mut self, d: &mut Decision) {
        let (old, new) = (self.old(), self.new_version());
        if self.by_replicas() {
            // The old version was scaled down for the steps: back to full size.
            d.commands.push(Command::Scale {
                version: old,
                size: self.size(),
            });
        }
        d.commands.push(Command::SetWeight {
            version: new,
            weight: Some(0.0),
        });
        d.commands.push(Command::SetWeight {
            version: old,
            weight: None,
        });
        d.commands.push(Command::Destroy { version: new });
    }
}

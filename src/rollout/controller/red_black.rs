//! Red/black's phases (and highlander's, which shares the launch): the canary, the
//! full new cluster, the switch, the bake and its cleanup. See the module above.

use crate::scenario::rollout::{Cleanup, Strategy};

use super::super::platform::{Command, Decision, Observation};
use super::super::record::{Outcome, RollbackPath};
use super::super::time::Instant;
use super::{Controller, Phase};

impl Controller {
    pub(super) fn canary_launching(
        &mut self,
        obs: &Observation,
        deadline: Instant,
        d: &mut Decision,
    ) {
        let now = obs.now;
        let wanted = self
            .spec
            .red_black
            .canary
            .as_ref()
            .map_or(1, |c| c.instances);
        if obs.version(self.new_version()).registered >= wanted {
            let until = now
                + self
                    .spec
                    .red_black
                    .canary
                    .as_ref()
                    .expect("canary")
                    .duration;
            self.note(d, now, format!("canary healthy; judging it until {until}"));
            self.start_judge(now);
            self.phase = Phase::CanaryJudging { until };
        } else if now >= self.launch_deadline(obs, deadline) {
            self.abort(
                d,
                now,
                "canary not healthy in time".into(),
                RollbackPath::Canary,
            );
            d.commands.push(Command::Destroy {
                version: self.new_version(),
            });
            self.finish(d, now, Outcome::RolledBack);
        }
    }

    pub(super) fn canary_judging(&mut self, obs: &Observation, until: Instant, d: &mut Decision) {
        let now = obs.now;
        if !self.judge_step(obs, d, "canary") {
            self.abort_with_verdict(d, now, RollbackPath::Canary);
            d.commands.push(Command::Destroy {
                version: self.new_version(),
            });
            self.finish(d, now, Outcome::RolledBack);
            return;
        }
        if now < until {
            return;
        }
        let judge = self.judge.take().expect("a judge while judging");
        if !judge.passed() {
            let reason = format!("canary inconclusive: {}", judge.tally());
            self.abort(d, now, reason, RollbackPath::Canary);
            d.commands.push(Command::Destroy {
                version: self.new_version(),
            });
            self.finish(d, now, Outcome::RolledBack);
            return;
        }
        self.reference = std::mem::take(&mut self.reference).updated_by(judge.reference());
        let (size, new) = (self.size(), self.new_version());
        self.note(
            d,
            now,
            format!(
                "canary passed ({}); launching {size} instances of v{new}",
                judge.tally()
            ),
        );
        d.commands.push(Command::Scale { version: new, size });
        self.phase = Phase::Launching {
            deadline: now + self.spec.red_black.healthy_deadline,
        };
    }

    pub(super) fn launching(&mut self, obs: &Observation, deadline: Instant, d: &mut Decision) {
        let now = obs.now;
        let (size, new, old) = (self.size(), self.new_version(), self.old());
        if obs.version(new).registered < size {
            if now >= self.launch_deadline(obs, deadline) {
                let reason = format!(
                    "v{new} not healthy in time: {} of {size} in the balancer",
                    obs.version(new).registered
                );
                self.abort(d, now, reason, RollbackPath::BeforeSwitch);
                d.commands.push(Command::Destroy { version: new });
                self.finish(d, now, Outcome::RolledBack);
            }
            return;
        }
        // A canary whose last step put 100% on the new version switched then.
        self.record.switched_at.get_or_insert(now);
        if self.spec.strategy == Strategy::Canary {
            d.commands.push(Command::SetWeight {
                version: new,
                weight: None,
            });
            d.commands.push(Command::SetWeight {
                version: old,
                weight: Some(0.0),
            });
            let at = now + self.spec.canary.scale_down_delay;
            self.note(
                d,
                now,
                format!("v{new} at full size takes all traffic; v{old} goes at {at}"),
            );
            self.promote(d, now, Some(at));
            return;
        }
        if self.spec.strategy == Strategy::Highlander {
            d.commands.push(Command::Destroy { version: old });
            self.note(
                d,
                now,
                format!("v{new} healthy; destroying v{old} (highlander)"),
            );
            self.promote(d, now, None);
            return;
        }
        if let Some(sampler) = self.sampler.take() {
            self.reference = std::mem::take(&mut self.reference).updated_by(sampler.reference());
        }
        d.commands.push(Command::Disable { version: old });
        let until = now + self.spec.red_black.bake;
        self.note(
            d,
            now,
            format!("v{new} healthy; switching: v{old} disabled; baking until {until}"),
        );
        self.start_judge(now);
        self.phase = Phase::Baking { until };
    }

    pub(super) fn baking(&mut self, obs: &Observation, until: Instant, d: &mut Decision) {
        let now = obs.now;
        if !self.judge_step(obs, d, "bake") {
            self.abort_with_verdict(d, now, RollbackPath::WarmCluster);
            self.restore(obs, d);
            return;
        }
        if now < until {
            return;
        }
        let judge = self.judge.take().expect("a judge while baking");
        if !judge.passed() {
            let reason = format!("bake inconclusive: {}", judge.tally());
            self.abort(d, now, reason, RollbackPath::WarmCluster);
            self.restore(obs, d);
            return;
        }
        self.reference = std::mem::take(&mut self.reference).updated_by(judge.reference());
        self.note(d, now, format!("bake passed ({})", judge.tally()));
        let old = self.old();
        let destroy_old_at = match self.spec.red_black.cleanup {
            Cleanup::Destroy => {
                d.commands.push(Command::Destroy { version: old });
                self.note(d, now, format!("cleanup: destroying v{old}"));
                None
            }
            Cleanup::Disable => {
                let at = now + self.spec.red_black.disabled_for;
                self.note(d, now, format!("cleanup: v{old} stays disabled until {at}"));
                Some(at)
            }
            Cleanup::ScaleDown => {
                d.commands.push(Command::Scale {
                    version: old,
                    size: 0,
                });
                self.note(d, now, format!("cleanup: scaling v{old} down to 0"));
                None
            }
        };
        self.promote(d, now, destroy_old_at);
    }
}

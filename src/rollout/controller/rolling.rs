//! The rolling upgrade: Kubernetes' Deployment algorithm over two clusters, forward
//! and, after an abort, backward. See the module above.

use super::super::platform::{Command, Decision, Observation};
use super::super::record::{Outcome, RollbackPath};
use super::super::time::Instant;
use super::{Controller, Phase};

impl Controller {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rolling(
        &mut self,
        obs: &Observation,
        target: u32,
        source: u32,
        mut deadline: Instant,
        mut ready: u32,
        d: &mut Decision,
    ) {
        let now = obs.now;
        let forward = target == self.new_version();
        if forward && self.judge.is_some() && !self.judge_step(obs, d, "rolling") {
            self.abort_with_verdict(d, now, RollbackPath::BatchByBatch);
            self.restore(obs, d);
            return;
        }
        let n = self.size();
        let (surge, unavailable) = self.spec.rolling.batch_limits(n);
        let unavailable = unavailable.min(n);
        let (t, s) = (obs.version(target), obs.version(source));
        if t.registered > ready {
            ready = t.registered;
            deadline = now + self.spec.rolling.healthy_deadline;
        }
        if t.registered >= n && s.desired == 0 {
            if !forward {
                d.commands.push(Command::Destroy { version: source });
                self.note(d, now, format!("v{target} restored on all {n} instances"));
                self.finish(d, now, Outcome::RolledBack);
                return;
            }
            // No data is not a pass: promote only on a passing record.
            let passed = self.judge.as_ref().is_none_or(|j| j.passed());
            if passed {
                self.note(d, now, format!("all {n} instances on v{target}"));
                self.judge = None;
                self.promote(d, now, None);
                return;
            }
            if now >= deadline {
                let tally = self.judge.as_ref().map_or_else(String::new, |j| j.tally());
                self.abort(
                    d,
                    now,
                    format!("inconclusive: {tally}"),
                    RollbackPath::BatchByBatch,
                );
                self.restore(obs, d);
                return;
            }
            self.phase = Phase::Rolling {
                target,
                source,
                deadline,
                ready,
            };
            return;
        }
        if forward && now >= deadline {
            let reason = format!(
                "no progress for {}: {} of {n} ready",
                self.spec.rolling.healthy_deadline, t.registered
            );
            self.abort(d, now, reason, RollbackPath::BatchByBatch);
            self.restore(obs, d);
            return;
        }
        // Instances of the source that are not ready cost no availability: they go
        // first (Kubernetes cleans up unhealthy old replicas before anything else).
        let mut source_desired = s.desired;
        let unready = s.desired.saturating_sub(s.registered);
        if unready > 0 {
            source_desired -= unready;
        }
        let total = t.desired + source_desired;
        if t.desired < n {
            let room = (n + surge).saturating_sub(total);
            if room > 0 {
                let target_desired = n.min(t.desired + room);
                d.commands.push(Command::Scale {
                    version: target,
                    size: target_desired,
                });
                self.note(d, now, format!("v{target} to {target_desired} instances"));
            }
        }
        let available = t.registered + s.registered.min(source_desired);
        let floor = n - unavailable;
        if source_desired > 0 && available > floor {
            source_desired -= (available - floor).min(source_desired);
        }
        if source_desired != s.desired {
            d.commands.push(Command::Scale {
                version: source,
                size: source_desired,
            });
            if source_desired == 0 && forward {
                self.record.switched_at = Some(now);
            }
            self.note(d, now, format!("v{source} to {source_desired} instances"));
        }
        self.phase = Phase::Rolling {
            target,
            source,
            deadline,
            ready,
        };
    }
}

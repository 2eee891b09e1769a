//! The rollout controller: one state machine per rollout, written once, driven by
//! observations (see [`super::platform`]). The same code runs against the simulator
//! and could run against real infrastructure; it never knows which.
//!
//! # Red/black (Netflix, Asgard, Spinnaker)
//! 1. Optional canary: `canary.instances` of the new version beside the old; once they
//!    are healthy, judged for `canary.duration`. A failure drops the canary.
//! 2. The full new cluster (the old cluster's size); its instances take traffic as they
//!    become healthy. Not healthy within `healthy_deadline`: dropped.
//! 3. Switch: the old cluster is disabled (kept running, without traffic).
//! 4. Bake: judged for `bake`. A failure switches back: the old cluster is re-enabled,
//!    and once it takes traffic again the new one is disabled and destroyed.
//! 5. Cleanup by policy: `destroy` the old cluster, `disable` it (destroyed after
//!    `disabled_for`), or `scale-down` to zero. During `monitor`, judging goes on and a
//!    failure rolls back by the fastest path left: re-enable, scale up, or relaunch.
//!
//! # Highlander (Spinnaker)
//! Red/black without canary or bake: the old cluster is destroyed as soon as the new
//! one is healthy; a later failure (under `monitor`) relaunches the old version.
//!
//! # Canary (Argo Rollouts, Flagger, CodeDeploy)
//! Steps of traffic weight: the new version is sized for each step's share
//! (`ceil(size × weight)`), given that weight once healthy, and judged for the step's
//! pause. After the last step it is scaled to full size and given all traffic; the old
//! cluster goes after `scale_down_delay`. A failure sends all traffic back at once.
//! Each launch (a step's instances, the full size) gets the canary's own
//! `healthy_deadline`, from its start or, with `progress_deadline`, from the last
//! instance that came up.
//!
//! # Rolling red/black (Spinnaker)
//! The same steps by `target_percentages` of the old size, ending at 100%, each launch
//! within red/black's `healthy_deadline`; then red/black's switch (disable the old
//! cluster), bake and cleanup.
//!
//! # Rolling (Kubernetes' Deployment controller)
//! Two clusters, old and new; every `rolling.reaction_delay` the new one grows while the total stays
//! within `size + max_surge`, and the old one shrinks while the instances in the
//! balancer stay at least `size − max_unavailable`. The new version is judged all
//! along; a failure reverses the roles and rolls back batch by batch. No progress
//! within `healthy_deadline` aborts too.

mod red_black;
mod rolling;
mod steps;
mod time_left;

pub use time_left::TimeLeft;

use crate::engine::SimDuration;
use crate::scenario::rollout::{AnalysisSpec, Cleanup, FailureCounting, Strategy};

use super::analysis::{Baseline, Judge, Judgment, Verdict};
use super::platform::{Command, Decision, Observation};
use super::record::{Outcome, RollbackPath, RolloutRecord};
use super::spec::ControllerSpec;
use super::time::Instant;

/// How often the controller looks while it waits for instances.
pub const POLL: SimDuration = SimDuration::from_secs(5);

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Waiting,
    CanaryLaunching {
        deadline: Instant,
    },
    CanaryJudging {
        until: Instant,
    },
    Launching {
        deadline: Instant,
    },
    Baking {
        until: Instant,
    },
    Promoted {
        destroy_old_at: Option<Instant>,
        monitor_until: Instant,
    },
    Restoring {
        deadline: Instant,
    },
    Rolling {
        target: u32,
        source: u32,
        deadline: Instant,
        ready: u32,
    },
    /// Step `index` of a canary or rolling red/black: waiting for its instances
    /// (`until` is `None`), or holding its weight under judgment until `until`.
    Stepping {
        index: usize,
        deadline: Instant,
        until: Option<Instant>,
    },
    Done,
}

/// One rollout's controller.
#[derive(Debug, Clone)]
pub struct Controller {
    spec: ControllerSpec,
    phase: Phase,
    judge: Option<Judge>,
    reference: Baseline,
    /// Watches the old version while nothing is judged (canary or cluster launching),
    /// so a bake has a baseline to compare with after the switch.
    sampler: Option<Judge>,
    /// The new version's instances in the balancer, and when that count last grew
    /// (for deadlines that count from the last progress).
    progress: (u32, Instant),
    /// Failed checks so far, as the last judge counted them (handed on to the next
    /// phase's judge when they count in all).
    failed_checks: u32,
    record: RolloutRecord,
}

impl Controller {
    /// A controller that will replace `old_version` of the layer by `new_version` as
    /// `spec` says, starting at `spec.start`. What the new version is like, it learns
    /// only from observations: `spec` has no release.
    pub fn new(spec: &ControllerSpec, old_version: u32, new_version: u32) -> Self {
        Controller {
            spec: spec.clone(),
            phase: Phase::Waiting,
            judge: None,
            reference: Baseline::default(),
            sampler: None,
            progress: (0, Instant::ZERO),
            failed_checks: 0,
            record: RolloutRecord {
                layer: spec.layer.clone(),
                strategy: spec.strategy,
                old_version,
                new_version,
                started_at: None,
                baseline_size: 0,
                switched_at: None,
                aborted_at: None,
                abort_reason: None,
                rollback_path: None,
                finished_at: None,
                judged_from: Vec::new(),
                outcome: Outcome::InProgress,
                timeline: Vec::new(),
            },
        }
    }

    /// How long a launch (a cluster, a canary, a step, the old version coming back)
    /// may take to be healthy, and whether that counts from the last progress: the
    /// canary's own settings, or red/black's (red/black, highlander, rolling red/black).
    /// A rolling upgrade has its own deadline per batch.
    fn healthy_deadline(&self) -> (SimDuration, bool) {
        match self.spec.strategy {
            Strategy::Canary => (
                self.spec.canary.healthy_deadline,
                self.spec.canary.progress_deadline,
            ),
            _ => (
                self.spec.red_black.healthy_deadline,
                self.spec.red_black.progress_deadline,
            ),
        }
    }

    /// `deadline` for the new version's launch, pushed back as its instances come into
    /// the balancer when the strategy's `progress_deadline` says the deadline counts
    /// from the last progress (Kubernetes' `progressDeadlineSeconds`, which Argo
    /// Rollouts and Flagger use), not from the launch.
    fn launch_deadline(&mut self, obs: &Observation, deadline: Instant) -> Instant {
        let registered = obs.version(self.new_version()).registered;
        if registered > self.progress.0 {
            self.progress = (registered, obs.now);
        }
        let (healthy_deadline, from_progress) = self.healthy_deadline();
        if !from_progress || self.progress.0 == 0 {
            return deadline;
        }
        deadline.max(self.progress.1 + healthy_deadline)
    }

    /// When it first wants to be observed.
    pub fn first_wake(&self) -> Instant {
        Instant::ZERO + self.spec.start
    }

    /// Adds `text` to its timeline at `at` (e.g. why it started late).
    pub fn note_at(&mut self, at: Instant, text: String) {
        self.record.timeline.push((at, text));
    }

    /// Its account so far.
    pub fn record(&self) -> &RolloutRecord {
        &self.record
    }

    /// Whether it is deciding its layer's version (launching, judging, rolling, or
    /// restoring the old one): not before it starts, nor once promoted (a disabled old
    /// cluster kept warm, a cleanup or a monitor do not hold the layer), nor when done.
    pub fn holds_layer(&self) -> bool {
        !matches!(
            self.phase,
            Phase::Waiting | Phase::Promoted { .. } | Phase::Done
        )
    }

    /// Whether the rollout reached its final state.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Takes in an observation and decides.
    pub fn step(&mut self, obs: &Observation) -> Decision {
        let mut d = Decision::default();
        let now = obs.now;
        if matches!(
            self.phase,
            Phase::CanaryLaunching { .. } | Phase::Launching { .. }
        ) && let Some(sampler) = self.sampler.as_mut()
        {
            sampler.observe(now, &obs.metrics);
        }
        if self.crash_loop(obs, &mut d) {
            d.wake_at = self.next_wake(now);
            return d;
        }
        match self.phase.clone() {
            Phase::Waiting => {
                if now >= self.first_wake() {
                    self.begin(obs, &mut d);
                }
            }
            Phase::CanaryLaunching { deadline } => self.canary_launching(obs, deadline, &mut d),
            Phase::CanaryJudging { until } => self.canary_judging(obs, until, &mut d),
            Phase::Launching { deadline } => self.launching(obs, deadline, &mut d),
            Phase::Baking { until } => self.baking(obs, until, &mut d),
            Phase::Promoted {
                destroy_old_at,
                monitor_until,
            } => self.promoted(obs, destroy_old_at, monitor_until, &mut d),
            Phase::Restoring { deadline } => self.restoring(obs, deadline, &mut d),
            Phase::Rolling {
                target,
                source,
                deadline,
                ready,
            } => self.rolling(obs, target, source, deadline, ready, &mut d),
            Phase::Stepping {
                index,
                deadline,
                until,
            } => self.stepping(obs, index, deadline, until, &mut d),
            Phase::Done => {}
        }
        d.wake_at = self.next_wake(now);
        d
    }

    fn old(&self) -> u32 {
        self.record.old_version
    }
    fn new_version(&self) -> u32 {
        self.record.new_version
    }
    fn size(&self) -> u32 {
        self.record.baseline_size
    }

    /// Starts judging the new version against the old from `now`, with the baseline
    /// reference carried so far.
    fn start_judge(&mut self, now: Instant) {
        self.record.judged_from.push(now);
        self.judge = Some(
            Judge::new(
                &self.spec.analysis,
                self.new_version(),
                self.old(),
                now,
                self.reference.clone(),
            )
            .carrying(self.failed_checks),
        );
    }

    fn note(&mut self, d: &mut Decision, now: Instant, text: String) {
        self.record.timeline.push((now, text.clone()));
        d.notes.push(text);
    }

    fn finish(&mut self, d: &mut Decision, now: Instant, outcome: Outcome) {
        self.record.outcome = outcome;
        self.record.finished_at = Some(now);
        self.phase = Phase::Done;
        self.judge = None;
        let text = format!("rollout {}", outcome.name());
        self.note(d, now, text);
    }

    fn begin(&mut self, obs: &Observation, d: &mut Decision) {
        let now = obs.now;
        let old = obs.version(self.old());
        self.record.started_at = Some(now);
        self.record.baseline_size = old.desired.max(old.serving);
        let (size, new) = (self.size(), self.new_version());
        self.reference.window = Some(obs.metrics_of(self.old())).filter(|m| m.requests > 0);
        self.sampler = Some(Judge::new(
            &AnalysisSpec {
                delay: SimDuration::ZERO,
                ..self.spec.analysis.clone()
            },
            self.new_version(),
            self.old(),
            now,
            Baseline::default(),
        ));
        self.note(
            d,
            now,
            format!(
                "{} rollout of {} v{} → v{} begins; {} instances of v{}",
                self.spec.strategy,
                self.spec.layer,
                self.old(),
                new,
                size,
                self.old()
            ),
        );
        if size == 0 {
            let reason = format!("v{} has no instances to replace", self.old());
            self.abort(d, now, reason, RollbackPath::BeforeSwitch);
            self.finish(d, now, Outcome::RolledBack);
            return;
        }
        let deadline = now + self.healthy_deadline().0;
        match self.spec.strategy {
            Strategy::RedBlack if self.spec.red_black.canary.is_some() => {
                let canary = self.spec.red_black.canary.clone().expect("checked");
                d.commands.push(Command::Scale {
                    version: new,
                    size: canary.instances,
                });
                self.note(
                    d,
                    now,
                    format!("launching a canary of {} v{new}", canary.instances),
                );
                self.phase = Phase::CanaryLaunching { deadline };
            }
            Strategy::RedBlack | Strategy::Highlander => {
                d.commands.push(Command::Scale { version: new, size });
                self.note(d, now, format!("launching {size} instances of v{new}"));
                self.phase = Phase::Launching { deadline };
            }
            Strategy::Canary | Strategy::RollingRedBlack => {
                self.enter_step(obs, 0, d);
            }
            Strategy::Rolling => {
                let deadline = now + self.spec.rolling.healthy_deadline;
                self.rolling(obs, new, self.old(), deadline, 0, d);
                // Judged from now on: this observation's metrics predate the rollout.
                self.start_judge(now);
            }
        }
    }

    fn promote(&mut self, d: &mut Decision, now: Instant, destroy_old_at: Option<Instant>) {
        let monitor_until = now + self.spec.monitor;
        if !self.spec.monitor.is_zero() {
            self.start_judge(now);
            self.note(
                d,
                now,
                format!("promoted; monitoring until {monitor_until}"),
            );
        } else {
            self.note(d, now, "promoted".into());
        }
        self.phase = Phase::Promoted {
            destroy_old_at,
            monitor_until,
        };
        if destroy_old_at.is_none() && self.spec.monitor.is_zero() {
            self.finish(d, now, Outcome::Promoted);
        }
    }

    fn promoted(
        &mut self,
        obs: &Observation,
        mut destroy_old_at: Option<Instant>,
        monitor_until: Instant,
        d: &mut Decision,
    ) {
        let now = obs.now;
        if self.judge.is_some() {
            let path = self.restore_path(obs);
            if !self.judge_step(obs, d, "monitor") {
                self.abort_with_verdict(d, now, path);
                self.restore(obs, d);
                return;
            }
            if now >= monitor_until {
                let tally = self.judge.take().expect("judging").tally();
                self.note(d, now, format!("monitoring over ({tally})"));
            }
        }
        if let Some(at) = destroy_old_at
            && now >= at
        {
            let old = self.old();
            d.commands.push(Command::Destroy { version: old });
            self.note(d, now, format!("cleanup: destroying disabled v{old}"));
            destroy_old_at = None;
        }
        self.phase = Phase::Promoted {
            destroy_old_at,
            monitor_until,
        };
        if destroy_old_at.is_none() && self.judge.is_none() {
            self.finish(d, now, Outcome::Promoted);
        }
    }

    /// The fastest way back to the old version from where things stand.
    fn restore_path(&self, obs: &Observation) -> RollbackPath {
        let old = obs.version(self.old());
        if self.spec.strategy == Strategy::Rolling {
            RollbackPath::BatchByBatch
        } else if old.desired > 0 {
            RollbackPath::WarmCluster
        } else if self.spec.red_black.cleanup == Cleanup::ScaleDown
            && matches!(
                self.spec.strategy,
                Strategy::RedBlack | Strategy::RollingRedBlack
            )
        {
            RollbackPath::ScaledDownCluster
        } else {
            RollbackPath::Relaunch
        }
    }

    /// Starts bringing the old version back (the abort is already recorded).
    fn restore(&mut self, obs: &Observation, d: &mut Decision) {
        let now = obs.now;
        self.judge = None;
        let (old, new, size) = (self.old(), self.new_version(), self.size());
        if self.spec.strategy == Strategy::Rolling {
            self.note(d, now, format!("rolling back to v{old} batch by batch"));
            self.phase = Phase::Rolling {
                target: old,
                source: new,
                deadline: now + self.spec.rolling.healthy_deadline,
                ready: obs.version(old).registered,
            };
            return;
        }
        let state = obs.version(old);
        if matches!(
            self.spec.strategy,
            Strategy::Canary | Strategy::RollingRedBlack
        ) {
            for version in [old, new] {
                d.commands.push(Command::SetWeight {
                    version,
                    weight: None,
                });
            }
        }
        if state.desired < size {
            d.commands.push(Command::Scale { version: old, size });
        }
        if !state.enabled || state.desired == 0 {
            d.commands.push(Command::Enable { version: old });
        }
        self.note(
            d,
            now,
            format!("switching back: bringing v{old} to {size} instances in the balancer"),
        );
        self.phase = Phase::Restoring {
            deadline: now + self.healthy_deadline().0,
        };
    }

    fn restoring(&mut self, obs: &Observation, deadline: Instant, d: &mut Decision) {
        let now = obs.now;
        let (old, new, size) = (self.old(), self.new_version(), self.size());
        let back = obs.version(old).registered;
        if back >= size || (now >= deadline && back > 0) {
            if back < size {
                self.note(
                    d,
                    now,
                    format!("only {back} of {size} v{old} instances back in time; dropping v{new} anyway"),
                );
            }
            // Destroy drains: callers whose views still hold v{new} are served, not refused.
            d.commands.push(Command::Destroy { version: new });
            self.note(
                d,
                now,
                format!("v{old} serving again; v{new} destroyed (draining)"),
            );
            self.finish(d, now, Outcome::RolledBack);
        }
    }

    /// Aborts if the new version's instances keep crashing (a crash loop is seen in
    /// instance health, not in request metrics); true if it did.
    fn crash_loop(&mut self, obs: &Observation, d: &mut Decision) -> bool {
        if self.record.aborted_at.is_some()
            || matches!(
                self.phase,
                Phase::Waiting | Phase::Done | Phase::Restoring { .. }
            )
        {
            return false;
        }
        let (new, now) = (self.new_version(), obs.now);
        let crashes = obs.version(new).crashes;
        if crashes < self.spec.analysis.max_crashes {
            return false;
        }
        let reason = format!("{crashes} instances of v{new} crashed");
        match self.phase {
            Phase::Stepping { .. } => {
                self.abort(d, now, reason, RollbackPath::Canary);
                self.leave_steps(obs, d);
            }
            Phase::CanaryLaunching { .. } | Phase::CanaryJudging { .. } => {
                self.abort(d, now, reason, RollbackPath::Canary);
                self.drop_new_version(d);
                self.finish(d, now, Outcome::RolledBack);
            }
            Phase::Launching { .. } if self.record.switched_at.is_none() => {
                self.abort(d, now, reason, RollbackPath::BeforeSwitch);
                self.drop_new_version(d);
                self.finish(d, now, Outcome::RolledBack);
            }
            Phase::Rolling { target, .. } if target != new => return false,
            _ => {
                let path = self.restore_path(obs);
                self.abort(d, now, reason, path);
                self.restore(obs, d);
            }
        }
        true
    }

    /// Runs the judge on the observation; notes a check; false if the judge aborts.
    fn judge_step(&mut self, obs: &Observation, d: &mut Decision, phase: &str) -> bool {
        let Some(judge) = self.judge.as_mut() else {
            return true;
        };
        let judgment = judge.observe(obs.now, &obs.metrics);
        self.failed_checks = judge.failures();
        // Every check's note says what it measured, whatever it found.
        let measured = judge.measured().to_string();
        match judgment {
            Judgment::Quiet => true,
            Judgment::Checked(verdict) => {
                let text = format!("{phase} check: {} — {measured}", describe(&verdict));
                self.note(d, obs.now, text);
                true
            }
            Judgment::Abort(verdict) => {
                let text = format!("{phase} check: {} — {measured}", describe(&verdict));
                self.note(d, obs.now, text);
                self.record.abort_reason = Some(describe(&verdict));
                false
            }
        }
    }

    fn abort_with_verdict(&mut self, d: &mut Decision, now: Instant, path: RollbackPath) {
        let reason = self
            .record
            .abort_reason
            .clone()
            .unwrap_or_else(|| "analysis failed".into());
        let analysis = &self.spec.analysis;
        let reason = match analysis.failure_counting {
            FailureCounting::Consecutive => format!(
                "{} consecutive failed checks, last: {reason}",
                analysis.failure_limit
            ),
            FailureCounting::Total => {
                format!(
                    "{} failed checks in all, last: {reason}",
                    analysis.failure_limit
                )
            }
        };
        self.abort(d, now, reason, path);
    }

    fn abort(&mut self, d: &mut Decision, now: Instant, reason: String, path: RollbackPath) {
        self.record.aborted_at = Some(now);
        self.record.abort_reason = Some(reason.clone());
        self.record.rollback_path = Some(path);
        self.note(d, now, format!("abort: {reason}; {path}"));
    }

    fn next_wake(&self, now: Instant) -> Option<Instant> {
        let judge = self.judge.as_ref().map(Judge::next_check);
        // Times already passed were dealt with in this step: only future ones count.
        let soonest =
            |times: &[Option<Instant>]| times.iter().flatten().copied().filter(|t| *t > now).min();
        match &self.phase {
            Phase::Done => return None,
            Phase::Waiting => Some(self.first_wake().max(now)),
            Phase::CanaryLaunching { deadline } | Phase::Launching { deadline } => {
                soonest(&[Some(now + POLL), Some(*deadline)])
            }
            Phase::CanaryJudging { until } | Phase::Baking { until } => {
                soonest(&[judge, Some(*until)])
            }
            Phase::Promoted {
                destroy_old_at,
                monitor_until,
            } => soonest(&[judge, *destroy_old_at, judge.map(|_| *monitor_until)]),
            Phase::Restoring { .. } => Some(now + POLL),
            Phase::Stepping {
                deadline, until, ..
            } => match until {
                None => soonest(&[Some(now + POLL), Some(*deadline)]),
                Some(until) => soonest(&[judge, Some(*until)]),
            },
            Phase::Rolling { deadline, .. } => soonest(&[
                Some(now + self.spec.rolling.reaction_delay),
                Some(*deadline),
                judge,
            ]),
        }
        // A phase still going always looks again.
        .or(Some(now + POLL))
    }
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Pass => "pass".into(),
        Verdict::Fail(why) => format!("fail ({why})"),
        Verdict::NoData(why) => format!("no data ({why})"),
        Verdict::Marginal(why) => format!("marginal ({why})"),
    }
}

//! What a rollout did, as the controller knows it: when it started, switched, aborted
//! and finished, how it ended, and the timeline of its decisions, among them every
//! analysis check ([`RolloutRecord::checks`]).

use std::fmt;

use crate::scenario::rollout::Strategy;

use super::time::Instant;

/// How a rollout ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not started yet, or still going.
    InProgress,
    /// The new version serves all traffic; the old one is cleaned up.
    Promoted,
    /// The new version was judged bad; the old one serves again.
    RolledBack,
}

impl Outcome {
    /// The outcome's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::InProgress => "in progress",
            Outcome::Promoted => "promoted",
            Outcome::RolledBack => "rolled back",
        }
    }
}

/// How traffic got back to the old version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackPath {
    /// The canary was dropped; the old cluster never stopped serving.
    Canary,
    /// The new cluster was dropped before the switch.
    BeforeSwitch,
    /// The old cluster was still running (disabled, warm) and was re-enabled.
    WarmCluster,
    /// The old cluster had been scaled to zero and was scaled back up.
    ScaledDownCluster,
    /// The old cluster was gone; the old version was launched again.
    Relaunch,
    /// A rolling upgrade was reversed, batch by batch.
    BatchByBatch,
}

impl RollbackPath {
    /// The path's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            RollbackPath::Canary => "canary dropped",
            RollbackPath::BeforeSwitch => "new cluster dropped before the switch",
            RollbackPath::WarmCluster => "warm old cluster re-enabled",
            RollbackPath::ScaledDownCluster => "scaled-down old cluster scaled back up",
            RollbackPath::Relaunch => "old version relaunched",
            RollbackPath::BatchByBatch => "rolled back batch by batch",
        }
    }
}

impl fmt::Display for RollbackPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one analysis check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    /// Within every limit.
    Pass,
    /// Over a limit.
    Fail,
    /// Too few requests to tell.
    NoData,
    /// A statistical judge's marginal score: neither pass nor fail.
    Marginal,
}

impl CheckResult {
    /// Every result.
    pub const ALL: [CheckResult; 4] = [
        CheckResult::Pass,
        CheckResult::Fail,
        CheckResult::NoData,
        CheckResult::Marginal,
    ];

    /// The result a timeline note reports, if the note is a check's (`PHASE check:
    /// RESULT …`, as the controller writes it).
    pub fn of_note(text: &str) -> Option<CheckResult> {
        let (_, found) = text.split_once(" check: ")?;
        CheckResult::ALL
            .into_iter()
            .find(|r| found.starts_with(r.name()))
    }

    /// The result's name, as the timeline writes it.
    pub fn name(self) -> &'static str {
        match self {
            CheckResult::Pass => "pass",
            CheckResult::Fail => "fail",
            CheckResult::NoData => "no data",
            CheckResult::Marginal => "marginal",
        }
    }
}

/// The controller's account of one rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutRecord {
    /// The layer rolled.
    pub layer: String,
    /// The strategy used.
    pub strategy: Strategy,
    /// The version replaced.
    pub old_version: u32,
    /// The version rolled out.
    pub new_version: u32,
    /// When the controller began.
    pub started_at: Option<Instant>,
    /// Instances of the old version when it began.
    pub baseline_size: u32,
    /// When the command that moves traffic to the new version was given (red/black:
    /// disable the old cluster; highlander: destroy it; rolling: remove its last instances;
    /// a step or a progressive shift: the weight that puts 100% on the new version).
    pub switched_at: Option<Instant>,
    /// When the controller decided to abort.
    pub aborted_at: Option<Instant>,
    /// Why it aborted.
    pub abort_reason: Option<String>,
    /// How traffic went back to the old version.
    pub rollback_path: Option<RollbackPath>,
    /// When it reached its final state.
    pub finished_at: Option<Instant>,
    /// When each judged phase began (a canary, a step, a bake), in order: the moment
    /// its judge started counting (its warm-up `delay` included).
    pub judged_from: Vec<Instant>,
    /// How it ended.
    pub outcome: Outcome,
    /// Every decision, in order.
    pub timeline: Vec<(Instant, String)>,
}

impl RolloutRecord {
    /// Every analysis check of the timeline, in order: when, and what it found. The
    /// controller notes each check as `PHASE check: RESULT (what it measured)`.
    pub fn checks(&self) -> Vec<(Instant, CheckResult)> {
        self.timeline
            .iter()
            .filter_map(|(at, text)| Some((*at, CheckResult::of_note(text)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_read_from_the_timeline_with_their_results() {
        let at = |s: u64| Instant::from_millis(s * 1000);
        let record = RolloutRecord {
            layer: "middle".into(),
            strategy: Strategy::RedBlack,
            old_version: 0,
            new_version: 1,
            started_at: None,
            baseline_size: 4,
            switched_at: None,
            aborted_at: None,
            abort_reason: None,
            rollback_path: None,
            finished_at: None,
            judged_from: Vec::new(),
            outcome: Outcome::InProgress,
            timeline: vec![
                (at(1), "canary check: pass".into()),
                (at(2), "launching 4 instances of v1".into()),
                (at(3), "bake check: fail (error rate 5.22% > 1.00%)".into()),
                (
                    at(4),
                    "bake check: no data (3 requests, fewer than 50)".into(),
                ),
                (at(5), "monitor check: marginal (score 60)".into()),
            ],
        };
        assert_eq!(
            record.checks(),
            vec![
                (at(1), CheckResult::Pass),
                (at(3), CheckResult::Fail),
                (at(4), CheckResult::NoData),
                (at(5), CheckResult::Marginal),
            ]
        );
    }
}

//! What a rollout did, as the controller knows it: when it started, switched, aborted
//! and finished, how it ended, and the timeline of its decisions.

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
    /// disable the old cluster; highlander: destroy it; rolling: remove its last instances).
    pub switched_at: Option<Instant>,
    /// When the controller decided to abort.
    pub aborted_at: Option<Instant>,
    /// Why it aborted.
    pub abort_reason: Option<String>,
    /// How traffic went back to the old version.
    pub rollback_path: Option<RollbackPath>,
    /// When it reached its final state.
    pub finished_at: Option<Instant>,
    /// How it ended.
    pub outcome: Outcome,
    /// Every decision, in order.
    pub timeline: Vec<(Instant, String)>,
}

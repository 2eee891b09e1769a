//! A tool's progress deadline, written once, where the imported strategy reads it.
//!
//! Every tool has one deadline for a launch to make progress (Argo's and Flagger's
//! `progressDeadlineSeconds`, Kubernetes' own). rollsim's launch deadline is the
//! canary's own for a canary (`canary.healthy_deadline`) and red/black's for every other
//! strategy that launches clusters (`red_black.healthy_deadline`: red/black, highlander,
//! rolling red/black); a rolling upgrade's is `rolling.healthy_deadline`, which the
//! import also sets, for `--strategy rolling` as it sets `rolling.max_surge`. The tools'
//! files say the deadline before they say the strategy, so the launch deadline waits in
//! the draft until [`Draft::finish`] places it.

use super::Draft;
use crate::engine::SimDuration;
use crate::scenario::rollout::Strategy;

/// The launch deadline a file gives, not yet placed.
pub(crate) struct LaunchDeadline {
    deadline: SimDuration,
    origin: Origin,
    /// Why the deadline counts from the last progress, if it does.
    from_progress: Option<String>,
}

/// Where a deadline came from.
enum Origin {
    /// The file's field `source`, or the tool's default if it is absent.
    FileOrToolDefault {
        present: bool,
        tool: String,
        source: String,
    },
    /// An assumption, explained.
    Assumed(String),
}

impl Draft {
    /// The tool does not abort a rollout that makes no progress by its deadline
    /// (`source`): it only reports it (`what`). rollsim's deadlines abort, so the launch
    /// deadline and rolling's are the longest rollsim allows: the rehearsal waits, as the
    /// tool does.
    pub(crate) fn deadline_only_reports(&mut self, source: &str, what: &str) {
        let wait = crate::scenario::limits::MAX_SETTING_DURATION;
        let why = format!(
            "past {source} the tool only {what}, it does not roll back; rollsim waits \
             (its longest deadline, {wait})"
        );
        self.spec.rolling.healthy_deadline = wait;
        self.assumed("rolling.healthy_deadline", why.clone());
        self.launch_deadline = Some(LaunchDeadline {
            deadline: wait,
            origin: Origin::Assumed(why),
            from_progress: None,
        });
    }

    /// The tool aborts when its Kubernetes progress deadline (`progressDeadlineSeconds`
    /// of `spec`, 600 s by default) passes without progress: the launch deadline and
    /// rolling's take it, counted from the last instance that came up (Kubernetes'
    /// progress condition, which a pod coming up resets).
    pub(crate) fn progress_deadline_aborts(
        &mut self,
        spec: &super::tree::Obj<'_>,
        tool: &str,
    ) -> Result<(), crate::scenario::ScenarioError> {
        let source = "spec.progressDeadlineSeconds";
        let deadline = spec.with("progressDeadlineSeconds", |f| f.seconds())?;
        let present = deadline.is_some();
        let deadline = deadline.unwrap_or(SimDuration::from_secs(600));
        self.spec.rolling.healthy_deadline = deadline;
        self.came_from_or_default("rolling.healthy_deadline", present, tool, source);
        self.launch_deadline = Some(LaunchDeadline {
            deadline,
            origin: Origin::FileOrToolDefault {
                present,
                tool: tool.to_string(),
                source: source.to_string(),
            },
            from_progress: Some(format!(
                "{tool}'s progressDeadlineSeconds counts from the last progress"
            )),
        });
        Ok(())
    }

    /// Writes the launch deadline the file gave (if it gave one) in the settings of the
    /// strategy imported, and nowhere else.
    pub(super) fn place_launch_deadline(&mut self) {
        let Some(launch) = self.launch_deadline.take() else {
            return;
        };
        let from_progress = launch.from_progress.is_some();
        let (deadline_field, progress_field) = if self.spec.strategy == Strategy::Canary {
            let canary = &mut self.spec.canary;
            canary.healthy_deadline = launch.deadline;
            canary.progress_deadline = from_progress;
            ("canary.healthy_deadline", "canary.progress_deadline")
        } else {
            let red_black = &mut self.spec.red_black;
            red_black.healthy_deadline = launch.deadline;
            red_black.progress_deadline = from_progress;
            ("red_black.healthy_deadline", "red_black.progress_deadline")
        };
        match launch.origin {
            Origin::FileOrToolDefault {
                present,
                tool,
                source,
            } => self.came_from_or_default(deadline_field, present, &tool, &source),
            Origin::Assumed(why) => self.assumed(deadline_field, why),
        }
        if let Some(why) = launch.from_progress {
            self.assumed(progress_field, why);
        }
    }
}

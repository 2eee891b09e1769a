//! Argo Rollouts: a `Rollout` (`argoproj.io/v1alpha1`) with a `blueGreen` or `canary`
//! strategy, and the `AnalysisTemplate`s it names, in whichever of the files given they
//! are (filled with the Rollout's `args`).
//!
//! # Mapping
//! | Argo | rollsim |
//! |---|---|
//! | `blueGreen` | `red-black`: the preview stack is the new cluster, promotion the switch |
//! | `blueGreen.postPromotionAnalysis` | `red_black.bake` (its run's length) and the thresholds |
//! | `blueGreen.scaleDownDelaySeconds` (30) | `cleanup = "disable"`, `disabled_for` |
//! | `canary.steps`: `setWeight`, `pause`, `analysis` | `canary.steps`: a weight held for its pauses and inline analyses |
//! | `canary.analysis` (background) | the thresholds, judged at every step |
//! | `canary.scaleDownDelaySeconds` (30) | `canary.scale_down_delay` |
//! | `canary.maxSurge` / `maxUnavailable` (25% / 25%) | `rolling.*` (used with `--strategy rolling`) |
//! | `progressDeadlineSeconds` (600) with `progressDeadlineAbort: true` | the launch deadline, from the last progress: `canary.healthy_deadline` (a canary) or `red_black.healthy_deadline` (blue/green); and `rolling.healthy_deadline` |
//! | `progressDeadlineAbort` unset or false (Argo's default) | those deadlines rollsim's longest: Argo only marks the Rollout degraded, the rehearsal waits |
//! | `analysis.templateName` (before v1.0) | one template, as `templates: [{templateName}]` |
//! | a canary without steps | `rolling` (Argo then updates like a Deployment) |
//!
//! An analysis run lasts `initialDelay + count × interval` of its longest metric; a
//! metric's `failureLimit` (0) allows that many failed measurements in all (not in a
//! row), so rollsim aborts after `failureLimit + 1` failed checks, counted in all
//! (`analysis.failure_counting = "total"`).
//!
//! With `trafficRouting`, `setCanaryScale` sizes the canary apart from its weight
//! (`canary.steps[].scale`, from the step it is set until the next one) and
//! `dynamicStableScale` shrinks the stable stack as the canary's weight grows
//! (`canary.dynamic_stable_scale`); without it Argo ignores both. Steps without any
//! `setWeight` hold the weight at 0 and then go to 100%.
//!
//! # Files
//! This module reads the Rollout and dispatches on its strategy: [`blue_green`] and
//! [`canary`] map each strategy's fields, [`analysis`] the AnalysisTemplates and runs
//! they name (arguments, metrics, dry runs, Kayenta providers).

mod analysis;
mod blue_green;
mod canary;

use std::path::Path;

use super::detect::{Document, find_template, metadata_name};
use super::metrics;
use super::tree::{self, Field, Node, Obj};
use super::{Draft, Imported, MANUAL_PROMOTION_AFTER};
use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{
    CanaryTraffic, Cleanup, Count, FailureCounting, Strategy, WeightStep,
};

use analysis::*;
use blue_green::blue_green_strategy;
use canary::canary_strategy;

const TOOL: &str = "Argo";
/// Longest list of steps or metrics read.
const MAX_ITEMS: usize = 1000;

pub(crate) fn import(
    root: &Obj<'_>,
    documents: &[Document],
    file: &Path,
) -> Result<Imported, ScenarioError> {
    let name = root.with("metadata", |m| m.obj()?.str("name"))?.flatten();
    let mut draft = Draft::new(name.as_deref());
    let spec = root
        .get("spec")
        .ok_or_else(|| {
            root.error(
                "spec",
                "missing: a Rollout needs a `spec` with a `strategy`",
            )
        })?
        .obj()?;
    draft.replicas_not_represented(&spec);
    if let Some(seconds) = spec.with("minReadySeconds", |f| f.seconds())? {
        draft.not_represented(format!(
            "spec.minReadySeconds ({seconds}): rollsim counts an instance as soon as it is in service"
        ));
    }
    // `progressDeadlineAbort` defaults to false: past the deadline Argo marks the
    // Rollout degraded and goes on waiting (Argo Rollouts docs, "Rollout Specification":
    // "progressDeadlineAbort ... Defaults to false").
    if spec.with("progressDeadlineAbort", |f| f.bool())? == Some(true) {
        draft.progress_deadline_aborts(&spec, TOOL)?;
    } else {
        spec.with("progressDeadlineSeconds", |f| f.seconds())?;
        draft.deadline_only_reports(
            "spec.progressDeadlineSeconds (spec.progressDeadlineAbort is false, Argo's default)",
            "marks the Rollout degraded",
        );
    }
    if spec.with("paused", |f| f.bool())? == Some(true) {
        draft.not_represented(
            "spec.paused: Argo holds a paused Rollout until it is resumed; rollsim rolls it out \
             unpaused",
        );
    }
    draft.skip(
        &spec,
        &[
            "selector",
            "template",
            "workloadRef",
            "revisionHistoryLimit",
            "restartAt",
            "rollbackWindow",
            "analysis",
        ],
    );
    let strategy = spec.get("strategy").ok_or_else(|| {
        spec.error(
            "spec.strategy",
            "missing: a Rollout needs `strategy.blueGreen` or `strategy.canary`",
        )
    })?;
    let strategy = strategy.obj()?;
    if strategy.has("blueGreen") && strategy.has("canary") {
        // Argo's validation refuses such a Rollout ("Rollout must specify only one
        // strategy", pkg/apis/rollouts/validation): so does rollsim, rather than pick one.
        return Err(strategy.error(
            "spec.strategy",
            "sets both `blueGreen` and `canary`; Argo Rollouts refuses a Rollout with two \
             strategies: keep one",
        ));
    }
    let description = if let Some(blue_green) = strategy.get("blueGreen") {
        blue_green_strategy(&mut draft, &blue_green.obj()?, documents)?;
        "blueGreen"
    } else if let Some(canary) = strategy.get("canary") {
        canary_strategy(&mut draft, &canary.obj()?, documents, file)?;
        "canary"
    } else {
        return Err(strategy.error(
            "spec.strategy",
            "needs `blueGreen` or `canary` (the two strategies of Argo Rollouts)",
        ));
    };
    draft.unread(&spec, "ignored");
    Ok(draft.finish_as("Argo Rollouts Rollout", description, name))
}

fn abort_delay(draft: &mut Draft, strategy: &Obj<'_>) -> Result<(), ScenarioError> {
    if let Some(delay) = strategy.with("abortScaleDownDelaySeconds", |f| f.seconds())? {
        draft.not_represented(format!(
            "{}.abortScaleDownDelaySeconds ({delay}): after an abort rollsim removes the new \
             version by its own rule",
            strategy.path
        ));
    }
    Ok(())
}

/// Why nothing is judged: the Rollout names no analysis (Argo promotes on
/// `promotes_on`), or none of the metrics it names is one rollsim simulates.
fn no_analysis_reason(draft: &Draft, promotes_on: &str) -> String {
    if draft.analysis_named {
        "none of the metrics the Rollout's analysis names is one rollsim simulates (see the \
         notes); Argo would judge them, rollsim cannot"
            .to_string()
    } else {
        format!("the Rollout names no analysis; Argo promotes on {promotes_on} alone")
    }
}

/// Whether the Rollout's analysis judges anything, or names templates not given (whose
/// metrics rollsim's own checks then stand in for).
fn draft_has_analysis(draft: &Draft) -> bool {
    draft.error_rate_from_file
        || draft.spec.analysis.judge != Default::default()
        || draft.has_missing_templates()
}

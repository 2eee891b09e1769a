//! Asgard's later deployment format: `deploymentOptions.steps`, a list of typed steps
//! (`Wait`, `CreateAsg`, `Resize`, `Judgment`, `DisableAsg`, `EnableAsg`, `DeleteAsg`)
//! that Asgard's `DeploymentWorkflow` runs in order.
//!
//! # Mapping
//! | steps | rollsim |
//! |---|---|
//! | `CreateAsg` … `DisableAsg` (`targetAsg: Previous`) | `red-black`: a new ASG beside the old one, then the switch |
//! | a `Resize` of the new ASG followed by a `Judgment` before a larger `Resize` | `red_black.canary`: that capacity, judged that long |
//! | the last `Resize` (`startUpTimeoutMinutes`) | the full new cluster, `red_black.healthy_deadline` |
//! | `Judgment` (and `Wait`) after `DisableAsg` | `red_black.bake` |
//! | `DeleteAsg` (`targetAsg: Previous`) | `cleanup = "destroy"`; without it `"disable"` |
//!
//! A `Judgment` is a person's decision: rollsim's default thresholds stand in for it.

use super::tree::{Field, Obj};
use super::{Draft, Imported};
use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{CanarySpec, Cleanup, Strategy};

/// Most steps read.
const MAX_STEPS: usize = 1000;

/// One step as the mapping needs it.
struct Step {
    kind: String,
    path: String,
    minutes: Option<SimDuration>,
    capacity: Option<u32>,
    target: Option<String>,
    start_up: Option<SimDuration>,
}

/// Maps `steps` (a field of `options`) onto `draft`.
pub(crate) fn import(
    mut draft: Draft,
    steps_field: &Field<'_>,
    name: Option<String>,
) -> Result<Imported, ScenarioError> {
    let mut steps = Vec::new();
    for (i, node) in steps_field.items_up_to(MAX_STEPS)?.iter().enumerate() {
        let step = Field {
            node,
            path: format!("{}[{i}]", steps_field.path),
            file: steps_field.file,
        }
        .obj()?;
        steps.push(read_step(&step)?);
        draft.ignore(step.unread());
    }
    let position = |kind: &str| steps.iter().position(|s| s.kind == kind);
    let create = position("CreateAsg").ok_or_else(|| {
        steps_field.error("no `CreateAsg` step: the deployment launches no new ASG to rehearse")
    })?;
    let disable = steps
        .iter()
        .position(|s| s.kind == "DisableAsg" && s.target.as_deref() != Some("Next"))
        .ok_or_else(|| {
            steps_field.error(
                "no `DisableAsg` of the previous ASG: both ASGs keep serving, which is not a \
                 rollout rollsim can rehearse",
            )
        })?;
    draft.spec.strategy = Strategy::RedBlack;
    draft.came_from(
        "strategy",
        &format!(
            "{} (CreateAsg) … {} (DisableAsg Previous)",
            steps[create].path, steps[disable].path
        ),
    );
    for step in &steps[..create] {
        if let Some(wait) = step.minutes.filter(|_| step.kind == "Wait") {
            draft.not_represented(format!(
                "{} (Wait {wait}): the rollout starts when the model says",
                step.path
            ));
        }
    }
    // Resizes of the new ASG before the switch: a resize judged before a larger one is
    // the canary; the last is the full cluster.
    let resizes: Vec<usize> = (create..disable)
        .filter(|&i| steps[i].kind == "Resize" && steps[i].target.as_deref() != Some("Previous"))
        .collect();
    for pair in resizes.windows(2) {
        let (first, next) = (pair[0], pair[1]);
        let judged: SimDuration = steps[first + 1..next]
            .iter()
            .filter(|s| s.kind == "Judgment" || s.kind == "Wait")
            .filter_map(|s| s.minutes)
            .fold(SimDuration::ZERO, |a, b| a + b);
        if draft.spec.red_black.canary.is_none() && !judged.is_zero() {
            let instances = steps[first].capacity.unwrap_or(1).max(1);
            draft.spec.red_black.canary = Some(CanarySpec {
                instances,
                duration: judged,
            });
            draft.came_from(
                "red_black.canary.instances",
                &format!("{}.capacity", steps[first].path),
            );
            draft.came_from(
                "red_black.canary.duration",
                &format!("the Judgment and Wait steps after {}", steps[first].path),
            );
        }
    }
    let mut shared = SimDuration::ZERO;
    let mut shared_from = String::new();
    if let Some(&last) = resizes.last() {
        if let Some(deadline) = steps[last].start_up {
            draft.spec.red_black.healthy_deadline = deadline;
            draft.came_from(
                "red_black.healthy_deadline",
                &format!("{}.startUpTimeoutMinutes", steps[last].path),
            );
        }
        shared = steps[last + 1..disable]
            .iter()
            .filter_map(|s| s.minutes)
            .fold(SimDuration::ZERO, |a, b| a + b);
        shared_from = format!(
            "the steps between {} and {}",
            steps[last].path, steps[disable].path
        );
        if !shared.is_zero() {
            draft.not_represented(format!(
                "{shared_from} ({shared}): the full-size new ASG shares traffic with the old one \
                 before the switch; rollsim switches as soon as it is healthy and judges that \
                 time after the switch instead, unless steps after the switch judge"
            ));
        }
    }
    let delete = steps[disable..]
        .iter()
        .position(|s| s.kind == "DeleteAsg" && s.target.as_deref() != Some("Next"))
        .map(|k| disable + k);
    let bake_end = delete.unwrap_or(steps.len());
    let bake_steps: Vec<&Step> = steps[disable + 1..bake_end]
        .iter()
        .filter(|s| (s.kind == "Judgment" || s.kind == "Wait") && s.minutes.is_some())
        .collect();
    let after: SimDuration = bake_steps
        .iter()
        .filter_map(|s| s.minutes)
        .fold(SimDuration::ZERO, |a, b| a + b);
    let bake = if after.is_zero() { shared } else { after };
    draft.spec.red_black.bake =
        draft.judged_phase("red_black.bake", bake, "the judgment after the switch");
    if bake_steps.is_empty() && !shared.is_zero() {
        draft.came_from(
            "red_black.bake",
            &format!("{shared_from} (judged before the switch in Asgard)"),
        );
    } else if bake_steps.is_empty() {
        draft.assumed(
            "red_black.bake",
            "no Judgment after DisableAsg; rollsim's shortest judged bake",
        );
    } else {
        let sources: Vec<String> = bake_steps.iter().map(|s| s.path.clone()).collect();
        draft.came_from("red_black.bake", &sources.join(" + "));
    }
    match delete {
        Some(i) => {
            draft.spec.red_black.cleanup = Cleanup::Destroy;
            draft.came_from(
                "red_black.cleanup",
                &format!("{} (DeleteAsg Previous)", steps[i].path),
            );
        }
        None => {
            draft.spec.red_black.cleanup = Cleanup::Disable;
            draft.assumed(
                "red_black.cleanup",
                "no DeleteAsg step: the previous ASG stays disabled",
            );
        }
    }
    if steps.iter().any(|s| s.kind == "Judgment") {
        draft.not_represented(
            "Judgment steps are watched by people: rollsim's default analysis thresholds stand \
             in for them",
        );
    } else {
        draft.never_judge("the steps hold no Judgment; Asgard proceeds on health alone");
    }
    let description = format!(
        "Asgard deployment steps {}",
        name.as_deref()
            .map_or_else(String::new, |n| format!("of cluster {n:?}"))
    );
    Ok(draft.finish(description, name))
}

fn read_step(step: &Obj<'_>) -> Result<Step, ScenarioError> {
    let kind = step
        .str("type")?
        .ok_or_else(|| step.error(&step.path, "missing `type` (Wait, CreateAsg, Resize, …)"))?;
    step.skip(&["description"]);
    Ok(Step {
        kind,
        path: step.path.clone(),
        minutes: step.with("durationMinutes", |f| f.minutes())?,
        capacity: step.with("capacity", |f| f.u32_up_to(100_000))?,
        target: step.str("targetAsg")?,
        start_up: step.with("startUpTimeoutMinutes", |f| f.minutes())?,
    })
}

//! Asgard's automated deployment (Netflix, 2012–2014): the JSON of a
//! `StartDeploymentRequest` (`deploymentOptions`, `lcOptions`, `asgOptions`) or its
//! `deploymentOptions` alone.
//!
//! # Mapping
//! | Asgard (default) | rollsim |
//! |---|---|
//! | the whole workflow | `red-black`: canary, full new ASG, disable the previous one, judge, delete |
//! | `doCanary` (false), `canaryCapacity` (1), `canaryJudgmentPeriodMinutes` (60) | `red_black.canary` |
//! | `desiredCapacityStartUpTimeoutMinutes` (40) | `red_black.healthy_deadline` |
//! | `fullTrafficJudgmentPeriodMinutes` (240) | `red_black.bake` |
//! | `deletePreviousAsg` (`Ask`) | `cleanup = "destroy"` (`Yes`, `Ask`) or `"disable"` (`No`) |
//!
//! Asgard's later `steps` format is mapped by [`super::asgard_steps`].
//!
//! Asgard's judgment periods are watched by people: rollsim's default thresholds stand in
//! for them. Older Asgard versions name the periods `…AssessmentDurationMinutes`; both
//! spellings are read.

use std::path::Path;

use super::tree::Obj;
use super::{Draft, Imported};
use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{CanarySpec, Cleanup, Strategy};

const TOOL: &str = "Asgard";

pub(crate) fn import(root: &Obj<'_>, _file: &Path) -> Result<Imported, ScenarioError> {
    let nested = root.get("deploymentOptions").map(|f| f.obj()).transpose()?;
    let options: &Obj<'_> = nested.as_ref().unwrap_or(root);
    let name = options.str("clusterName")?;
    let mut draft = Draft::new(name.as_deref());
    if let Some(steps) = options.get("steps") {
        draft.ignore(options.unread());
        if nested.is_some() {
            draft.ignore(root.unread());
        }
        return super::asgard_steps::import(draft, &steps, name);
    }
    draft.spec.strategy = Strategy::RedBlack;
    draft.assumed(
        "strategy",
        "Asgard's deployment launches a new ASG beside the old one and switches",
    );
    let path = options.path.clone();
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    let minutes = |keys: &[&str]| -> Result<Option<(SimDuration, String)>, ScenarioError> {
        for key in keys {
            if let Some(d) = options.with(key, |f| f.minutes())? {
                return Ok(Some((d, at(key))));
            }
        }
        Ok(None)
    };
    if let Some((delay, source)) = minutes(&["delayDurationMinutes", "delayDuration"])?
        && !delay.is_zero()
    {
        draft.not_represented(format!(
            "{source} ({delay}): the rollout starts when the model says"
        ));
    }
    let canary = options.with("doCanary", |f| f.bool())?.unwrap_or(false);
    let capacity = options.with("canaryCapacity", |f| f.u32_up_to(100_000))?;
    let canary_period = minutes(&[
        "canaryJudgmentPeriodMinutes",
        "canaryAssessmentDurationMinutes",
        "canaryAssessmentDuration",
    ])?;
    if canary {
        draft.spec.red_black.canary = Some(CanarySpec {
            instances: capacity.unwrap_or(1).max(1),
            duration: canary_period
                .as_ref()
                .map_or(SimDuration::from_mins(60), |(d, _)| *d),
        });
        draft.came_from_or_default(
            "red_black.canary.instances",
            capacity.is_some(),
            TOOL,
            &at("canaryCapacity"),
        );
        match &canary_period {
            Some((_, source)) => draft.came_from("red_black.canary.duration", source),
            None => draft.tool_default(
                "red_black.canary.duration",
                TOOL,
                &at("canaryJudgmentPeriodMinutes"),
            ),
        }
    }
    if let Some((timeout, source)) =
        minutes(&["canaryStartUpTimeoutMinutes", "canaryStartUpTimeout"])?
    {
        draft.not_represented(format!(
            "{source} ({timeout}): rollsim has one healthy deadline, the full cluster's"
        ));
    }
    let deadline = minutes(&[
        "desiredCapacityStartUpTimeoutMinutes",
        "desiredCapacityStartUpTimeout",
    ])?;
    draft.spec.red_black.healthy_deadline = deadline
        .as_ref()
        .map_or(SimDuration::from_mins(40), |(d, _)| *d);
    match &deadline {
        Some((_, source)) => draft.came_from("red_black.healthy_deadline", source),
        None => draft.tool_default(
            "red_black.healthy_deadline",
            TOOL,
            &at("desiredCapacityStartUpTimeoutMinutes"),
        ),
    }
    let full_size = minutes(&[
        "desiredCapacityJudgmentPeriodMinutes",
        "desiredCapacityAssessmentDurationMinutes",
        "desiredCapacityAssessmentDuration",
    ])?;
    let full_size = full_size.map_or(
        (SimDuration::from_mins(120), format!("{TOOL} default")),
        |(d, s)| (d, s),
    );
    draft.not_represented(format!(
        "{} ({}): the full-size new ASG shares traffic with the old one before the switch; \
         rollsim switches as soon as the new cluster is healthy",
        full_size.1, full_size.0
    ));
    let bake = minutes(&[
        "fullTrafficJudgmentPeriodMinutes",
        "fullTrafficAssessmentDurationMinutes",
        "fullTrafficAssessmentDuration",
    ])?;
    let length = bake
        .as_ref()
        .map_or(SimDuration::from_mins(240), |(d, _)| *d);
    draft.spec.red_black.bake = draft.judged_phase(
        "red_black.bake",
        length,
        &at("fullTrafficJudgmentPeriodMinutes"),
    );
    match &bake {
        Some((_, source)) => draft.came_from("red_black.bake", source),
        None => draft.tool_default(
            "red_black.bake",
            TOOL,
            &at("fullTrafficJudgmentPeriodMinutes"),
        ),
    }
    for key in ["scaleUp", "disablePreviousAsg"] {
        match options.str(key)?.as_deref() {
            None | Some("Ask") => draft.not_represented(format!(
                "{} (Ask): a person decides; assumed they proceed when rollsim's checks pass",
                at(key)
            )),
            Some("No") => draft.not_represented(format!(
                "{} (No): Asgard stops there; rollsim goes on to the switch",
                at(key)
            )),
            Some(_) => {}
        }
    }
    let delete = options.str("deletePreviousAsg")?;
    match delete.as_deref() {
        Some("No") => {
            draft.spec.red_black.cleanup = Cleanup::Disable;
            draft.came_from(
                "red_black.cleanup",
                &format!(
                    "{} (No: the previous ASG stays disabled)",
                    at("deletePreviousAsg")
                ),
            );
        }
        other => {
            draft.spec.red_black.cleanup = Cleanup::Destroy;
            match other {
                Some("Yes") => draft.came_from("red_black.cleanup", &at("deletePreviousAsg")),
                _ => draft.assumed(
                    "red_black.cleanup",
                    format!(
                        "{} is Ask (Asgard's default): a person deletes the previous ASG",
                        at("deletePreviousAsg")
                    ),
                ),
            }
        }
    }
    draft.not_represented(
        "Asgard's judgment periods are watched by people: rollsim's default analysis thresholds \
         stand in for them",
    );
    draft.ignore(options.unread());
    if nested.is_some() {
        draft.ignore(root.unread());
    }
    let description = format!(
        "Asgard automated deployment {}",
        name.as_deref()
            .map_or_else(String::new, |n| format!("of cluster {n:?}"))
    );
    Ok(draft.finish(description, name))
}

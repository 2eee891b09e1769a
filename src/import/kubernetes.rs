//! A Kubernetes `Deployment` (`apps/v1`): its rolling update or recreate strategy.
//!
//! # Mapping
//! | Kubernetes | rollsim |
//! |---|---|
//! | `strategy.type: RollingUpdate` (the default) | `rolling` |
//! | `rollingUpdate.maxSurge` / `maxUnavailable` (25% / 25%) | `rolling.max_surge` (rounded up) / `max_unavailable` (rounded down; 1 if both come to 0), as Kubernetes resolves them |
//! | `strategy.type: Recreate` | `rolling` with `max_surge = 0`, `max_unavailable = "100%"`: every old pod stops, then the new ones start |
//! | `progressDeadlineSeconds` (600) | nothing: past it Kubernetes only reports the rollout failed, so `healthy_deadline` is rollsim's longest (the rehearsal waits) |
//!
//! A Deployment never judges metrics and never rolls back by itself, so rollsim's checks
//! are opened so that none fails ([`Draft::never_judge`]).

use std::path::Path;

use super::tree::Obj;
use super::{Draft, Imported};
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{Count, Strategy};

const TOOL: &str = "Kubernetes";

pub(crate) fn import(root: &Obj<'_>, _file: &Path) -> Result<Imported, ScenarioError> {
    let name = root.with("metadata", |m| m.obj()?.str("name"))?.flatten();
    let mut draft = Draft::new(name.as_deref());
    let spec = root
        .get("spec")
        .ok_or_else(|| root.error("spec", "missing: a Deployment needs a `spec`"))?
        .obj()?;
    draft.skip(&spec, &["selector", "template", "revisionHistoryLimit"]);
    draft.replicas_not_represented(&spec);
    if let Some(seconds) = spec.with("minReadySeconds", |f| f.seconds())? {
        draft.not_represented(format!(
            "spec.minReadySeconds ({seconds}): rollsim counts a new instance as available as soon \
             as it is in service"
        ));
    }
    if spec.with("paused", |f| f.bool())? == Some(true) {
        draft.not_represented("spec.paused: rollsim rolls the Deployment out unpaused");
    }
    // Past `progressDeadlineSeconds` the Deployment controller only sets the condition
    // `Progressing=False` (reason `ProgressDeadlineExceeded`); it does not roll back
    // (Kubernetes docs, "Deployments", "Failed Deployment").
    if spec.has("progressDeadlineSeconds") {
        spec.with("progressDeadlineSeconds", |f| f.seconds())?;
    }
    draft.deadline_only_reports(
        "spec.progressDeadlineSeconds",
        "reports the Deployment as failed (Progressing=False)",
    );
    draft.spec.strategy = Strategy::Rolling;
    let strategy = spec.get("strategy").map(|f| f.obj()).transpose()?;
    let kind = match &strategy {
        Some(s) => s.str("type")?,
        None => None,
    };
    match kind.as_deref() {
        Some("Recreate") => {
            draft.came_from("strategy", "spec.strategy.type (Recreate)");
            draft.spec.rolling.max_surge = Count::Absolute(0);
            draft.spec.rolling.max_unavailable = Count::Percent(100.0);
            for field in ["rolling.max_surge", "rolling.max_unavailable"] {
                draft.assumed(field, "Recreate stops every old pod before new ones start");
            }
        }
        None | Some("RollingUpdate") => {
            rolling_update(&mut draft, strategy.as_ref(), kind.is_some())?;
        }
        Some(other) => {
            let strategy = strategy.as_ref().expect("a type was read from it");
            return Err(strategy
                .get("type")
                .expect("the type was read")
                .error(format!("must be RollingUpdate or Recreate, got {other:?}")));
        }
    }
    if let Some(strategy) = &strategy {
        draft.unread(strategy, "ignored");
    }
    draft.never_judge("a Deployment checks readiness only, never metrics");
    draft.unread(&spec, "ignored");
    let kind = kind.as_deref().unwrap_or("RollingUpdate");
    Ok(draft.finish_as("Kubernetes Deployment", kind, name))
}

fn rolling_update(
    draft: &mut Draft,
    strategy: Option<&Obj<'_>>,
    typed: bool,
) -> Result<(), ScenarioError> {
    if typed {
        draft.came_from("strategy", "spec.strategy.type (RollingUpdate)");
    } else {
        draft.tool_default("strategy", TOOL, "spec.strategy.type");
    }
    let update = match strategy.and_then(|s| s.get("rollingUpdate")) {
        Some(update) => Some(update.obj()?),
        None => None,
    };
    let read = |key: &str| -> Result<Option<Count>, ScenarioError> {
        match &update {
            Some(u) => u.with(key, |f| f.count()),
            None => Ok(None),
        }
    };
    let surge = read("maxSurge")?;
    let unavailable = read("maxUnavailable")?;
    if surge.is_some_and(Count::is_zero) && unavailable.is_some_and(Count::is_zero) {
        let update = update.as_ref().expect("both were read from it");
        return Err(update.error(
            &update.path,
            "maxSurge and maxUnavailable are both 0: Kubernetes refuses this (the update could \
             never make progress); allow at least one of them",
        ));
    }
    let path = "spec.strategy.rollingUpdate";
    draft.spec.rolling.max_surge = surge.unwrap_or(Count::Percent(25.0));
    draft.came_from_or_default(
        "rolling.max_surge",
        surge.is_some(),
        TOOL,
        &format!("{path}.maxSurge"),
    );
    draft.spec.rolling.max_unavailable = unavailable.unwrap_or(Count::Percent(25.0));
    draft.came_from_or_default(
        "rolling.max_unavailable",
        unavailable.is_some(),
        TOOL,
        &format!("{path}.maxUnavailable"),
    );
    if let Some(update) = &update {
        draft.unread(update, "ignored");
    }
    Ok(())
}

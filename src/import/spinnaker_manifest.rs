//! Spinnaker's Kubernetes (v2) provider: a `deployManifest` stage, the rollout it
//! makes of its manifests, and the stages after it that finish the job.
//!
//! # Mapping
//! | Spinnaker | rollsim |
//! |---|---|
//! | `trafficManagement.enabled` with `options.strategy: redblack` (a ReplicaSet) | `red-black`: the new ReplicaSet joins the services, the old one is disabled (kept) |
//! | `trafficManagement.enabled` with `options.strategy: highlander` | `highlander`: the old ReplicaSets are deleted once the new one is up |
//! | a `Deployment` among the manifests | the Deployment's own rolling update, as `rollsim import` maps a Deployment |
//! | a ReplicaSet, then a `disableManifest` stage on the previous one (`criteria: second_newest`) | `red-black` run by the pipeline; a `scaleManifest` of it → `cleanup = "scale-down"` |
//! | `kayentaCanary`, `wait`, `manualJudgment` after the deploy | the bake (red/black) or `monitor` (highlander) |
//!
//! Spinnaker's traffic management works on ReplicaSets only (Spinnaker docs, "Kubernetes
//! Provider (Manifest Based)", "Traffic management"); a Deployment is rolled by the
//! Kubernetes Deployment controller, which judges nothing and never rolls back, so
//! judgment stages after it judge a rollout that is already over.

use super::spinnaker::{Judgment, TOOL, finish};
use super::tree::{Field, Node, Obj, Value};
use super::{Draft, Imported};
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{Cleanup, Strategy};

/// The stage type.
pub(crate) const STAGE_TYPE: &str = "deployManifest";

/// Kinds whose pods serve traffic and that a rollout replaces.
const WORKLOADS: [&str; 4] = ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"];

/// Whether a `deployManifest` stage deploys a workload (not only a ConfigMap or a
/// Service): one of its inline manifests is, or its manifest comes from an artifact.
pub(crate) fn deploys_workload(stage: &Obj<'_>) -> bool {
    let from_artifact = stage.str("source").ok().flatten().as_deref() == Some("artifact");
    let inline = stage.get("manifests").is_some_and(|m| {
        m.items().is_ok_and(|items| {
            items
                .iter()
                .any(|node| kind_of(node).is_some_and(is_workload))
        })
    });
    from_artifact || inline
}

fn is_workload(kind: &str) -> bool {
    WORKLOADS.contains(&kind)
}

fn kind_of(node: &Node) -> Option<&str> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k == "kind")
        .and_then(|(_, v)| match &v.value {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Maps the `deployManifest` `stage`; `later` are the stages after it that belong to
/// this deploy (before the next one), `judgment` what they judge.
pub(crate) fn import(
    mut draft: Draft,
    stage: &Obj<'_>,
    later: &[Obj<'_>],
    judgment: &Judgment,
) -> Result<Imported, ScenarioError> {
    let path = stage.path.clone();
    let stage_name = stage.str("name")?;
    stage.skip(&[
        "type",
        "name",
        "refId",
        "requisiteStageRefIds",
        "account",
        "cloudProvider",
        "moniker",
        "relationships",
        "manifestArtifactAccount",
        "namespaceOverride",
        "skipExpressionEvaluation",
        "source",
        "requiredArtifactIds",
        "requiredArtifacts",
    ]);
    let manifests = match stage.get("manifests") {
        Some(list) => {
            let items = list.items()?;
            items
                .iter()
                .enumerate()
                .filter(|(_, node)| kind_of(node).is_some_and(is_workload))
                .map(|(i, node)| Field {
                    node,
                    path: format!("{}[{i}]", list.path),
                    file: list.file,
                })
                .collect::<Vec<_>>()
        }
        None => Vec::new(),
    };
    let Some(workload) = manifests.first() else {
        return Err(stage.error(
            &path,
            "its manifest comes from an artifact that is not in the pipeline, so rollsim \
             cannot tell what it deploys: import the Deployment (or give the manifest inline, \
             `source: text`)",
        ));
    };
    if manifests.len() > 1 {
        draft.not_represented(format!(
            "{path}.manifests: {} workloads deployed together; rollsim rehearses one rollout: \
             the first, {}",
            manifests.len(),
            workload.path
        ));
    }
    let kind = kind_of(workload.node).unwrap_or_default().to_string();
    let workload_obj = workload.obj()?;
    let name = workload_obj
        .with("metadata", |m| m.obj()?.str("name"))?
        .flatten();
    let traffic = stage
        .get("trafficManagement")
        .map(|t| t.obj())
        .transpose()?;
    let enabled = match &traffic {
        Some(t) => t.with("enabled", |f| f.bool())?.unwrap_or(false),
        None => false,
    };
    let managed = match (&traffic, enabled) {
        (Some(t), true) => t
            .with("options", |o| o.obj()?.str("strategy"))?
            .flatten()
            .filter(|s| s == "redblack" || s == "highlander"),
        _ => None,
    };
    if let Some(t) = &traffic {
        t.skip(&["options"]);
    }
    let described = format!(
        "{STAGE_TYPE} stage {} of a {kind}",
        super::quoted(stage_name.as_deref()),
    );
    if kind == "Deployment" && managed.is_none() {
        let described = format!("{described} {}", super::quoted(name.as_deref()));
        return deployment(draft, workload, judgment, &described);
    }
    if kind != "ReplicaSet" {
        return Err(workload.error(format!(
            "a {kind} is rolled by Kubernetes' own controller, which rollsim does not model; \
             it rehearses Deployments and ReplicaSets"
        )));
    }
    let source = match managed.as_deref() {
        Some(strategy) => {
            draft.spec.strategy = if strategy == "highlander" {
                Strategy::Highlander
            } else {
                Strategy::RedBlack
            };
            format!("{path}.trafficManagement.options.strategy ({strategy})")
        }
        None => match later_stage(later, "disableManifest") {
            Some(disable) => {
                draft.spec.strategy = Strategy::RedBlack;
                format!(
                    "{} (disableManifest of the previous ReplicaSet after the deploy)",
                    disable.path
                )
            }
            None => {
                return Err(stage.error(
                    &path,
                    "deploys a ReplicaSet without traffic management, and no later stage \
                     disables the old one: Spinnaker leaves both versions serving side by side, \
                     which is not a rollout rollsim can rehearse (enable trafficManagement with \
                     strategy redblack or highlander, or add a disableManifest stage)",
                ));
            }
        },
    };
    draft.came_from("strategy", &source);
    if !judgment.judged {
        draft.never_judge(
            "the pipeline has no canary analysis or judgment stage; the deploy stage checks \
             readiness only",
        );
    }
    let after = judgment.after_sources.join(" + ");
    if draft.spec.strategy == Strategy::Highlander {
        if !judgment.after.is_zero() {
            draft.spec.monitor = judgment.after;
            draft.came_from("monitor", &after);
        }
    } else {
        let scaled = later_stage(later, "scaleManifest");
        draft.spec.red_black.cleanup = if scaled.is_some() {
            Cleanup::ScaleDown
        } else {
            Cleanup::Disable
        };
        match &scaled {
            Some(scale) => draft.came_from(
                "red_black.cleanup",
                &format!("{} (scaleManifest after the switch)", scale.path),
            ),
            None => draft.assumed(
                "red_black.cleanup",
                "Spinnaker disables the old ReplicaSet and leaves it until something deletes it",
            ),
        }
        let bake = draft.judged_phase(
            "red_black.bake",
            judgment.after,
            "the time the old ReplicaSet stays warm after the switch",
        );
        draft.spec.red_black.bake = bake;
        if after.is_empty() {
            draft.assumed(
                "red_black.bake",
                "nothing judges after the deploy; rollsim's shortest judged bake",
            );
        } else {
            draft.came_from("red_black.bake", &after);
        }
    }
    if let Some(spec) = workload_obj.get("spec") {
        draft.replicas_not_represented(&spec.obj()?);
    }
    draft.ignore(stage.unread());
    let imported = finish(draft, name, &described);
    Ok(imported)
}

/// A Deployment deployed by the stage: its own rolling update, with the pipeline's
/// notes.
fn deployment(
    draft: Draft,
    workload: &Field<'_>,
    judgment: &Judgment,
    described: &str,
) -> Result<Imported, ScenarioError> {
    let root = workload.obj()?;
    let mut imported = super::kubernetes::import(&root, workload.file)?;
    imported.description = format!("Spinnaker {described} (its rolling update)");
    if judgment.judged {
        imported.not_represented.push(format!(
            "{}: they judge a Deployment that Kubernetes has already rolled out, and {TOOL} \
             undoes nothing by itself; rollsim judges nothing, as the Deployment does",
            judgment.after_sources.join(" + ")
        ));
    }
    imported.not_represented.extend(draft.not_represented);
    imported.ignored.extend(draft.ignored);
    Ok(imported)
}

/// The first stage of `kind` among `later`.
fn later_stage<'a, 'b>(later: &'a [Obj<'b>], kind: &str) -> Option<&'a Obj<'b>> {
    later
        .iter()
        .find(|s| s.str("type").ok().flatten().as_deref() == Some(kind))
}

//! Spinnaker: a pipeline (JSON with `stages`), a deploy stage (`clusters`) or one
//! cluster of a deploy stage (`strategy`), with the stages around the deploy that judge
//! it (`kayentaCanary`, `wait`, `manualJudgment`).
//!
//! # Mapping
//! | Spinnaker | rollsim |
//! |---|---|
//! | `strategy: redblack` / `highlander` / `rollingredblack` | `red-black` / `highlander` / `rolling-red-black` |
//! | `targetPercentages` | `rolling_red_black.target_percentages` (100 appended if missing, as Spinnaker does) |
//! | `scaleDown` with `delayBeforeScaleDownSec` | `cleanup = "scale-down"` after a bake of that delay |
//! | no `scaleDown` | `cleanup = "disable"`: the old group stays disabled (warm) |
//! | `maxRemainingAsgs: 1` | `cleanup = "destroy"` |
//! | a `kayentaCanary` stage before the deploy | `red_black.canary` (its lifetime, its canary's capacity) |
//! | `kayentaCanary`, `wait` and `manualJudgment` stages after the deploy | the bake (or, once the old group is scaled down, `monitor`) |
//! | `kayentaCanary.canaryConfig.scoreThresholds` (75 / 50) | `judge = "mann-whitney"`, `pass_score`, `marginal_score` |
//!
//! A pipeline without a canary or judgment stage judges nothing: rollsim's checks are
//! opened so that none fails.

use std::path::Path;

use super::spinnaker_manifest as manifest;
use super::tree::{Field, Obj};
use super::{Draft, Imported, MANUAL_PROMOTION_AFTER};
use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{CanarySpec, Cleanup, JudgeKind, Strategy};

pub(crate) const TOOL: &str = "Spinnaker";
/// Most stages or percentages read.
const MAX_ITEMS: usize = 1000;
/// Stage types that deploy a server group.
const DEPLOY_STAGES: [&str; 3] = ["deploy", "createServerGroup", "cloneServerGroup"];

/// What the stages around the deploy add up to.
#[derive(Default)]
pub(crate) struct Judgment {
    /// Length of the judged stages after the deploy, and their paths.
    pub(crate) after: SimDuration,
    pub(crate) after_sources: Vec<String>,
    /// Whether anything judges (Kayenta or a person).
    pub(crate) judged: bool,
}

pub(crate) fn import(
    root: &Obj<'_>,
    file: &Path,
    chosen_stage: Option<&str>,
) -> Result<Imported, ScenarioError> {
    if let Some(stages) = root.get("stages") {
        let items = stages.items_up_to(MAX_ITEMS)?;
        let stage_at = |i: usize| {
            Field {
                node: &items[i],
                path: format!("{}[{i}]", stages.path),
                file,
            }
            .obj()
        };
        let mut deploys = Vec::new();
        for i in 0..items.len() {
            let stage = stage_at(i)?;
            let kind = stage.str("type").ok().flatten().unwrap_or_default();
            let deploys_workload = DEPLOY_STAGES.contains(&kind.as_str())
                || (kind == manifest::STAGE_TYPE && manifest::deploys_workload(&stage));
            if deploys_workload {
                deploys.push((i, stage.str("name")?, stage.str("refId")?));
            }
        }
        let describe = |(i, name, ref_id): &(usize, Option<String>, Option<String>)| {
            format!(
                "{} (stages[{i}]{})",
                super::quoted(name.as_deref()),
                ref_id
                    .as_deref()
                    .map_or_else(String::new, |r| format!(", refId {r}"))
            )
        };
        let chosen: Vec<&(usize, Option<String>, Option<String>)> = deploys
            .iter()
            .filter(|(_, name, ref_id)| {
                chosen_stage
                    .is_none_or(|c| name.as_deref() == Some(c) || ref_id.as_deref() == Some(c))
            })
            .collect();
        let (index, node) = match chosen[..] {
            [one] => (one.0, &items[one.0]),
            [] if deploys.is_empty() => {
                return Err(stages.error(format!(
                    "no deploy stage (type {}, or {} of a Deployment or ReplicaSet) in the \
                     pipeline",
                    DEPLOY_STAGES.join(", "),
                    manifest::STAGE_TYPE
                )));
            }
            [] => {
                return Err(stages.error(format!(
                    "--stage {:?}: no deploy stage has that name or refId; the deploy stages are: {}",
                    chosen_stage.unwrap_or_default(),
                    deploys.iter().map(describe).collect::<Vec<_>>().join(", ")
                )));
            }
            _ => {
                return Err(stages.error(format!(
                    "{} deploy stages (environments, or services deployed together); choose one \
                     with --stage NAME: {}",
                    chosen.len(),
                    chosen
                        .iter()
                        .map(|d| describe(d))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        };
        let stage = Field {
            node,
            path: format!("{}[{index}]", stages.path),
            file,
        }
        .obj()?;
        // The stages that judge this deploy lie between the deploy before it and the one
        // after it.
        let from = deploys
            .iter()
            .map(|d| d.0)
            .filter(|&i| i < index)
            .max()
            .map_or(0, |i| i + 1);
        let until = deploys
            .iter()
            .map(|d| d.0)
            .find(|&i| i > index)
            .unwrap_or(items.len());
        let pipeline = root.str("name")?;
        root.skip(&[
            "application",
            "name",
            "id",
            "triggers",
            "parameterConfig",
            "notifications",
            "keepWaitingPipelines",
            "limitConcurrent",
            "spelEvaluator",
            "index",
            "updateTs",
            "lastModifiedBy",
            "expectedArtifacts",
        ]);
        let mut draft = Draft::new(None);
        draft.ignore(root.unread().into_iter().filter(|p| p != "stages"));
        let judgment = stages_around(&mut draft, items, index, from..until, &stages.path, file)?;
        let imported = if stage.str("type")?.as_deref() == Some(manifest::STAGE_TYPE) {
            let later = ((index + 1)..until)
                .map(stage_at)
                .collect::<Result<Vec<_>, _>>()?;
            manifest::import(draft, &stage, &later, &judgment)?
        } else {
            deploy_stage(draft, &stage, judgment)?
        };
        return Ok(Imported {
            description: format!(
                "Spinnaker pipeline {}: {}",
                super::quoted(pipeline.as_deref()),
                imported.description.trim_start_matches("Spinnaker ")
            ),
            ..imported
        });
    }
    if root.has("clusters") {
        return deploy_stage(Draft::new(None), root, Judgment::default());
    }
    let mut draft = Draft::new(None);
    let name = cluster(&mut draft, root, &Judgment::default())?;
    Ok(finish(draft, name, "deploy cluster"))
}

pub(crate) fn finish(mut draft: Draft, name: Option<String>, what: &str) -> Imported {
    draft.spec.layer = name.clone().unwrap_or_default();
    let description = format!(
        "Spinnaker {what} {}({})",
        name.as_deref()
            .map_or_else(String::new, |n| format!("{n:?} ")),
        draft.spec.strategy
    );
    draft.finish(description, name)
}

fn deploy_stage(
    mut draft: Draft,
    stage: &Obj<'_>,
    judgment: Judgment,
) -> Result<Imported, ScenarioError> {
    let clusters = stage.get("clusters").ok_or_else(|| {
        stage.error(
            &stage.child_path("clusters"),
            "missing: a deploy stage needs `clusters`",
        )
    })?;
    let items = clusters.items()?;
    let Some(first) = items.first() else {
        return Err(clusters.error("empty: a deploy stage needs at least one cluster"));
    };
    if items.len() > 1 {
        draft.not_represented(format!(
            "{}: {} clusters; rollsim rehearses one rollout per file: the first",
            clusters.path,
            items.len()
        ));
    }
    let cluster_obj = Field {
        node: first,
        path: format!("{}[0]", clusters.path),
        file: clusters.file,
    }
    .obj()?;
    let name = cluster(&mut draft, &cluster_obj, &judgment)?;
    stage.skip(&["type", "name", "refId", "requisiteStageRefIds"]);
    draft.ignore(stage.unread());
    Ok(finish(draft, name, "deploy stage"))
}

/// Reads the stages in `around` (before and after the deploy at `index`).
fn stages_around(
    draft: &mut Draft,
    stages: &[super::tree::Node],
    index: usize,
    around: std::ops::Range<usize>,
    path: &str,
    file: &Path,
) -> Result<Judgment, ScenarioError> {
    let mut judgment = Judgment::default();
    for (i, node) in stages.iter().enumerate() {
        if i == index {
            continue;
        }
        if !around.contains(&i) {
            draft.ignore([format!("{path}[{i}] (another deploy's stage)")]);
            continue;
        }
        let stage = Field {
            node,
            path: format!("{path}[{i}]"),
            file,
        }
        .obj()?;
        let kind = stage.str("type")?.unwrap_or_default();
        let stage_path = stage.path.clone();
        match (kind.as_str(), i < index) {
            ("kayentaCanary", before) => {
                let lifetime = kayenta_stage(draft, &stage)?;
                judgment.judged = true;
                if before {
                    let instances = canary_capacity(&stage)?.unwrap_or(1);
                    draft.spec.red_black.canary = Some(CanarySpec {
                        instances,
                        duration: lifetime,
                    });
                    draft.came_from(
                        "red_black.canary.duration",
                        &format!("{stage_path}.canaryConfig (lifetime)"),
                    );
                    draft.came_from(
                        "red_black.canary.instances",
                        &format!(
                            "{stage_path}.deployments.serverGroupPairs[0].canary.capacity.desired"
                        ),
                    );
                } else {
                    judgment.after += lifetime;
                    judgment
                        .after_sources
                        .push(format!("{stage_path} (kayentaCanary lifetime)"));
                }
            }
            ("wait", false) => {
                let wait = stage.with("waitTime", |f| f.seconds())?.unwrap_or_default();
                judgment.after += wait;
                judgment
                    .after_sources
                    .push(format!("{stage_path}.waitTime"));
            }
            ("manualJudgment", false) => {
                judgment.judged = true;
                judgment.after += MANUAL_PROMOTION_AFTER;
                judgment.after_sources.push(format!(
                    "{stage_path} (manualJudgment, assumed {MANUAL_PROMOTION_AFTER})"
                ));
                draft.not_represented(format!(
                    "{stage_path} (manualJudgment): a person decides; assumed they take \
                     {MANUAL_PROMOTION_AFTER} and judge like rollsim's default thresholds"
                ));
            }
            // Read by the Kubernetes manifest mapping (the pipeline's own red/black).
            ("disableManifest" | "scaleManifest", false) => {}
            (other, _) => draft.ignore([format!("{stage_path} (type {other:?})")]),
        }
    }
    Ok(judgment)
}

/// Kayenta's stage: the judge, its score thresholds and timing; returns its lifetime.
fn kayenta_stage(draft: &mut Draft, stage: &Obj<'_>) -> Result<SimDuration, ScenarioError> {
    let config = stage
        .get("canaryConfig")
        .ok_or_else(|| {
            stage.error(
                &stage.child_path("canaryConfig"),
                "missing: a kayentaCanary stage needs `canaryConfig`",
            )
        })?
        .obj()?;
    let path = config.path.clone();
    draft.spec.analysis.judge = JudgeKind::MannWhitney;
    draft.came_from("analysis.judge", &format!("{} (kayentaCanary)", stage.path));
    // Each interval is a Kayenta run of its own, and one scored at or below the marginal
    // score ends the stage (orca-kayenta, MonitorKayentaCanaryTask: TERMINAL when
    // `canaryScore <= scoreThresholds.marginal`): the first failed check aborts.
    draft.spec.analysis.failure_limit = 1;
    draft.came_from(
        "analysis.failure_limit",
        &format!(
            "{} (kayentaCanary: an interval at or below the marginal score fails the stage)",
            stage.path
        ),
    );
    let lifetime = match config.with("lifetimeDuration", |f| f.iso_duration())? {
        Some(d) => d,
        None => config
            .with("lifetimeHours", |f| {
                f.f64()
                    .map(|h| SimDuration::from_secs_f64(h.clamp(0.0, 720.0) * 3600.0))
            })?
            .ok_or_else(|| {
                config.error(
                    &path,
                    "needs `lifetimeDuration` (e.g. \"PT1H\") or `lifetimeHours`",
                )
            })?,
    };
    if let Some(delay) = config.with("beginCanaryAnalysisAfterMins", |f| f.minutes())? {
        draft.spec.analysis.delay = delay;
        draft.came_from(
            "analysis.delay",
            &format!("{path}.beginCanaryAnalysisAfterMins"),
        );
    }
    if let Some(interval) = config.with("canaryAnalysisIntervalMins", |f| f.minutes())? {
        draft.spec.analysis.interval = interval.max(SimDuration::from_secs(1));
        draft.came_from(
            "analysis.interval",
            &format!("{path}.canaryAnalysisIntervalMins"),
        );
    } else {
        draft.spec.analysis.interval = lifetime
            .saturating_sub(draft.spec.analysis.delay)
            .max(SimDuration::from_secs(1));
        draft.tool_default(
            "analysis.interval",
            TOOL,
            &format!("{path}.canaryAnalysisIntervalMins: one judgment over the lifetime"),
        );
    }
    if let Some(scores) = config.get("scoreThresholds") {
        let scores = scores.obj()?;
        for (key, field) in [
            ("pass", "analysis.pass_score"),
            ("marginal", "analysis.marginal_score"),
        ] {
            if let Some(score) = scores.with(key, |f| f.f64())? {
                if key == "pass" {
                    draft.spec.analysis.pass_score = score;
                } else {
                    draft.spec.analysis.marginal_score = score;
                }
                draft.came_from(field, &format!("{}.{key}", scores.path));
            }
        }
    }
    config.skip(&[
        "lifetimeDuration",
        "lifetimeHours",
        "canaryConfigId",
        "scopes",
        "metricsAccountName",
        "storageAccountName",
        "configurationAccountName",
    ]);
    draft.not_represented(format!(
        "{path}.canaryConfigId: the canary config's metrics live in Kayenta, not in the pipeline; \
         rollsim judges error rate (critical), p99 and p50"
    ));
    draft.unread(&config, "ignored");
    Ok(lifetime)
}

fn canary_capacity(stage: &Obj<'_>) -> Result<Option<u32>, ScenarioError> {
    let Some(deployments) = stage.get("deployments") else {
        return Ok(None);
    };
    let deployments = deployments.obj()?;
    let Some(pairs) = deployments.get("serverGroupPairs") else {
        return Ok(None);
    };
    let Some(first) = pairs.items()?.first() else {
        return Ok(None);
    };
    let pair = Field {
        node: first,
        path: format!("{}[0]", pairs.path),
        file: pairs.file,
    }
    .obj()?;
    let Some(canary) = pair.get("canary") else {
        return Ok(None);
    };
    let canary = canary.obj()?;
    let Some(capacity) = canary.get("capacity") else {
        return Ok(None);
    };
    capacity.obj()?.with("desired", |f| f.u32_up_to(100_000))
}

/// Maps one cluster of a deploy stage; returns the name it gives the service.
fn cluster(
    draft: &mut Draft,
    cluster: &Obj<'_>,
    judgment: &Judgment,
) -> Result<Option<String>, ScenarioError> {
    let path = cluster.path.clone();
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    let name = cluster.str("application")?;
    let strategy_field = cluster
        .get("strategy")
        .ok_or_else(|| cluster.error(&at("strategy"), "missing: the cluster needs a deploy `strategy` (redblack, highlander or rollingredblack)"))?;
    let strategy = strategy_field.str()?;
    draft.spec.strategy = match strategy {
        "redblack" => Strategy::RedBlack,
        "highlander" => Strategy::Highlander,
        "rollingredblack" => Strategy::RollingRedBlack,
        other => {
            return Err(strategy_field.error(format!(
                "must be redblack, highlander or rollingredblack, got {other:?} (\"\" and \"none\" \
                 keep both groups serving, \"custom\" runs another pipeline: neither is a rollout \
                 rollsim can rehearse)"
            )));
        }
    };
    draft.came_from("strategy", &at("strategy"));
    if let Some(capacity) = cluster.get("capacity") {
        let desired = capacity.obj()?.with("desired", |f| f.u32_up_to(u32::MAX))?;
        if let Some(desired) = desired {
            draft.not_represented(format!(
                "{} ({desired}): rollsim takes the size from the model's layer `instances`",
                at("capacity.desired")
            ));
        }
    }
    let rollback = match cluster.get("rollback") {
        Some(r) => r.obj()?.with("onFailure", |f| f.bool())?,
        None => None,
    };
    if rollback != Some(true) {
        draft.not_represented(format!(
            "{}: without it Spinnaker leaves a failed deploy in place; rollsim always rolls back",
            at("rollback.onFailure")
        ));
    }
    if let Some(percent) = cluster.with("targetHealthyDeployPercentage", |f| f.f64())?
        && percent < 100.0
    {
        draft.not_represented(format!(
            "{} ({percent}%): rollsim waits for every new instance to be healthy",
            at("targetHealthyDeployPercentage")
        ));
    }
    if let Some(delay) = cluster.with("delayBeforeDisableSec", |f| f.seconds())?
        && !delay.is_zero()
    {
        draft.not_represented(format!(
            "{} ({delay}): both groups serve together before the old one is disabled; rollsim \
                 switches at once",
            at("delayBeforeDisableSec")
        ));
    }
    if draft.spec.strategy == Strategy::RollingRedBlack {
        rolling_steps(draft, cluster, &at)?;
    }
    if !judgment.judged {
        draft.never_judge("the pipeline has no canary analysis or judgment stage; the deploy stage checks health only");
    }
    cleanup(draft, cluster, judgment, &at)?;
    cluster.skip(&["rollback", "capacity", "targetHealthyDeployPercentage"]);
    draft.ignore(cluster.unread());
    Ok(name)
}

fn rolling_steps(
    draft: &mut Draft,
    cluster: &Obj<'_>,
    at: &dyn Fn(&str) -> String,
) -> Result<(), ScenarioError> {
    let percentages = cluster.with("targetPercentages", |f| {
        f.items_up_to(MAX_ITEMS)?
            .iter()
            .enumerate()
            .map(|(i, node)| {
                Field {
                    node,
                    path: format!("{}[{i}]", f.path),
                    file: f.file,
                }
                .f64()
            })
            .collect::<Result<Vec<f64>, _>>()
    })?;
    match percentages {
        Some(mut list) => {
            if list.last() != Some(&100.0) {
                list.push(100.0);
                draft.not_represented(format!(
                    "{}: does not end at 100; Spinnaker finishes at 100%, and so does rollsim",
                    at("targetPercentages")
                ));
            }
            draft.spec.rolling_red_black.target_percentages = list;
            draft.came_from(
                "rolling_red_black.target_percentages",
                &at("targetPercentages"),
            );
        }
        None => {
            draft.spec.rolling_red_black.target_percentages = vec![50.0, 100.0];
            draft.tool_default(
                "rolling_red_black.target_percentages",
                TOOL,
                &at("targetPercentages"),
            );
        }
    }
    draft.spec.rolling_red_black.pause = draft.first_check();
    draft.assumed(
        "rolling_red_black.pause",
        "Spinnaker moves to the next percentage once the new instances are healthy; rollsim holds each for one analysis check",
    );
    if cluster.get("pipelineBeforeCleanup").is_some() {
        draft.not_represented(format!(
            "{}: a pipeline run between steps is not simulated",
            at("pipelineBeforeCleanup")
        ));
    }
    if let Some(delay) = cluster.with("delayBeforeCleanup", |f| f.f64())? {
        draft.not_represented(format!(
            "{} ({delay}): a wait before the old group is cleaned up; rollsim cleans up after the bake",
            at("delayBeforeCleanup")
        ));
    }
    Ok(())
}

fn cleanup(
    draft: &mut Draft,
    cluster: &Obj<'_>,
    judgment: &Judgment,
    at: &dyn Fn(&str) -> String,
) -> Result<(), ScenarioError> {
    let scale_down_given = cluster.with("scaleDown", |f| f.bool())?;
    let scale_down = scale_down_given.unwrap_or(false);
    let scale_down_delay = cluster.with("delayBeforeScaleDownSec", |f| f.seconds())?;
    let max_remaining = cluster.with("maxRemainingAsgs", |f| f.u32_up_to(1000))?;
    if let Some(delay) = scale_down_delay
        && (!scale_down || max_remaining == Some(1))
    {
        draft.not_represented(format!(
            "{} ({delay}): Spinnaker waits it only before scaling the old group down (scaleDown \
             true, maxRemainingAsgs above 1); it has no effect here",
            at("delayBeforeScaleDownSec")
        ));
    }
    let judged_after = judgment.after;
    let after_sources = judgment.after_sources.join(" + ");
    if draft.spec.strategy == Strategy::Highlander {
        if !judged_after.is_zero() {
            draft.spec.monitor = judged_after;
            draft.came_from("monitor", &after_sources);
        }
        return Ok(());
    }
    if max_remaining == Some(1) {
        draft.spec.red_black.cleanup = Cleanup::Destroy;
        draft.came_from(
            "red_black.cleanup",
            &format!("{} (1: only the new group remains)", at("maxRemainingAsgs")),
        );
    } else if scale_down {
        draft.spec.red_black.cleanup = Cleanup::ScaleDown;
        draft.came_from("red_black.cleanup", &at("scaleDown"));
    } else {
        draft.spec.red_black.cleanup = Cleanup::Disable;
        draft.came_from_or_default(
            "red_black.cleanup",
            scale_down_given.is_some(),
            TOOL,
            &at("scaleDown"),
        );
        draft.assumed(
            "red_black.disabled_for",
            "Spinnaker keeps the disabled group until a later deploy removes it (maxRemainingAsgs); rollsim's default",
        );
    }
    if let Some(max) = max_remaining.filter(|m| *m > 1) {
        draft.not_represented(format!(
            "{} ({max}): older groups beyond the previous one are not simulated",
            at("maxRemainingAsgs")
        ));
    }
    let bake_source;
    let bake = if scale_down && max_remaining != Some(1) {
        // The old group is scaled down after the delay, whatever stages follow.
        let delay = scale_down_delay.unwrap_or_default();
        bake_source = if scale_down_delay.is_some() {
            format!("from {}", at("delayBeforeScaleDownSec"))
        } else {
            format!("{TOOL} default 0 ({} unset)", at("delayBeforeScaleDownSec"))
        };
        if !judged_after.is_zero() {
            draft.spec.monitor = judged_after;
            draft.came_from(
                "monitor",
                &format!("{after_sources} (after the old group is scaled down)"),
            );
        }
        delay
    } else {
        bake_source = if after_sources.is_empty() {
            "assumed: nothing judges after the deploy; rollsim's shortest judged bake".to_string()
        } else {
            format!("from {after_sources}")
        };
        judged_after
    };
    draft.spec.red_black.bake = draft.judged_phase(
        "red_black.bake",
        bake,
        "the time the old group stays warm after the switch",
    );
    draft
        .origins
        .insert("red_black.bake".to_string(), bake_source);
    Ok(())
}

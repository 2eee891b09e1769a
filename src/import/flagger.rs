//! Flagger: a `Canary` (`flagger.app/v1beta1`) and the `MetricTemplate`s it names when
//! they are in the same file.
//!
//! # Mapping
//! | Flagger | rollsim |
//! |---|---|
//! | `analysis.stepWeight` until the weight reaches `maxWeight` (100), or `stepWeights` | `canary` steps, each held one `interval` (one check, as Flagger advances after each passing check); the weights as [`super::flagger_traffic`] works them out |
//! | `analysis.iterations`, or `provider: kubernetes` (blue/green, A/B) | `red-black`, the `iterations × interval` of checks as the bake (iterations win over weights, as in Flagger) |
//! | `analysis.interval` (60 s, at least 10 s) | `analysis.interval` |
//! | `analysis.threshold` (1) | `analysis.failure_limit`, counted in all (`failure_counting = "total"`: Flagger's `failedChecks`) |
//! | `request-success-rate` `thresholdRange.min` (percent) | `analysis.max_error_rate` = 1 − min/100 |
//! | `request-duration` `thresholdRange.max` (ms) | not represented: an absolute p99 |
//! | a metric with `templateRef` | its `MetricTemplate`'s query, through [`super::metrics`] |
//! | `progressDeadlineSeconds` (600) | the launch deadline, from the last progress: `canary.healthy_deadline` (a canary) or `red_black.healthy_deadline` (iterations); and `rolling.healthy_deadline` |

use std::path::Path;

use super::detect::{Document, find_template};
use super::flagger_traffic::{TOTAL_WEIGHT, stepped_weights};
use super::metrics::{self, Bound};
use super::tree::{Field, Obj};
use super::{Draft, Imported, MANUAL_PROMOTION_AFTER};
use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{Cleanup, FailureCounting, Strategy, WeightStep};

const TOOL: &str = "Flagger";
/// Most metrics or webhooks read.
const MAX_ITEMS: usize = 100;
/// Flagger's shortest analysis interval.
const MIN_INTERVAL: SimDuration = SimDuration::from_secs(10);

pub(crate) fn import(
    root: &Obj<'_>,
    documents: &[Document],
    file: &Path,
) -> Result<Imported, ScenarioError> {
    let metadata_name = root.with("metadata", |m| m.obj()?.str("name"))?.flatten();
    let spec = root
        .get("spec")
        .ok_or_else(|| {
            root.error(
                "spec",
                "missing: a Canary needs a `spec` with `targetRef` and `analysis`",
            )
        })?
        .obj()?;
    let target = spec.with("targetRef", |f| f.obj()?.str("name"))?.flatten();
    let name = target.clone().or(metadata_name);
    let mut draft = Draft::new(name.as_deref());
    draft.ignore(spec.has("targetRef").then(|| "spec.targetRef".to_string()));
    let provider = spec.str("provider")?;
    if spec.with("suspend", |f| f.bool())? == Some(true) {
        draft.not_represented(
            "spec.suspend: Flagger skips a suspended Canary's runs until it is resumed; rollsim \
             rehearses the rollout as if resumed",
        );
    }
    draft.skip(
        &spec,
        &[
            "service",
            "metricsServer",
            "autoscalerRef",
            "ingressRef",
            "upstreamRef",
            "revertOnDeletion",
        ],
    );
    // Flagger rolls back when the canary Deployment stops making progress for that long
    // (Kubernetes' progress condition), not when it is not complete by then.
    draft.progress_deadline_aborts(&spec, TOOL)?;
    if spec.with("skipAnalysis", |f| f.bool())? == Some(true) {
        draft.not_represented(
            "spec.skipAnalysis: Flagger promotes without analysis; rollsim still runs the steps, \
             with checks that never fail",
        );
        draft.never_judge("spec.skipAnalysis");
    }
    let analysis = spec
        .get("analysis")
        .or_else(|| spec.get("canaryAnalysis"))
        .ok_or_else(|| {
            spec.error(
                "spec.analysis",
                "missing: a Canary needs an `analysis` (interval, threshold, and stepWeight, \
                 stepWeights or iterations)",
            )
        })?
        .obj()?;
    let mode = map_analysis(&mut draft, &analysis, provider.as_deref(), documents, file)?;
    draft.unread(&spec, "ignored");
    Ok(draft.finish_as("Flagger Canary", mode, name))
}

fn map_analysis(
    draft: &mut Draft,
    analysis: &Obj<'_>,
    provider: Option<&str>,
    documents: &[Document],
    file: &Path,
) -> Result<&'static str, ScenarioError> {
    let path = analysis.path.clone();
    let interval = analysis.with("interval", |f| f.duration())?;
    let present = interval.is_some();
    if let Some(short) = interval.filter(|i| *i < MIN_INTERVAL) {
        draft.not_represented(format!(
            "{path}.interval ({short}): Flagger runs its checks at most every {MIN_INTERVAL}, and \
             so does rollsim"
        ));
    }
    let interval = interval
        .unwrap_or(SimDuration::from_secs(60))
        .max(MIN_INTERVAL);
    draft.spec.analysis.interval = interval;
    draft.came_from_or_default(
        "analysis.interval",
        present,
        TOOL,
        &format!("{path}.interval"),
    );
    let threshold = analysis
        .with("threshold", |f| f.u32_up_to(100))?
        .filter(|t| *t > 0);
    draft.spec.analysis.failure_limit = threshold.unwrap_or(1);
    draft.came_from_or_default(
        "analysis.failure_limit",
        threshold.is_some(),
        TOOL,
        &format!("{path}.threshold"),
    );
    // Flagger adds one to the Canary's `failedChecks` on every failed check and rolls
    // back once it reaches the threshold; only a new revision resets it, a passing check
    // does not (pkg/controller/scheduler.go: `SetStatusFailedChecks(cd,
    // cd.Status.FailedChecks+1)`, `FailedChecks >= GetAnalysisThreshold()`).
    draft.spec.analysis.failure_counting = FailureCounting::Total;
    draft.came_from(
        "analysis.failure_counting",
        &format!("{path}.threshold: Flagger counts every failed check (failedChecks)"),
    );
    map_metrics(draft, analysis, documents, file)?;
    map_webhooks(draft, analysis, file)?;
    draft.skip(analysis, &["alerts", "sessionAffinity"]);
    if analysis.with("mirror", |f| f.bool())? == Some(true) {
        analysis.skip(&["mirrorWeight"]);
        draft.not_represented(format!(
            "{path}.mirror: mirrored traffic is not simulated; the new version is judged on the \
             traffic it serves"
        ));
    }
    let step_weights = analysis.with("stepWeights", |f| {
        let mut weights = Vec::new();
        for (i, node) in f.items_up_to(TOTAL_WEIGHT as usize)?.iter().enumerate() {
            let item = Field {
                node,
                path: format!("{}[{i}]", f.path),
                file,
            };
            let weight = item.u32_up_to(TOTAL_WEIGHT)?;
            if weight <= weights.last().copied().unwrap_or(0) {
                return Err(item.error(format!(
                    "must be above the weight before it (Flagger's canary stalls otherwise), got \
                     {weight}"
                )));
            }
            weights.push(weight);
        }
        Ok(weights)
    })?;
    let step_weight = analysis
        .with("stepWeight", |f| f.u32_up_to(TOTAL_WEIGHT))?
        .filter(|w| *w > 0);
    let max_weight = analysis
        .with("maxWeight", |f| f.u32_up_to(TOTAL_WEIGHT))?
        .filter(|w| *w > 0);
    if let Some(promotion) = analysis.with("stepWeightPromotion", |f| f.f64())? {
        draft.not_represented(format!(
            "{path}.stepWeightPromotion ({promotion}): rollsim promotes in one move"
        ));
    }
    let iterations = analysis
        .with("iterations", |f| f.u32_up_to(10_000))?
        .filter(|n| *n > 0);
    let matched = analysis.get("match").is_some();
    let kubernetes = provider == Some("kubernetes");
    let mode = if kubernetes || iterations.is_some() {
        let iterations = iterations.unwrap_or_else(|| {
            draft.not_represented(format!(
                "{path}.iterations is unset: with provider kubernetes Flagger runs blue/green with \
                 10 iterations"
            ));
            10
        });
        if matched && kubernetes {
            draft.not_represented(format!(
                "{path}.match: the kubernetes provider cannot route by request; Flagger runs \
                 blue/green instead of A/B testing"
            ));
        }
        for (key, set) in [
            ("stepWeight", step_weight.is_some()),
            ("stepWeights", step_weights.is_some()),
            ("maxWeight", max_weight.is_some()),
        ] {
            if set {
                draft.not_represented(format!(
                    "{path}.{key}: unused, as in Flagger: iterations (or provider kubernetes) \
                     select blue/green"
                ));
            }
        }
        let ab = matched && !kubernetes;
        blue_green(draft, iterations, interval, &path, ab);
        if ab { "A/B testing" } else { "blue/green" }
    } else if let Some(step) = step_weight {
        let (max, max_source) = match (&step_weights, max_weight) {
            (Some(weights), _) => (
                weights.last().copied().unwrap_or(TOTAL_WEIGHT),
                format!("the last of {path}.stepWeights"),
            ),
            (None, Some(max)) => (max, format!("{path}.maxWeight")),
            (None, None) => (
                TOTAL_WEIGHT,
                "the Flagger default maxWeight 100".to_string(),
            ),
        };
        let weights: Vec<f64> = stepped_weights(step, max)
            .into_iter()
            .map(f64::from)
            .collect();
        let source = format!(
            "{path}.stepWeight × k until the weight reaches {max_source} (the last step may pass \
             it, as in Flagger)"
        );
        canary_steps(draft, &weights, &source, interval, &path);
        "canary"
    } else if let Some(weights) = step_weights.filter(|w| !w.is_empty()) {
        let weights: Vec<f64> = weights.into_iter().map(f64::from).collect();
        canary_steps(
            draft,
            &weights,
            &format!("{path}.stepWeights[k]"),
            interval,
            &path,
        );
        "canary, stepWeights"
    } else {
        return Err(analysis.error(
            &path,
            "needs `stepWeight`, `stepWeights` or `iterations`: without them Flagger has no way to \
             shift traffic",
        ));
    };
    draft.unread(analysis, "ignored");
    Ok(mode)
}

fn canary_steps(
    draft: &mut Draft,
    weights: &[f64],
    source: &str,
    interval: SimDuration,
    path: &str,
) {
    draft.spec.strategy = Strategy::Canary;
    draft.came_from("strategy", path);
    draft.spec.canary.steps = Vec::new();
    for (k, weight) in weights.iter().enumerate() {
        let field = format!("canary.steps[{k}].pause");
        let pause = draft.judged_phase(&field, interval, &format!("{path}.interval"));
        draft.spec.canary.steps.push(WeightStep {
            weight: *weight,
            pause,
            scale: None,
        });
        draft.came_from(
            &format!("canary.steps[{k}].weight"),
            &source.replace("[k]", &format!("[{k}]")),
        );
        draft.came_from(&field, &format!("{path}.interval (one check per weight)"));
    }
    draft.spec.canary.scale_down_delay = SimDuration::ZERO;
    draft.assumed(
        "canary.scale_down_delay",
        "Flagger rolls the primary onto the new version at promotion; no old pods linger",
    );
}

fn blue_green(
    draft: &mut Draft,
    iterations: u32,
    interval: SimDuration,
    path: &str,
    matched: bool,
) {
    draft.spec.strategy = Strategy::RedBlack;
    draft.came_from(
        "strategy",
        &format!("{path}.iterations (they select blue/green in Flagger)"),
    );
    let checks = interval.saturating_mul(iterations as u64);
    draft.spec.red_black.bake = draft.judged_phase(
        "red_black.bake",
        checks,
        &format!("{path}.iterations × interval"),
    );
    draft.came_from(
        "red_black.bake",
        &format!("{path}.iterations × {path}.interval"),
    );
    draft.spec.red_black.cleanup = Cleanup::Destroy;
    draft.assumed(
        "red_black.cleanup",
        "Flagger rolls the primary onto the new version and scales the canary to zero",
    );
    let before = if matched {
        "on the requests matching `match` (a share rollsim cannot know)"
    } else {
        "on test traffic only"
    };
    draft.not_represented(format!(
        "{path}.iterations: Flagger judges the new version {before} before switching; rollsim \
         switches first and judges the same checks on all traffic (the bake)"
    ));
}

fn map_metrics(
    draft: &mut Draft,
    analysis: &Obj<'_>,
    documents: &[Document],
    file: &Path,
) -> Result<(), ScenarioError> {
    let Some(list) = analysis.get("metrics") else {
        draft.never_judge("the analysis has no metrics; Flagger's checks then always pass");
        return Ok(());
    };
    let items = list.items_up_to(MAX_ITEMS)?;
    if items.is_empty() {
        draft.never_judge("the analysis has no metrics; Flagger's checks then always pass");
    }
    draft.analysis_named |= !items.is_empty();
    for (i, node) in items.iter().enumerate() {
        let path = format!("{}[{i}]", list.path);
        let metric = Field {
            node,
            path: path.clone(),
            file,
        }
        .obj()?;
        let name = metric.str("name")?.unwrap_or_default();
        let legacy_threshold = metric.get("thresholdRange").is_none();
        let range = match metric.get("thresholdRange") {
            Some(range) => {
                let range = range.obj()?;
                (
                    range.with("min", |f| f.f64())?,
                    range.with("max", |f| f.f64())?,
                )
            }
            None => (None, metric.with("threshold", |f| f.f64())?),
        };
        let bound = match range {
            (Some(min), _) => Some(Bound::AtLeast(min)),
            (None, Some(max)) => Some(Bound::AtMost(max)),
            (None, None) => None,
        };
        if let Some(window) = metric.with("interval", |f| f.duration())?
            && window != draft.spec.analysis.interval
        {
            draft.not_represented(format!(
                "{path}.interval ({window}): the query's window; rollsim measures each check \
                     over the analysis interval ({})",
                draft.spec.analysis.interval
            ));
        }
        match name.as_str() {
            "request-success-rate" => {
                // Flagger's legacy `threshold` on its built-in success rate is a minimum
                // ("minimum req success rate (non 5xx responses) percentage (0-100)",
                // Flagger docs, "Canary analysis" / metrics), like `thresholdRange.min`.
                let (bound, field) = match (legacy_threshold, range.1) {
                    (true, Some(min)) => (Some(Bound::AtLeast(min)), "threshold"),
                    _ => (bound, "thresholdRange.min"),
                };
                if let Some(Bound::AtLeast(min)) = bound {
                    draft.limit_error_rate(
                        ((100.0 - min) / 100.0 * 1e9).round() / 1e9,
                        &format!("{path}.{field} ({min}% success)"),
                    );
                } else {
                    metrics::apply(draft, &path, &name, "", bound);
                }
            }
            "request-duration" => {
                draft.not_represented(format!(
                    "{path} (request-duration ≤ {} ms): an absolute p99; rollsim judges p99 only \
                     relative to the old version's, so latency is not judged (set \
                     analysis.max_latency_p99_ratio to judge it that way)",
                    range.1.map_or_else(|| "?".to_string(), |m| m.to_string()),
                ));
            }
            _ => {
                let query = match metric.get("templateRef") {
                    Some(reference) => template_query(draft, &reference.obj()?, documents)?,
                    None => metric.str("query")?,
                };
                match query {
                    Some(query) => metrics::apply(draft, &path, &name, &query, bound),
                    None => draft.missing_template(format!(
                        "{path} ({name}): its query is not among the files given, so what it \
                         measures is unknown; not judged"
                    )),
                }
            }
        }
    }
    Ok(())
}

/// The query of the `MetricTemplate` named by `reference`, if in the file.
fn template_query(
    draft: &mut Draft,
    reference: &Obj<'_>,
    documents: &[Document],
) -> Result<Option<String>, ScenarioError> {
    draft.skip(reference, &["namespace"]);
    let Some(name) = reference.str("name")? else {
        return Ok(None);
    };
    let Some(template) = find_template(documents, &["MetricTemplate"], &name) else {
        draft.not_represented(format!(
            "{}.name: the MetricTemplate {name:?} is not among the files given (give its file too, \
             or the directory that holds both)",
            reference.path
        ));
        return Ok(None);
    };
    let root = Obj::root(&template.node, &template.file)?;
    let spec = root.with("spec", |f| f.obj()?.str("query"))?.flatten();
    Ok(spec)
}

fn map_webhooks(draft: &mut Draft, analysis: &Obj<'_>, file: &Path) -> Result<(), ScenarioError> {
    let Some(list) = analysis.get("webhooks") else {
        return Ok(());
    };
    for (i, node) in list.items_up_to(MAX_ITEMS)?.iter().enumerate() {
        let path = format!("{}[{i}]", list.path);
        let hook = Field {
            node,
            path: path.clone(),
            file,
        }
        .obj()?;
        let name = hook.str("name")?.unwrap_or_default();
        let kind = hook.str("type")?.unwrap_or_else(|| "rollout".to_string());
        let what = match kind.as_str() {
            "confirm-rollout" | "confirm-promotion" | "confirm-traffic-increase" => format!(
                "a manual gate: assumed the person confirms after {MANUAL_PROMOTION_AFTER} at most, \
                 which rollsim does not add"
            ),
            "rollout" => "a check or load test run at every interval: its verdict and any load \
                          it generates are not simulated"
                .to_string(),
            "pre-rollout" | "post-rollout" => {
                "a hook outside the traffic shift: not simulated".to_string()
            }
            "rollback" => "a manual rollback hook: not simulated".to_string(),
            _ => "notifications: no effect".to_string(),
        };
        draft.not_represented(format!("{path} ({kind} {name:?}): {what}"));
    }
    Ok(())
}

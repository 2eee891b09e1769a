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
//! metric's `failureLimit` (0) allows that many failed measurements, so rollsim aborts
//! after `failureLimit + 1` failed checks.

use std::path::Path;

use super::detect::{Document, find_template, metadata_name};
use super::metrics;
use super::tree::{self, Field, Node, Obj};
use super::{Draft, Imported, MANUAL_PROMOTION_AFTER};
use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::rollout::{CanaryTraffic, Cleanup, Count, Strategy, WeightStep};

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

fn blue_green_strategy(
    draft: &mut Draft,
    bg: &Obj<'_>,
    documents: &[Document],
) -> Result<(), ScenarioError> {
    let path = bg.path.clone();
    draft.spec.strategy = Strategy::RedBlack;
    draft.came_from("strategy", &path);
    draft.skip(
        bg,
        &[
            "activeService",
            "previewService",
            "activeMetadata",
            "previewMetadata",
            "antiAffinity",
        ],
    );
    let auto = bg
        .with("autoPromotionEnabled", |f| f.bool())?
        .unwrap_or(true);
    if !auto {
        draft.not_represented(format!(
            "{path}.autoPromotionEnabled is false (a person promotes): rollsim switches as soon as \
             the new cluster is healthy"
        ));
    }
    if let Some(wait) = bg.with("autoPromotionSeconds", |f| f.seconds())? {
        draft.not_represented(format!(
            "{path}.autoPromotionSeconds ({wait}): rollsim switches as soon as the new cluster is \
             healthy, without waiting"
        ));
    }
    if let Some(preview) = bg.with("previewReplicaCount", |f| f.u32_up_to(u32::MAX))? {
        draft.not_represented(format!(
            "{path}.previewReplicaCount ({preview}): the preview stack takes no production traffic, \
             so rollsim launches the full new cluster at once"
        ));
    }
    if let Some(pre) = bg.get("prePromotionAnalysis") {
        let run = analysis_run(draft, &pre.obj()?, documents)?;
        draft.not_represented(format!(
            "{}: judges the preview stack on test traffic before the switch ({}); rollsim has no \
             test traffic, so its thresholds judge the bake after the switch instead",
            pre.path,
            run.map_or_else(|| "length unknown".to_string(), |d| d.to_string())
        ));
    }
    let post = match bg.get("postPromotionAnalysis") {
        Some(post) => analysis_run(draft, &post.obj()?, documents)?.map(|d| (d, post.path.clone())),
        None => None,
    };
    if !draft_has_analysis(draft) {
        draft.never_judge(&no_analysis_reason(draft, "readiness"));
    }
    match post {
        Some((length, source)) => {
            draft.spec.red_black.bake = draft.judged_phase("red_black.bake", length, &source);
            draft.came_from(
                "red_black.bake",
                &format!("{source} (the analysis run's length)"),
            );
        }
        None => {
            draft.spec.red_black.bake = draft.first_check();
            draft.assumed(
                "red_black.bake",
                "no postPromotionAnalysis: Argo does not bake; rollsim's shortest judged bake",
            );
        }
    }
    let delay = bg.with("scaleDownDelaySeconds", |f| f.seconds())?;
    draft.spec.red_black.cleanup = Cleanup::Disable;
    draft.assumed(
        "red_black.cleanup",
        "Argo keeps the old stack running for scaleDownDelaySeconds, then scales it to zero",
    );
    draft.spec.red_black.disabled_for = delay.unwrap_or(SimDuration::from_secs(30));
    draft.came_from_or_default(
        "red_black.disabled_for",
        delay.is_some(),
        TOOL,
        &format!("{path}.scaleDownDelaySeconds"),
    );
    abort_delay(draft, bg)?;
    draft.skip(bg, &["scaleDownDelayRevisionLimit"]);
    draft.unread(bg, "ignored");
    Ok(())
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

/// One segment of the canary: a weight and how long it holds, with the origins.
struct Segment {
    weight: f64,
    weight_source: String,
    hold: SimDuration,
    hold_sources: Vec<String>,
}

fn canary_strategy(
    draft: &mut Draft,
    canary: &Obj<'_>,
    documents: &[Document],
    file: &Path,
) -> Result<(), ScenarioError> {
    let path = canary.path.clone();
    draft.skip(
        canary,
        &[
            "canaryService",
            "stableService",
            "canaryMetadata",
            "stableMetadata",
            "antiAffinity",
            "pingPong",
        ],
    );
    for (key, field) in [
        ("maxSurge", "rolling.max_surge"),
        ("maxUnavailable", "rolling.max_unavailable"),
    ] {
        let value = canary.with(key, |f| f.count())?;
        let count = value.unwrap_or(Count::Percent(25.0));
        if field == "rolling.max_surge" {
            draft.spec.rolling.max_surge = count;
        } else {
            draft.spec.rolling.max_unavailable = count;
        }
        draft.came_from_or_default(field, value.is_some(), TOOL, &format!("{path}.{key}"));
    }
    // Without a traffic router Argo sizes the canary ⌈n·w⌉ and the stable ⌈n·(1−w)⌉ and
    // the Service spreads requests over their pods (utils/replicaset/canary.go,
    // CalculateReplicaCountsForCanary): the canary's real share is its share of pods.
    if canary.get("trafficRouting").is_none() {
        draft.spec.canary.traffic = CanaryTraffic::Replicas;
        draft.assumed(
            "canary.traffic",
            format!(
                "{path}.trafficRouting is unset: Argo sizes canary and stable by the weight and \
                 the Service splits traffic by pods, so a step's real share is the canary's \
                 share of pods, not setWeight"
            ),
        );
    }
    if canary.with("dynamicStableScale", |f| f.bool())? == Some(true) {
        draft.not_represented(format!(
            "{path}.dynamicStableScale: Argo shrinks the stable stack as the canary's weight grows; \
             rollsim keeps the old cluster at full size until promotion"
        ));
    }
    let delay = canary.with("scaleDownDelaySeconds", |f| f.seconds())?;
    draft.spec.canary.scale_down_delay = delay.unwrap_or(SimDuration::from_secs(30));
    draft.came_from_or_default(
        "canary.scale_down_delay",
        delay.is_some(),
        TOOL,
        &format!("{path}.scaleDownDelaySeconds"),
    );
    abort_delay(draft, canary)?;
    if let Some(background) = canary.get("analysis") {
        let background = background.obj()?;
        analysis_run(draft, &background, documents)?;
        if let Some(step) = background.with("startingStep", |f| f.u32_up_to(u32::MAX))? {
            draft.not_represented(format!(
                "{}.startingStep ({step}): rollsim judges from the first step",
                background.path
            ));
        }
    }
    let steps = match canary.get("steps") {
        Some(steps) => Some((steps.items_up_to(MAX_ITEMS)?.to_vec(), steps.path.clone())),
        None => None,
    };
    // Inline analyses set thresholds too: read them before judging lengths.
    let mut inline_runs = Vec::new();
    if let Some((items, steps_path)) = &steps {
        for (i, node) in items.iter().enumerate() {
            let step = Field {
                node,
                path: format!("{steps_path}[{i}]"),
                file,
            }
            .obj()?;
            if let Some(analysis) = step.get("analysis") {
                inline_runs.push((i, analysis_run(draft, &analysis.obj()?, documents)?));
            }
        }
    }
    if !draft_has_analysis(draft) {
        draft.never_judge(&no_analysis_reason(draft, "readiness and pauses"));
    }
    let Some((items, steps_path)) = steps.filter(|(items, _)| !items.is_empty()) else {
        draft.spec.strategy = Strategy::Rolling;
        draft.came_from("strategy", &format!("{path} without steps (Argo updates like a Deployment, within maxSurge/maxUnavailable)"));
        draft.unread(canary, "ignored");
        return Ok(());
    };
    draft.spec.strategy = Strategy::Canary;
    draft.came_from("strategy", &path);
    let mut segments: Vec<Segment> = Vec::new();
    let mut weight = 0.0;
    for (i, node) in items.iter().enumerate() {
        let step_path = format!("{steps_path}[{i}]");
        let step = Field {
            node,
            path: step_path.clone(),
            file,
        }
        .obj()?;
        if let Some(field) = step.get("setWeight") {
            let w = field.f64()?;
            if !(0.0..=100.0).contains(&w) {
                return Err(field.error(format!("must be between 0 and 100, got {w}")));
            }
            let others = step.unread();
            if !others.is_empty() {
                draft.not_represented(format!(
                    "{}: set in the same step as setWeight; Argo allows one action per step, so \
                     rollsim uses setWeight only",
                    others.join(", ")
                ));
            }
            if w <= weight {
                draft.not_represented(format!(
                    "{step_path}.setWeight ({w}) does not raise the weight above {weight}: rollsim's \
                     weights only increase; step skipped"
                ));
                continue;
            }
            weight = w;
            segments.push(Segment {
                weight: w,
                weight_source: format!("{step_path}.setWeight"),
                hold: SimDuration::ZERO,
                hold_sources: Vec::new(),
            });
            continue;
        }
        let hold = if let Some(pause) = step.get("pause") {
            let pause = pause.obj()?;
            let duration = pause.with("duration", |f| f.duration())?;
            draft.unread(&pause, "ignored");
            match duration {
                Some(d) => Some((d, format!("{step_path}.pause.duration"))),
                None => {
                    draft.not_represented(format!(
                        "{step_path}.pause has no duration (it waits for a person to promote): \
                         assumed promotion after {MANUAL_PROMOTION_AFTER}"
                    ));
                    Some((
                        MANUAL_PROMOTION_AFTER,
                        format!("{step_path}.pause (indefinite; assumed {MANUAL_PROMOTION_AFTER})"),
                    ))
                }
            }
        } else if step.has("analysis") {
            let _ = step.get("analysis");
            let length = inline_runs
                .iter()
                .find(|(k, _)| *k == i)
                .and_then(|(_, d)| *d);
            Some(match length {
                Some(d) => (d, format!("{step_path}.analysis (the run's length)")),
                None => {
                    draft.not_represented(format!(
                        "{step_path}.analysis: its length is unknown (templates not in the file, or \
                         a metric without count): assumed one analysis interval"
                    ));
                    (
                        draft.spec.analysis.interval,
                        format!("{step_path}.analysis (assumed one interval)"),
                    )
                }
            })
        } else {
            for key in [
                "setCanaryScale",
                "experiment",
                "setHeaderRoute",
                "setMirrorRoute",
                "plugin",
            ] {
                if step.has(key) {
                    let _ = step.get(key);
                    draft.not_represented(format!(
                        "{step_path}.{key}: not represented (rollsim sizes the canary by its \
                         weight and routes by weight only)"
                    ));
                }
            }
            draft.unread(&step, "step skipped");
            None
        };
        if let Some((d, source)) = hold {
            draft.unread(&step, "ignored");
            match segments.last_mut() {
                Some(segment) => {
                    segment.hold += d;
                    segment.hold_sources.push(source);
                }
                None => draft.not_represented(format!(
                    "{source}: a hold before any setWeight (no canary traffic yet) is not represented"
                )),
            }
        }
    }
    if segments.is_empty() {
        return Err(canary.error(
            &steps_path,
            "no step sets a weight (`setWeight`): rollsim's canary needs at least one",
        ));
    }
    draft.spec.canary.steps = Vec::new();
    for (k, segment) in segments.into_iter().enumerate() {
        let field = format!("canary.steps[{k}].pause");
        let what = if segment.hold_sources.is_empty() {
            format!(
                "{} (no pause: Argo moves on once the canary is ready)",
                segment.weight_source
            )
        } else {
            format!("the hold at {}", segment.weight_source)
        };
        let pause = draft.judged_phase(&field, segment.hold, &what);
        draft.spec.canary.steps.push(WeightStep {
            weight: segment.weight,
            pause,
        });
        draft.came_from(&format!("canary.steps[{k}].weight"), &segment.weight_source);
        if segment.hold_sources.is_empty() {
            draft.assumed(
                &field,
                format!("{} has no pause; one analysis check", segment.weight_source),
            );
        } else {
            draft.came_from(&field, &segment.hold_sources.join(" + "));
        }
    }
    draft.unread(canary, "ignored");
    Ok(())
}

/// Reads an analysis reference (`templates`, `args`): maps each template's metrics in
/// the file onto the draft; returns the run's length if it is known.
fn analysis_run(
    draft: &mut Draft,
    analysis: &Obj<'_>,
    documents: &[Document],
) -> Result<Option<SimDuration>, ScenarioError> {
    draft.skip(
        analysis,
        &[
            "args",
            "measurementRetention",
            "analysisRunMetadata",
            "startingStep",
        ],
    );
    let dry_run = dry_run_metrics(analysis)?;
    let args = analysis_args(analysis)?;
    // Argo before v1.0 named one template with `templateName` beside the arguments.
    let legacy = analysis.get("templateName");
    let references: Vec<Field<'_>> = match analysis.get("templates") {
        Some(templates) => templates
            .items_up_to(MAX_ITEMS)?
            .iter()
            .enumerate()
            .map(|(i, node)| Field {
                node,
                path: format!("{}[{i}]", templates.path),
                file: templates.file,
            })
            .collect(),
        None => match &legacy {
            Some(name) => vec![Field {
                node: analysis.node(),
                path: analysis.path.clone(),
                file: name.file,
            }],
            None => {
                draft.unread(analysis, "ignored");
                return Ok(None);
            }
        },
    };
    let mut longest: Option<SimDuration> = None;
    draft.analysis_named |= !references.is_empty();
    for reference in references {
        let reference = reference.obj()?;
        let name = reference
            .str("templateName")?
            .ok_or_else(|| reference.error(&reference.path, "missing `templateName`"))?;
        draft.skip(&reference, &["clusterScope"]);
        let Some(template) = find_template(
            documents,
            &["AnalysisTemplate", "ClusterAnalysisTemplate"],
            &name,
        ) else {
            draft.missing_template(format!(
                "{}.templateName: the AnalysisTemplate {name:?} is not among the files given, so \
                 its metrics are unknown and not judged (give the template's file too, or the \
                 directory that holds both)",
                reference.path
            ));
            continue;
        };
        // The template's own defaults, overridden by the values the Rollout passes.
        let mut filled = template_defaults(template)?;
        filled.extend(args.clone());
        let template_node = super::args::with_args(&template.node, &filled);
        if let Some(length) = template_metrics(draft, &template_node, &template.file, &dry_run)? {
            longest = Some(longest.map_or(length, |l| l.max(length)));
        }
    }
    draft.unread(analysis, "ignored");
    Ok(longest)
}

/// The values an analysis passes to its templates (`args: [{name, value}]`); those
/// taken from the cluster at run time (`valueFrom`) are unknown here.
fn analysis_args(
    analysis: &Obj<'_>,
) -> Result<std::collections::BTreeMap<String, String>, ScenarioError> {
    let mut args = std::collections::BTreeMap::new();
    let Some(list) = analysis.get("args") else {
        return Ok(args);
    };
    for (i, node) in list.items_up_to(MAX_ITEMS)?.iter().enumerate() {
        let arg = Field {
            node,
            path: format!("{}[{i}]", list.path),
            file: list.file,
        }
        .obj()?;
        if let (Some(name), Some(value)) = (arg.str("name")?, arg_value(&arg)?) {
            args.insert(name, value);
        }
    }
    Ok(args)
}

/// The default values of a template's `spec.args`.
fn template_defaults(
    template: &Document,
) -> Result<std::collections::BTreeMap<String, String>, ScenarioError> {
    let root = Obj::root(&template.node, &template.file)?;
    match root.get("spec") {
        Some(spec) => analysis_args(&spec.obj()?),
        None => Ok(std::collections::BTreeMap::new()),
    }
}

/// An argument's `value` as text (YAML may give a number).
fn arg_value(arg: &Obj<'_>) -> Result<Option<String>, ScenarioError> {
    let Some(value) = arg.get("value") else {
        return Ok(None);
    };
    Ok(match &value.node.value {
        tree::Value::Str(s) => Some(s.clone()),
        tree::Value::Int(n) => Some(n.to_string()),
        tree::Value::Float(x) => Some(x.to_string()),
        tree::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Maps the metrics of one AnalysisTemplate; returns its run's length if bounded.
fn template_metrics(
    draft: &mut Draft,
    template: &Node,
    file: &Path,
    dry_run: &[String],
) -> Result<Option<SimDuration>, ScenarioError> {
    let name = metadata_name(template).unwrap_or_default();
    let root = Obj::root(template, file)?;
    let Some(spec) = root.get("spec") else {
        return Ok(None);
    };
    let spec = spec.obj()?;
    draft.skip(&spec, &["args", "measurementRetention"]);
    let dry_run = [dry_run, &dry_run_metrics(&spec)?].concat();
    let Some(metrics_field) = spec.get("metrics") else {
        return Ok(None);
    };
    let mut longest: Option<SimDuration> = Some(SimDuration::ZERO);
    for (i, node) in metrics_field.items_up_to(MAX_ITEMS)?.iter().enumerate() {
        let path = format!("AnalysisTemplate {name:?} spec.metrics[{i}]");
        let metric = Field {
            node,
            path: path.clone(),
            file,
        }
        .obj()?;
        let metric_name = metric.str("name")?.unwrap_or_default();
        let interval = metric.with("interval", |f| f.duration())?;
        let count = metric.with("count", |f| f.u32_up_to(10_000))?;
        let initial_delay = metric.with("initialDelay", |f| f.duration())?;
        if let Some(interval) = interval
            && (interval < draft.spec.analysis.interval
                || !draft.origins.contains_key("analysis.interval"))
        {
            draft.spec.analysis.interval = interval.max(SimDuration::from_secs(1));
            draft.came_from("analysis.interval", &format!("{path}.interval"));
        }
        if let Some(delay) = initial_delay {
            draft.spec.analysis.delay = delay;
            draft.came_from("analysis.delay", &format!("{path}.initialDelay"));
        }
        let failure_limit = metric.with("failureLimit", |f| f.u32_up_to(99))?;
        let limit = failure_limit.unwrap_or(0) + 1;
        let dry = is_dry_run(&dry_run, &metric_name);
        if !dry
            && (!draft.origins.contains_key("analysis.failure_limit")
                || limit < draft.spec.analysis.failure_limit)
        {
            draft.spec.analysis.failure_limit = limit;
            let source = format!("{path}.failureLimit");
            if failure_limit.is_some() {
                draft.came_from("analysis.failure_limit", &format!("{source} + 1"));
            } else {
                draft.assumed("analysis.failure_limit", format!("Argo default failureLimit 0 ({source} unset): the first failed measurement fails"));
            }
        }
        draft.skip(
            &metric,
            &[
                "consecutiveErrorLimit",
                "inconclusiveLimit",
                "consecutiveSuccessLimit",
            ],
        );
        // Length of this metric's measurements.
        let length = match (interval, count) {
            (Some(i), Some(c)) => {
                Some(initial_delay.unwrap_or_default() + i.saturating_mul(c as u64))
            }
            (None, _) => Some(initial_delay.unwrap_or_default() + draft.spec.analysis.interval),
            (Some(_), None) => None, // runs until the rollout ends
        };
        longest = match (longest, length) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        let success = metric.str("successCondition")?;
        let failure = metric.str("failureCondition")?;
        let bound = success
            .as_deref()
            .and_then(|c| metrics::parse_condition(c, false))
            .or_else(|| {
                failure
                    .as_deref()
                    .and_then(|c| metrics::parse_condition(c, true))
            });
        if dry {
            metric.skip(&["provider"]);
            draft.not_represented(format!(
                "{path} ({metric_name}): a dry-run metric; Argo records it without letting it \
                 fail the rollout, so rollsim does not judge it"
            ));
            continue;
        }
        let Some(provider) = metric.get("provider") else {
            draft.not_represented(format!("{path}: no provider; not judged"));
            continue;
        };
        let provider = provider.obj()?;
        if let Some(kayenta) = provider.get("kayenta") {
            kayenta_provider(draft, &kayenta.obj()?)?;
            continue;
        }
        let query = [
            "prometheus",
            "datadog",
            "newRelic",
            "cloudWatch",
            "wavefront",
            "graphite",
            "influxdb",
            "skywalking",
        ]
        .iter()
        .find_map(|key| provider.get(key).map(|p| (key.to_string(), p)));
        match query {
            Some((_, p)) => {
                let p = p.obj()?;
                let text = p.str("query")?.unwrap_or_default();
                metrics::apply(draft, &path, &metric_name, &text, bound);
            }
            None => draft.not_represented(format!(
                "{path} ({metric_name}): a provider other than a metrics query (web, job, plugin) \
                 is not simulated; not judged"
            )),
        }
    }
    Ok(longest)
}

/// The metric names of a `dryRun` list (`[{metricName: …}]`) under `obj`.
fn dry_run_metrics(obj: &Obj<'_>) -> Result<Vec<String>, ScenarioError> {
    let Some(list) = obj.get("dryRun") else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    for (i, node) in list.items_up_to(MAX_ITEMS)?.iter().enumerate() {
        let entry = Field {
            node,
            path: format!("{}[{i}]", list.path),
            file: list.file,
        }
        .obj()?;
        names.extend(entry.str("metricName")?);
    }
    Ok(names)
}

/// Whether `metric` runs dry: named in `dry_run` (Argo's `.*` and `*` name every metric).
fn is_dry_run(dry_run: &[String], metric: &str) -> bool {
    dry_run
        .iter()
        .any(|name| name == metric || name == ".*" || name == "*")
}

/// Argo's Kayenta provider: Kayenta's judge and its score thresholds.
fn kayenta_provider(draft: &mut Draft, kayenta: &Obj<'_>) -> Result<(), ScenarioError> {
    draft.spec.analysis.judge = crate::scenario::rollout::JudgeKind::MannWhitney;
    draft.came_from("analysis.judge", &kayenta.path);
    if let Some(threshold) = kayenta.get("threshold") {
        let threshold = threshold.obj()?;
        if let Some(pass) = threshold.with("pass", |f| f.f64())? {
            draft.spec.analysis.pass_score = pass;
            draft.came_from("analysis.pass_score", &format!("{}.pass", threshold.path));
        }
        if let Some(marginal) = threshold.with("marginal", |f| f.f64())? {
            draft.spec.analysis.marginal_score = marginal;
            draft.came_from(
                "analysis.marginal_score",
                &format!("{}.marginal", threshold.path),
            );
        }
    }
    draft.not_represented(format!(
        "{}: Kayenta's canary config (its metrics and weights) is not in the file; rollsim judges \
         error rate (critical), p99 and p50",
        kayenta.path
    ));
    Ok(())
}

//! Argo's `canary` strategy: its steps (`setWeight`, `pause`, inline `analysis`) as
//! rollsim's canary steps, background analysis as thresholds judged at every step, a
//! canary without steps as a rolling update.

use super::*;

/// One segment of the canary: a weight and how long it holds, with the origins.
pub(super) struct Segment {
    weight: f64,
    weight_source: String,
    hold: SimDuration,
    hold_sources: Vec<String>,
}

pub(super) fn canary_strategy(
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
        read_step(
            draft,
            node,
            i,
            &steps_path,
            file,
            &inline_runs,
            &mut segments,
            &mut weight,
        )?;
    }
    if segments.is_empty() {
        return Err(canary.error(
            &steps_path,
            "no step sets a weight (`setWeight`): rollsim's canary needs at least one",
        ));
    }
    write_steps(draft, segments);
    draft.unread(canary, "ignored");
    Ok(())
}

/// Step `i` of the canary's steps (at `steps_path`): a `setWeight` opens a segment, a
/// `pause` or an inline analysis (whose run lengths are `inline_runs`) holds the last
/// one, anything else is said not represented.
#[allow(clippy::too_many_arguments)]
fn read_step(
    draft: &mut Draft,
    node: &Node,
    i: usize,
    steps_path: &str,
    file: &Path,
    inline_runs: &[(usize, Option<SimDuration>)],
    segments: &mut Vec<Segment>,
    weight: &mut f64,
) -> Result<(), ScenarioError> {
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
        if w <= *weight {
            draft.not_represented(format!(
                "{step_path}.setWeight ({w}) does not raise the weight above {}: rollsim's \
                 weights only increase; step skipped",
                *weight
            ));
            return Ok(());
        }
        *weight = w;
        segments.push(Segment {
            weight: w,
            weight_source: format!("{step_path}.setWeight"),
            hold: SimDuration::ZERO,
            hold_sources: Vec::new(),
        });
        return Ok(());
    }
    let Some((d, source)) = step_hold(draft, &step, &step_path, i, inline_runs)? else {
        return Ok(());
    };
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
    Ok(())
}

/// How long a non-weight step holds the canary, with its origin: a pause (indefinite
/// ones assumed promoted after [`MANUAL_PROMOTION_AFTER`]), an inline analysis's run;
/// `None` for steps rollsim does not represent (said in the draft).
fn step_hold(
    draft: &mut Draft,
    step: &Obj<'_>,
    step_path: &str,
    i: usize,
    inline_runs: &[(usize, Option<SimDuration>)],
) -> Result<Option<(SimDuration, String)>, ScenarioError> {
    Ok(if let Some(pause) = step.get("pause") {
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
        draft.unread(step, "step skipped");
        None
    })
}

/// The canary's segments as rollsim's weight steps, each with the origin of its weight
/// and of its hold.
fn write_steps(draft: &mut Draft, segments: Vec<Segment>) {
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
}

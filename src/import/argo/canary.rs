//! Argo's `canary` strategy: its steps (`setWeight`, `pause`, inline `analysis`,
//! `setCanaryScale`) as rollsim's canary steps, background analysis as thresholds
//! judged at every step, `dynamicStableScale`, a canary without steps (or without a
//! `setWeight` step) as its full promotion.

use super::*;

/// One segment of the canary: a weight and how long it holds, with the origins, and
/// the canary's scale apart from its weight (`setCanaryScale`), if any.
pub(super) struct Segment {
    weight: f64,
    weight_source: String,
    hold: SimDuration,
    hold_sources: Vec<String>,
    scale: Option<(Count, String)>,
}

/// The walk through the steps: the segments so far, the weight reached, the scale a
/// `setCanaryScale` left in force (it holds until the next one, Argo's
/// `UseSetCanaryScale` in utils/replicaset/canary.go), and the holds before any weight.
pub(super) struct Walk {
    segments: Vec<Segment>,
    weight: f64,
    scale: Option<(Count, String)>,
    /// Whether the Rollout has a traffic router (`setCanaryScale` needs one).
    routed: bool,
    /// Holds at weight 0, before any `setWeight`, with their origins.
    unweighted: Vec<String>,
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
    dynamic_stable_scale(draft, canary)?;
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
    let mut walk = Walk {
        segments: Vec::new(),
        weight: 0.0,
        scale: None,
        routed: canary.get("trafficRouting").is_some(),
        unweighted: Vec::new(),
    };
    for (i, node) in items.iter().enumerate() {
        read_step(draft, node, i, &steps_path, file, &inline_runs, &mut walk)?;
    }
    if !walk.unweighted.is_empty() {
        draft.not_represented(format!(
            "{}: held before any setWeight, when the canary has no traffic (Argo's weight is 0 \
             until a setWeight step, utils/replicaset/canary.go GetCurrentSetWeight): rollsim \
             leaves this wait out and begins with the first weight",
            walk.unweighted.join(", ")
        ));
    }
    if walk.segments.is_empty() {
        if let Some((_, source)) = &walk.scale {
            draft.not_represented(format!(
                "{source}: canary instances at weight 0, before the full promotion, serve no \
                 traffic; rollsim does not launch them"
            ));
        }
        return without_weights(draft, canary, &steps_path, walk.routed);
    }
    write_steps(draft, walk.segments);
    draft.unread(canary, "ignored");
    Ok(())
}

/// Steps none of which sets a weight: Argo keeps the weight at 0 through them and at
/// 100 once they are done (utils/replicaset/canary.go, `GetCurrentSetWeight`: "defaults
/// to 100 if it iterates through all the steps with no setWeight"). With a traffic
/// router that is one step to 100% (the canary sized to full, then all traffic); without
/// one, the stable and canary ReplicaSets are sized by that weight within
/// maxSurge/maxUnavailable (`CalculateReplicaCountsForBasicCanary`): a rolling update.
fn without_weights(
    draft: &mut Draft,
    canary: &Obj<'_>,
    steps_path: &str,
    routed: bool,
) -> Result<(), ScenarioError> {
    let path = &canary.path;
    if routed {
        let what =
            format!("{steps_path} (no setWeight: Argo goes to 100% once the steps are done)");
        let pause = draft.judged_phase("canary.steps[0].pause", SimDuration::ZERO, &what);
        draft.spec.canary.steps = vec![WeightStep {
            weight: 100.0,
            pause,
            scale: None,
        }];
        draft.came_from("canary.steps[0].weight", &what);
        draft.assumed(
            "canary.steps[0].pause",
            format!("{what}; one analysis check"),
        );
    } else {
        draft.spec.strategy = Strategy::Rolling;
        draft.came_from(
            "strategy",
            &format!(
                "{path} with no setWeight step and no trafficRouting (Argo then updates like a \
                 Deployment once the steps are done, within maxSurge/maxUnavailable)"
            ),
        );
    }
    draft.unread(canary, "ignored");
    Ok(())
}

/// `dynamicStableScale: true`: with a traffic router, Argo sizes the stable ReplicaSet
/// by its traffic weight as the canary's grows (utils/replicaset/canary.go,
/// `CalculateReplicaCountsForTrafficRoutedCanary`; docs/features/canary, "Dynamic
/// Stable Scale"); without one it has no effect (the basic canary sizes both by weight).
fn dynamic_stable_scale(draft: &mut Draft, canary: &Obj<'_>) -> Result<(), ScenarioError> {
    let field = format!("{}.dynamicStableScale", canary.path);
    if canary.with("dynamicStableScale", |f| f.bool())? != Some(true) {
        return Ok(());
    }
    if canary.get("trafficRouting").is_none() {
        draft.not_represented(format!(
            "{field}: without trafficRouting Argo sizes the stable ReplicaSet by its weight \
             anyway (canary.traffic = \"replicas\"), so it changes nothing"
        ));
        return Ok(());
    }
    draft.spec.canary.dynamic_stable_scale = true;
    draft.came_from("canary.dynamic_stable_scale", &field);
    Ok(())
}

/// Step `i` of the canary's steps (at `steps_path`): a `setWeight` opens a segment, a
/// `setCanaryScale` sizes the canary from there on, a `pause` or an inline analysis
/// (whose run lengths are `inline_runs`) holds the last segment, anything else is said
/// not represented.
fn read_step(
    draft: &mut Draft,
    node: &Node,
    i: usize,
    steps_path: &str,
    file: &Path,
    inline_runs: &[(usize, Option<SimDuration>)],
    walk: &mut Walk,
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
        if w <= walk.weight {
            draft.not_represented(format!(
                "{step_path}.setWeight ({w}) does not raise the weight above {}: rollsim's \
                 weights only increase; step skipped",
                walk.weight
            ));
            return Ok(());
        }
        walk.weight = w;
        walk.segments.push(Segment {
            weight: w,
            weight_source: format!("{step_path}.setWeight"),
            hold: SimDuration::ZERO,
            hold_sources: Vec::new(),
            scale: walk.scale.clone(),
        });
        return Ok(());
    }
    if let Some(field) = step.get("setCanaryScale") {
        set_canary_scale(draft, &field.obj()?, walk)?;
        let others = step.unread();
        if !others.is_empty() {
            draft.not_represented(format!(
                "{}: set in the same step as setCanaryScale; rollsim uses setCanaryScale only",
                others.join(", ")
            ));
        }
        return Ok(());
    }
    let Some((d, source)) = step_hold(draft, &step, &step_path, i, inline_runs)? else {
        return Ok(());
    };
    draft.unread(&step, "ignored");
    match walk.segments.last_mut() {
        Some(segment) => {
            segment.hold += d;
            segment.hold_sources.push(source);
        }
        None => walk.unweighted.push(source),
    }
    Ok(())
}

/// A `setCanaryScale` step: the canary's size from here until the next one, apart
/// from its weight: `replicas`, or `weight` percent of `spec.replicas` (rounded up);
/// `matchTrafficWeight: true` sizes it by its weight again. Argo heeds it only with a
/// traffic router (utils/replicaset/canary.go, `UseSetCanaryScale`;
/// docs/features/canary, "Setting Canary Scale").
fn set_canary_scale(
    draft: &mut Draft,
    scale: &Obj<'_>,
    walk: &mut Walk,
) -> Result<(), ScenarioError> {
    let path = scale.path.clone();
    let replicas = scale.with("replicas", |f| {
        f.u32_up_to(crate::scenario::limits::MAX_INSTANCES)
    })?;
    let weight = match scale.get("weight") {
        Some(field) => {
            let w = field.f64()?;
            if !(0.0..=100.0).contains(&w) {
                return Err(field.error(format!("must be between 0 and 100, got {w}")));
            }
            Some(w)
        }
        None => None,
    };
    let matched = scale.with("matchTrafficWeight", |f| f.bool())? == Some(true);
    if !walk.routed {
        draft.not_represented(format!(
            "{path}: Argo heeds setCanaryScale only with trafficRouting; without it the canary \
             is sized by its weight, as rollsim does"
        ));
        return Ok(());
    }
    let next = match (replicas, weight) {
        (Some(n), _) => Some((Count::Absolute(n), format!("{path}.replicas"))),
        (None, Some(w)) => Some((Count::Percent(w), format!("{path}.weight"))),
        (None, None) if matched => None,
        (None, None) => {
            return Err(scale.error(
                &path,
                "needs `replicas`, `weight` or `matchTrafficWeight: true`",
            ));
        }
    };
    let next = next.filter(|(count, source)| {
        let empty = count.is_zero();
        if empty {
            draft.not_represented(format!(
                "{source}: no canary instance behind its weight is not represented; rollsim \
                 sizes the canary by its weight instead"
            ));
        }
        !empty
    });
    // It resizes the canary at once: the segment it falls in too, unless that one has
    // already held at its former size.
    if let Some(segment) = walk.segments.last_mut() {
        if segment.hold.is_zero() {
            segment.scale = next.clone();
        } else {
            draft.not_represented(format!(
                "{path}: resizes the canary in the middle of the hold at {}; rollsim applies it \
                 from the next setWeight",
                segment.weight_source
            ));
        }
    }
    walk.scale = next;
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
        for key in ["experiment", "setHeaderRoute", "setMirrorRoute", "plugin"] {
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
            scale: segment.scale.as_ref().map(|(count, _)| *count),
        });
        draft.came_from(&format!("canary.steps[{k}].weight"), &segment.weight_source);
        if let Some((_, source)) = &segment.scale {
            draft.came_from(&format!("canary.steps[{k}].scale"), source);
        }
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

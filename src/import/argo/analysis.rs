//! Argo's analysis: the AnalysisTemplates a Rollout names (found in any of the files
//! given), filled with the Rollout's `args`; their metrics as rollsim's thresholds; dry
//! runs; Kayenta providers.

use super::*;

/// Reads an analysis reference (`templates`, `args`): maps each template's metrics in
/// the file onto the draft; returns the run's length if it is known.
pub(super) fn analysis_run(
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
        let template_node = crate::import::args::with_args(&template.node, &filled);
        if let Some(length) = template_metrics(draft, &template_node, &template.file, &dry_run)? {
            longest = Some(longest.map_or(length, |l| l.max(length)));
        }
    }
    draft.unread(analysis, "ignored");
    Ok(longest)
}

/// The values an analysis passes to its templates (`args: [{name, value}]`); those
/// taken from the cluster at run time (`valueFrom`) are unknown here.
pub(super) fn analysis_args(
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
pub(super) fn template_defaults(
    template: &Document,
) -> Result<std::collections::BTreeMap<String, String>, ScenarioError> {
    let root = Obj::root(&template.node, &template.file)?;
    match root.get("spec") {
        Some(spec) => analysis_args(&spec.obj()?),
        None => Ok(std::collections::BTreeMap::new()),
    }
}

/// An argument's `value` as text (YAML may give a number).
pub(super) fn arg_value(arg: &Obj<'_>) -> Result<Option<String>, ScenarioError> {
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
pub(super) fn template_metrics(
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
            // Argo counts every failed measurement of the run, not those in a row: the
            // metric fails when `result.Failed > failureLimit` (analysis/analysis.go,
            // assessMetricFailureInconclusiveOrError).
            draft.spec.analysis.failure_counting = FailureCounting::Total;
            draft.came_from(
                "analysis.failure_counting",
                &format!("{path}: Argo counts every failed measurement (failed > failureLimit)"),
            );
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
pub(super) fn dry_run_metrics(obj: &Obj<'_>) -> Result<Vec<String>, ScenarioError> {
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
pub(super) fn is_dry_run(dry_run: &[String], metric: &str) -> bool {
    dry_run
        .iter()
        .any(|name| name == metric || name == ".*" || name == "*")
}

/// Argo's Kayenta provider: Kayenta's judge and its score thresholds.
pub(super) fn kayenta_provider(draft: &mut Draft, kayenta: &Obj<'_>) -> Result<(), ScenarioError> {
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

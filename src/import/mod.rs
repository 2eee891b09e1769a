//! Importing a rollout that is already written down in a deploy tool's format: Argo
//! Rollouts, Flagger, a Kubernetes Deployment, a Spinnaker pipeline or deploy stage, an
//! Asgard automated deployment.
//!
//! # How a file becomes a rollsim rollout
//! 1. [`import_paths`] reads the files and directories given ([`tree`]: YAML documents
//!    or JSON, every value with its line) into one pool of documents, picks the rollout
//!    among them (the only one, or the one `--name` names) and recognises its format
//!    ([`detect`]) by `apiVersion`/`kind` or, for JSON, by its shape. Templates are
//!    looked up in the whole pool and filled with the Rollout's arguments ([`args`]).
//! 2. The format's module ([`argo`], [`flagger`] with [`flagger_traffic`], [`kubernetes`],
//!    [`spinnaker`], [`asgard`]) maps each field onto a [`RolloutSpec`] through a [`Draft`], which
//!    records where every value came from (a field of the file, or the tool's documented
//!    default) and every field that rollsim cannot represent, with what it assumed
//!    instead. Analysis templates' queries go through [`metrics`]; the tool's progress
//!    deadline goes where the strategy reads it ([`deadline`]).
//! 3. [`render::to_toml`] prints the `[[rollouts]]` section with those origins as
//!    comments under a header that says what will be judged
//!    ([`crate::scenario::judged`], read from the section itself); `--rollout FILE` on `run`, `compare` and `plan` uses [`Imported::rollout`]
//!    directly.
//!
//! The imported file says nothing about the layer's size, the release's behaviour or
//! when the rollout starts: those come from the model.
//!
//! # Assumptions shared by every format
//! | situation | assumption |
//! |---|---|
//! | a gate that waits for a person (Argo `pause: {}`, Flagger `confirm-*` hooks, Asgard `Ask`, Spinnaker `manualJudgment`) | the person promotes after [`MANUAL_PROMOTION_AFTER`] if rollsim's checks pass |
//! | no automated analysis at all (a Deployment, a rollout without templates) | rollsim's checks never fail on metrics (the tool promotes on readiness alone) |
//! | a phase shorter than the analysis delay plus one interval | lengthened to that, since rollsim judges every phase |

pub(crate) mod argo;
pub(crate) mod args;
pub(crate) mod asgard;
pub(crate) mod asgard_steps;
pub(crate) mod deadline;
pub(crate) mod detect;
pub(crate) mod flagger;
pub(crate) mod flagger_traffic;
pub(crate) mod kubernetes;
pub(crate) mod metrics;
pub mod render;
pub(crate) mod spinnaker;
pub(crate) mod spinnaker_manifest;
pub(crate) mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::judged::{NEVER_FAILING_CRASHES, NEVER_FAILING_P99_RATIO};
use crate::scenario::rollout::{JudgeKind, RolloutSpec};

/// How long a person takes to promote at a manual gate, in rehearsal.
pub const MANUAL_PROMOTION_AFTER: SimDuration = SimDuration::from_mins(30);

/// A rollout read from another tool's file.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The rollout, with the layer the file names (or empty if it names none).
    pub rollout: RolloutSpec,
    /// What the file is, e.g. `Argo Rollouts Rollout "checkout" (canary)`.
    pub description: String,
    /// The name the file gives the service, which may name a model's layer.
    pub name: Option<String>,
    /// Where each value came from, by rollsim field path (`canary.steps[0].pause`).
    pub origins: BTreeMap<String, String>,
    /// Each field the file sets that rollsim cannot represent, and what it assumed.
    pub not_represented: Vec<String>,
    /// Fields read and left aside because they do not change what is simulated
    /// (service names, labels, routing plumbing).
    pub ignored: Vec<String>,
}

impl Imported {
    /// What a rehearsal of this rollout judges and does not, from its analysis section.
    pub fn judged(&self) -> crate::scenario::judged::Judged {
        crate::scenario::judged::judged(&self.rollout.analysis)
    }
}

impl Imported {
    /// The imported rollout for `layer`.
    pub fn for_layer(&self, layer: &str) -> RolloutSpec {
        RolloutSpec {
            layer: layer.to_string(),
            ..self.rollout.clone()
        }
    }
}

/// Reads and maps the file at `path` (which must hold one rollout).
pub fn import_file(path: &Path) -> Result<Imported, ScenarioError> {
    import_paths(&[path.to_path_buf()], &Choice::default())
}

/// Which rollout to import when the files hold several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Choice<'a> {
    /// The rollout's name (`metadata.name`, a pipeline's `name`).
    pub name: Option<&'a str>,
    /// A Spinnaker pipeline's deploy stage (its `name` or `refId`), when it has several
    /// (test, staging, production).
    pub stage: Option<&'a str>,
}

/// Most files read from the directories given.
const MAX_FILES: usize = 1000;

/// Reads the files and directories at `paths` as one pool of documents (a directory:
/// its `.yaml`, `.yml` and `.json` files, in name order) and maps the rollout among
/// them: the only one, or the one `choice` names. Analysis templates are found in any of
/// them.
pub fn import_paths(paths: &[PathBuf], choice: &Choice<'_>) -> Result<Imported, ScenarioError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside = read_dir_sorted(path)?;
            if inside.is_empty() {
                return Err(ScenarioError {
                    file: path.clone(),
                    position: None,
                    field: String::new(),
                    message: "the directory holds no .yaml, .yml or .json file".to_string(),
                });
            }
            files.append(&mut inside);
        } else {
            files.push(path.clone());
        }
        if files.len() > MAX_FILES {
            return Err(ScenarioError {
                file: path.clone(),
                position: None,
                field: String::new(),
                message: format!("more than {MAX_FILES} files to import; give fewer"),
            });
        }
    }
    let mut documents = Vec::new();
    for file in &files {
        let source = crate::scenario::read_limited(file, "rollout")?;
        let nodes = tree::parse_documents(&source, file)?;
        documents.extend(detect::Document::all_of(nodes, file));
    }
    detect::import_documents(&documents, choice, &paths_given(paths))
}

/// The files and directories given, as one would type them: `a.yaml b.yaml`.
pub fn paths_given(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rollout files of directory `dir`, in name order.
fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let unreadable = |e: std::io::Error| ScenarioError {
        file: dir.to_path_buf(),
        position: None,
        field: String::new(),
        message: format!("cannot read the directory: {e}"),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let rollout_like = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"));
        if rollout_like && path.is_file() {
            files.push(path);
        }
        if files.len() > MAX_FILES {
            break;
        }
    }
    files.sort();
    Ok(files)
}

/// Maps rollout text; `file` names it in errors and notes.
pub fn import_str(source: &str, file: &Path) -> Result<Imported, ScenarioError> {
    let documents = detect::Document::all_of(tree::parse_documents(source, file)?, file);
    detect::import_documents(&documents, &Choice::default(), &file.display().to_string())
}

/// An imported rollout in the making: the spec, and the story of each value.
pub(crate) struct Draft {
    pub(crate) spec: RolloutSpec,
    origins: BTreeMap<String, String>,
    not_represented: Vec<String>,
    ignored: Vec<String>,
    /// Whether a metric of the file set the error-rate limit (the strictest wins).
    error_rate_from_file: bool,
    /// Templates the rollout names that are not among the files given.
    missing_templates: usize,
    /// Whether the rollout names any analysis (found or not).
    pub(crate) analysis_named: bool,
    /// The tool's launch deadline, until the strategy is known ([`deadline`]).
    launch_deadline: Option<deadline::LaunchDeadline>,
}

impl Draft {
    pub(crate) fn new(name: Option<&str>) -> Draft {
        Draft {
            spec: RolloutSpec {
                layer: name.unwrap_or_default().to_string(),
                ..RolloutSpec::default()
            },
            origins: BTreeMap::new(),
            not_represented: Vec::new(),
            ignored: Vec::new(),
            error_rate_from_file: false,
            missing_templates: 0,
            analysis_named: false,
            launch_deadline: None,
        }
    }

    /// A template the rollout names is not among the files given: `note` says so; what
    /// it would judge is unknown, so it judges nothing here (the header says what is).
    pub(crate) fn missing_template(&mut self, note: impl Into<String>) {
        self.missing_templates += 1;
        self.not_represented(note);
    }

    /// `spec.replicas` of a Kubernetes-style object: the model's layer gives the size.
    /// Whatever it holds (a number, or an expression a pipeline fills in) is only noted.
    pub(crate) fn replicas_not_represented(&mut self, spec: &tree::Obj<'_>) {
        let Some(field) = spec.get("replicas") else {
            return;
        };
        let shown = match &field.node.value {
            tree::Value::Int(n) => n.to_string(),
            tree::Value::Str(text) => format!("{text:?}"),
            _ => "not a number".to_string(),
        };
        self.not_represented(format!(
            "{} ({shown}): rollsim takes the size from the model's layer `instances`",
            field.path
        ));
    }

    /// Whether a template the rollout names was not given.
    pub(crate) fn has_missing_templates(&self) -> bool {
        self.missing_templates > 0
    }

    /// `field` was set from `source`, a path in the file.
    pub(crate) fn came_from(&mut self, field: &str, source: &str) {
        self.origins
            .insert(field.to_string(), format!("from {source}"));
    }

    /// `field` was set to the tool's documented default because `source` is unset.
    pub(crate) fn tool_default(&mut self, field: &str, tool: &str, source: &str) {
        self.origins.insert(
            field.to_string(),
            format!("{tool} default ({source} unset)"),
        );
    }

    /// `field` was set by an assumption, explained.
    pub(crate) fn assumed(&mut self, field: &str, why: impl Into<String>) {
        self.origins
            .insert(field.to_string(), format!("assumed: {}", why.into()));
    }

    /// `field` is set from `source` if present, else from the tool's default.
    pub(crate) fn came_from_or_default(
        &mut self,
        field: &str,
        present: bool,
        tool: &str,
        source: &str,
    ) {
        if present {
            self.came_from(field, source);
        } else {
            self.tool_default(field, tool, source);
        }
    }

    /// A field of the file rollsim cannot represent, and what it assumed instead.
    pub(crate) fn not_represented(&mut self, text: impl Into<String>) {
        self.not_represented.push(text.into());
    }

    /// Fields that change nothing rollsim simulates.
    pub(crate) fn ignore(&mut self, paths: impl IntoIterator<Item = String>) {
        self.ignored.extend(paths);
    }

    /// Reads `keys` of `obj` as names and plumbing: those present are listed as ignored.
    pub(crate) fn skip(&mut self, obj: &tree::Obj<'_>, keys: &[&str]) {
        for key in keys {
            if obj.get(key).is_some() {
                self.ignored.push(obj.child_path(key));
            }
        }
    }

    /// Every key of `obj` nobody read is reported as not represented.
    pub(crate) fn unread(&mut self, obj: &tree::Obj<'_>, assumed: &str) {
        for path in obj.unread() {
            self.not_represented.push(format!(
                "{path}: not known to rollsim's importer; {assumed}"
            ));
        }
    }

    /// Lowers the error-rate limit to `limit` (from `source`), keeping the strictest
    /// of the file's metrics.
    pub(crate) fn limit_error_rate(&mut self, limit: f64, source: &str) {
        let limit = limit.clamp(0.0, 1.0);
        if !self.error_rate_from_file || limit < self.spec.analysis.max_error_rate {
            self.spec.analysis.max_error_rate = limit;
            self.came_from("analysis.max_error_rate", source);
        }
        self.error_rate_from_file = true;
    }

    /// The tool promotes on readiness alone: rollsim's checks are opened so that no
    /// metric ever fails them (a crash loop still stops at the healthy deadline).
    pub(crate) fn never_judge(&mut self, why: &str) {
        let a = &mut self.spec.analysis;
        a.max_error_rate = 1.0;
        a.max_error_rate_increase = 1.0;
        a.max_latency_p99_ratio = NEVER_FAILING_P99_RATIO;
        a.max_crashes = NEVER_FAILING_CRASHES;
        for field in [
            "analysis.max_error_rate",
            "analysis.max_error_rate_increase",
            "analysis.max_latency_p99_ratio",
            "analysis.max_crashes",
        ] {
            self.assumed(field, format!("no check fails ({why})"));
        }
    }

    /// When the file has an analysis of its own (metrics, whether rollsim can map them
    /// or not, or templates it names), rollsim judges what that analysis judges and no
    /// more: each of rollsim's checks the file does not set is opened. A metric rollsim
    /// cannot simulate is therefore not judged at all (its note says so), rather than
    /// replaced by rollsim's own defaults, which the tool would never apply (a p99 ratio
    /// that trips on a warming canary the tool itself would promote).
    fn open_checks_the_file_lacks(&mut self) {
        let file_judges = self.error_rate_from_file || self.analysis_named;
        if !file_judges || self.spec.analysis.judge != JudgeKind::Threshold {
            return;
        }
        let why = if self.error_rate_from_file {
            "the file's analysis does not make this check"
        } else {
            "the file's analysis makes no check rollsim can simulate (see the notes)"
        };
        if !self.origins.contains_key("analysis.max_error_rate") {
            self.spec.analysis.max_error_rate = 1.0;
            self.assumed("analysis.max_error_rate", format!("no check fails ({why})"));
        }
        if !self
            .origins
            .contains_key("analysis.max_error_rate_increase")
        {
            self.spec.analysis.max_error_rate_increase = 1.0;
            self.assumed(
                "analysis.max_error_rate_increase",
                "no check fails (the file judges the error rate only in absolute terms, if at all)",
            );
        }
        if !self.origins.contains_key("analysis.max_latency_p99_ratio") {
            self.spec.analysis.max_latency_p99_ratio = NEVER_FAILING_P99_RATIO;
            self.assumed(
                "analysis.max_latency_p99_ratio",
                "no check fails (the file judges no latency relative to the old version)",
            );
        }
        if !self.origins.contains_key("analysis.max_crashes") {
            self.spec.analysis.max_crashes = NEVER_FAILING_CRASHES;
            self.assumed(
                "analysis.max_crashes",
                "no check fails (the tool counts no crashes; a crash loop stops the rollout only \
                 at its progress deadline)",
            );
        }
    }

    /// A check interval shorter than rollsim's default sample interval (a 5 s Argo
    /// metric) takes one sample per check.
    fn fit_sample_interval(&mut self) {
        let a = &mut self.spec.analysis;
        if a.sample_interval > a.interval {
            a.sample_interval = a.interval;
            self.assumed(
                "analysis.sample_interval",
                "one sample per check (the file's check interval is shorter than rollsim's \
                 default sample interval)",
            );
        }
    }

    /// The analysis delay plus one interval: the shortest phase rollsim can judge.
    pub(crate) fn first_check(&self) -> SimDuration {
        self.spec.analysis.delay + self.spec.analysis.interval
    }

    /// `length` of the phase at `field`, lengthened to one check if shorter (noted).
    pub(crate) fn judged_phase(
        &mut self,
        field: &str,
        length: SimDuration,
        what: &str,
    ) -> SimDuration {
        let shortest = self.first_check();
        if length >= shortest {
            return length;
        }
        self.not_represented(format!(
            "{what} lasts {length}; rollsim judges every phase, so `{field}` is lengthened to \
             the analysis delay plus one interval ({shortest})"
        ));
        shortest
    }

    /// The imported rollout, described as `"{what} {name:?} ({detail})"` (the name left out
    /// if the file has none).
    pub(crate) fn finish_as(self, what: &str, detail: &str, name: Option<String>) -> Imported {
        let description = format!("{what} {} ({detail})", quoted(name.as_deref()));
        self.finish(description, name)
    }

    pub(crate) fn finish(mut self, description: String, name: Option<String>) -> Imported {
        self.place_launch_deadline();
        self.open_checks_the_file_lacks();
        self.fit_sample_interval();
        Imported {
            rollout: self.spec,
            description,
            name,
            origins: self.origins,
            not_represented: self.not_represented,
            ignored: self.ignored,
        }
    }
}

/// A name from the file, quoted for messages; empty if there is none.
pub(crate) fn quoted(name: Option<&str>) -> String {
    name.map_or_else(String::new, |n| format!("{n:?}"))
}

//! Importing a rollout that is already written down in a deploy tool's format: Argo
//! Rollouts, Flagger, a Kubernetes Deployment, a Spinnaker pipeline or deploy stage, an
//! Asgard automated deployment.
//!
//! # How a file becomes a rollsim rollout
//! 1. [`import_file`] reads the file ([`tree`]: YAML documents or JSON, every value with
//!    its line) and recognises its format ([`detect`]) by `apiVersion`/`kind` or, for
//!    JSON, by its shape.
//! 2. The format's module ([`argo`], [`flagger`] with [`flagger_traffic`], [`kubernetes`],
//!    [`spinnaker`], [`asgard`]) maps each field onto a [`RolloutSpec`] through a [`Draft`], which
//!    records where every value came from (a field of the file, or the tool's documented
//!    default) and every field that rollsim cannot represent, with what it assumed
//!    instead. Analysis templates' queries go through [`metrics`].
//! 3. [`render::to_toml`] prints the `[[rollouts]]` section with those origins as
//!    comments; `--rollout FILE` on `run`, `compare` and `plan` uses [`Imported::rollout`]
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
pub(crate) mod asgard;
pub(crate) mod detect;
pub(crate) mod flagger;
pub(crate) mod flagger_traffic;
pub(crate) mod kubernetes;
pub(crate) mod metrics;
pub mod render;
pub(crate) mod spinnaker;
pub(crate) mod tree;

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
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
    /// The imported rollout for `layer`.
    pub fn for_layer(&self, layer: &str) -> RolloutSpec {
        RolloutSpec {
            layer: layer.to_string(),
            ..self.rollout.clone()
        }
    }
}

/// Reads and maps the file at `path`.
pub fn import_file(path: &Path) -> Result<Imported, ScenarioError> {
    let source = crate::scenario::read_limited(path, "rollout")?;
    import_str(&source, path)
}

/// Maps rollout text; `file` names it in errors and notes.
pub fn import_str(source: &str, file: &Path) -> Result<Imported, ScenarioError> {
    let documents = tree::parse_documents(source, file)?;
    detect::import_documents(&documents, file)
}

/// An imported rollout in the making: the spec, and the story of each value.
pub(crate) struct Draft {
    pub(crate) spec: RolloutSpec,
    origins: BTreeMap<String, String>,
    not_represented: Vec<String>,
    ignored: Vec<String>,
    /// Whether a metric of the file set the error-rate limit (the strictest wins).
    error_rate_from_file: bool,
}

impl Draft {
    pub(crate) fn new(name: Option<&str>) -> Draft {
        Draft {
            spec: RolloutSpec {
                layer: name.unwrap_or_default().to_string(),
                ..default_rollout()
            },
            origins: BTreeMap::new(),
            not_represented: Vec::new(),
            ignored: Vec::new(),
            error_rate_from_file: false,
        }
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

    /// When the file's own thresholds judge the error rate, rollsim's checks it does not
    /// make (the increase over the old version, p99 relative to the old version's: a
    /// file's latency limits are absolute) are opened, so that rollsim judges no more
    /// than the tool does.
    fn open_checks_the_file_lacks(&mut self) {
        if !self.error_rate_from_file || self.spec.analysis.judge != JudgeKind::Threshold {
            return;
        }
        if !self
            .origins
            .contains_key("analysis.max_error_rate_increase")
        {
            self.spec.analysis.max_error_rate_increase = 1.0;
            self.assumed(
                "analysis.max_error_rate_increase",
                "no check fails (the file judges the error rate only in absolute terms)",
            );
        }
        if !self.origins.contains_key("analysis.max_latency_p99_ratio") {
            self.spec.analysis.max_latency_p99_ratio = NEVER_FAILING_P99_RATIO;
            self.assumed(
                "analysis.max_latency_p99_ratio",
                "no check fails (the file judges no latency relative to the old version)",
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
        self.open_checks_the_file_lacks();
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

/// p99 ratio that no version reaches: "latency never fails a check".
const NEVER_FAILING_P99_RATIO: f64 = 1000.0;
/// Crashes that no rehearsal reaches: "crashes never fail a check".
const NEVER_FAILING_CRASHES: u32 = 1_000_000;

/// A rollout with every field at rollsim's default (as an empty `[[rollouts]]` reads).
fn default_rollout() -> RolloutSpec {
    toml::from_str("layer = \"\"").expect("the empty rollout section reads with defaults")
}

/// A name from the file, quoted for messages; empty if there is none.
pub(crate) fn quoted(name: Option<&str>) -> String {
    name.map_or_else(String::new, |n| format!("{n:?}"))
}

//! Where a command's model comes from: a file, or the built-in default model; with an
//! imported rollout (`--rollout FILE [--layer NAME]`) and `--set` overrides applied, in
//! that order, before it is checked.
//!
//! The imported rollout replaces the model's rollout of its layer, keeping that
//! rollout's `start` and `release` (the other tool's file describes neither), or is
//! added if the layer has none. Its layer is `--layer`, else the model's only rollout's,
//! else the layer the file names.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::Error;
use crate::import;
use crate::scenario::{self, Scenario, overrides::Override};

use super::run::{DEFAULT_MODEL, DEFAULT_MODEL_NAME};

/// `--rollout FILE... [--rollout-name NAME] [--layer NAME]`, shared by `run`,
/// `compare`, `plan` and `check`.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct RolloutFile {
    /// Rehearse the rollout in FILE (Argo Rollouts, Flagger, Kubernetes Deployment,
    /// Spinnaker or Asgard) instead of the model's rollout of its layer. Repeat it, or
    /// give a directory, to read a rollout with its analysis templates in other files.
    #[arg(long = "rollout", value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// The rollout to import when the files hold several.
    #[arg(long, value_name = "NAME", requires = "files")]
    pub(crate) rollout_name: Option<String>,
    /// The deploy stage to import from a Spinnaker pipeline that has several.
    #[arg(long, value_name = "STAGE", requires = "files")]
    pub(crate) rollout_stage: Option<String>,
    /// The layer the imported rollout replaces (default: the model's only rollout's,
    /// else the layer the file names).
    #[arg(long, value_name = "NAME", requires = "files")]
    pub(crate) layer: Option<String>,
}

/// `--fast` / `--exact`, shared by `run`, `compare` and `plan`: force how requests are
/// simulated (default: the model's `fidelity`, `auto` unless it says otherwise).
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct FidelityChoice {
    /// Fast mode: simulate big clusters through a few representatives each, every
    /// simulated request standing for several (default: automatic, fast when the
    /// largest layer starts with 256 instances or more).
    #[arg(long, conflicts_with = "exact")]
    pub(crate) fast: bool,
    /// Request level: simulate every request (the reference; slow for big fleets).
    #[arg(long)]
    pub(crate) exact: bool,
}

/// `--force`, shared by `run`, `compare`, `plan` and `sweep`: run a model whose work
/// estimate ([`scenario::work`]) is over the limits.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct Force {
    /// Run even if the model's work estimate (events or memory, see `rollsim check`) is
    /// over the limits.
    #[arg(long)]
    pub(crate) force: bool,
}

impl Force {
    /// Refuses `model` (as it will run: fidelity applied) if its work estimate is over
    /// the limits, unless `--force`; with it, says so on stderr.
    pub(crate) fn check(&self, model: &Scenario, file: &Path) -> Result<(), Error> {
        let estimate = scenario::work::estimate(model);
        match estimate.within_limits() {
            Ok(()) => Ok(()),
            Err(reason) if self.force => {
                eprintln!("warning: {}: {reason} (running: --force)", file.display());
                Ok(())
            }
            Err(reason) => Err(Error::BadInput(format!("{}: {reason}", file.display()))),
        }
    }
}

impl FidelityChoice {
    /// Sets the model's fidelity if a flag was given.
    pub(crate) fn apply(&self, model: &mut Scenario) {
        if self.fast {
            model.fidelity = scenario::Fidelity::Fast;
        } else if self.exact {
            model.fidelity = scenario::Fidelity::Exact;
        }
    }
}

/// Loads the model at `path` (the built-in one if `None`) with the imported rollout and
/// `overrides` applied. Returns it and the name to use in messages.
pub(crate) fn load(
    path: Option<&Path>,
    overrides: &[Override],
    rollout: &RolloutFile,
) -> Result<(Scenario, PathBuf), Error> {
    let file = path.map_or_else(|| PathBuf::from(DEFAULT_MODEL_NAME), Path::to_path_buf);
    if overrides.is_empty() && rollout.files.is_empty() {
        let model = match path {
            Some(path) => scenario::load(path),
            None => scenario::parse(DEFAULT_MODEL, Path::new(DEFAULT_MODEL_NAME)),
        }?;
        return Ok((model, file));
    }
    // Read and check the file as it is first, so its own errors keep their lines.
    let (original, model) = match path {
        Some(path) => {
            let (model, text) = scenario::load_with_source(path)?;
            (text, model)
        }
        None => {
            let model = scenario::parse(DEFAULT_MODEL, Path::new(DEFAULT_MODEL_NAME))?;
            (DEFAULT_MODEL.to_string(), model)
        }
    };
    let mut changes = Vec::new();
    let mut text = original;
    if !rollout.files.is_empty() {
        let given = import::paths_given(&rollout.files);
        text = with_imported_rollout(&text, &model, rollout, &given)
            .map_err(|e| Error::BadInput(format!("--rollout {given}: {e}")))?;
        changes.push(format!("--rollout {given}"));
    }
    let changed = scenario::overrides::apply(&text, overrides)
        .map_err(|e| Error::BadInput(format!("{}: {e}", file.display())))?;
    changes.extend(overrides.iter().map(|o| format!("--set {}", o.text())));
    let mut model = scenario::parse(&changed, &file).map_err(|mut e| {
        // Positions would point into the rewritten text, not the user's file.
        e.position = None;
        Error::BadInput(format!("{e} (with {})", changes.join(", ")))
    })?;
    if model.name.is_empty() {
        model.name = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    }
    Ok((model, file))
}

/// The model text with the rollout imported from `rollout.files` (named `given`) in
/// place.
fn with_imported_rollout(
    text: &str,
    model: &Scenario,
    rollout: &RolloutFile,
    given: &str,
) -> Result<String, String> {
    let layer = rollout.layer.as_deref();
    let choice = import::Choice {
        name: rollout.rollout_name.as_deref(),
        stage: rollout.rollout_stage.as_deref(),
    };
    // The error names the file already.
    let imported = import::import_paths(&rollout.files, &choice).map_err(|e| e.to_string())?;
    let layer = choose_layer(model, &imported, layer)?;
    let mut spec = imported.for_layer(&layer);
    let replaced = model.rollouts.iter().position(|r| r.layer == layer);
    if let Some(i) = replaced {
        spec.start = model.rollouts[i].start;
        spec.release = model.rollouts[i].release.clone();
    }
    let mut table: toml::Table = toml::from_str(text)
        .map_err(|e| format!("the model is not valid TOML: {}", e.message()))?;
    let value = toml::Value::try_from(&spec).map_err(|e| e.to_string())?;
    let rollouts = table
        .entry("rollouts")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    let toml::Value::Array(list) = rollouts else {
        return Err("the model's `rollouts` is not a list of [[rollouts]] sections".into());
    };
    match replaced {
        Some(i) if i < list.len() => list[i] = value,
        _ => list.push(value),
    }
    eprintln!(
        "rollout of {layer}: {} from {given}{}; {} field(s) not represented (`rollsim import \
         {given}` lists them)\n  {}",
        imported.description,
        if replaced.is_some() {
            " (the model's start and release kept)"
        } else {
            ""
        },
        imported.not_represented.len(),
        imported.judged().sentence()
    );
    toml::to_string(&table).map_err(|e| e.to_string())
}

/// The layer the imported rollout is for.
fn choose_layer(
    model: &Scenario,
    imported: &import::Imported,
    layer: Option<&str>,
) -> Result<String, String> {
    let layers = model.layers.keys().cloned().collect::<Vec<_>>().join(", ");
    if let Some(layer) = layer {
        if model.layers.contains_key(layer) {
            return Ok(layer.to_string());
        }
        return Err(format!(
            "--layer {layer}: the model has no such layer; its layers are {layers}"
        ));
    }
    if let [only] = model.rollouts.as_slice() {
        return Ok(only.layer.clone());
    }
    if let Some(name) = imported
        .name
        .as_deref()
        .filter(|n| model.layers.contains_key(*n))
    {
        return Ok(name.to_string());
    }
    let rolled: Vec<&str> = model.rollouts.iter().map(|r| r.layer.as_str()).collect();
    Err(format!(
        "which layer does it roll out? The model has {} rollouts ({}) and the file names {}, \
         which is not a layer of the model; give --layer NAME (layers: {layers})",
        rolled.len(),
        if rolled.is_empty() {
            "none".to_string()
        } else {
            rolled.join(", ")
        },
        imported
            .name
            .as_deref()
            .map_or_else(|| "no service".to_string(), |n| format!("{n:?}"))
    ))
}

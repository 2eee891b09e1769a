//! Where a command's model comes from: a file (read once), or the built-in default
//! model; with an imported rollout (`--rollout FILE [--layer NAME]`), `--set` overrides
//! and `--strategy` applied to its parsed tables, in that order, before it is checked
//! once ([`scenario::edited`]).
//!
//! The imported rollout replaces the model's rollout of its layer, keeping that
//! rollout's `start` and `release` (the other tool's file describes neither), or is
//! added if the layer has none. Its layer is `--layer`, else the model's only rollout's,
//! else the layer the file names.

use std::path::{Path, PathBuf};

use clap::Args;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::error::Error;
use crate::import;
use crate::report::html::ImportNote;
use crate::scenario::rollout::Strategy;
use crate::scenario::{self, ModelText, Scenario, overrides::Override};

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

/// Loads the model at `path` (the built-in one if `None`) with its edits: the imported
/// rollout, `overrides`, and `strategy` (`--strategy S`, as `--set rollout.strategy=S`),
/// in that order. The file is read once (bounded, [`scenario::read`]) and the model
/// checked once, changed ([`scenario::edited`]). Returns it and the name to use in
/// messages.
pub(crate) fn load(
    path: Option<&Path>,
    overrides: &[Override],
    rollout: &RolloutFile,
    strategy: Option<Strategy>,
) -> Result<(Scenario, PathBuf), Error> {
    load_noting_import(path, overrides, rollout, strategy).map(|(model, file, _)| (model, file))
}

/// [`load`], also returning what the imported rollout (if any) judges and could not
/// represent, for a report to show.
pub(crate) fn load_noting_import(
    path: Option<&Path>,
    overrides: &[Override],
    rollout: &RolloutFile,
    strategy: Option<Strategy>,
) -> Result<(Scenario, PathBuf, Option<ImportNote>), Error> {
    let file = path.map_or_else(|| PathBuf::from(DEFAULT_MODEL_NAME), Path::to_path_buf);
    let source = match path {
        Some(path) => scenario::read(path)?,
        None => DEFAULT_MODEL.to_string(),
    };
    let mut sets = overrides.to_vec();
    if let Some(strategy) = strategy {
        let set = Override::new(
            "rollout.strategy",
            toml::Value::String(strategy.to_string()),
        )?;
        sets.push(set.shown_as(format!("--strategy {strategy}")));
    }
    // Declared before the text that borrows it.
    let imported;
    let mut text = ModelText::parse(&source, &file)?;
    let mut changes = Vec::new();
    let mut note = None;
    if !rollout.files.is_empty() {
        let given = import::paths_given(&rollout.files);
        let in_context = |e: String| Error::BadInput(format!("--rollout {given}: {e}"));
        let replaced;
        let noted;
        (imported, replaced, noted) =
            import_rollout(text.tables(), rollout, &given).map_err(in_context)?;
        note = Some(noted);
        put_rollout(text.tables_mut(), &imported, replaced).map_err(in_context)?;
        changes.push(format!("--rollout {given}"));
    }
    if let Some(strategy) = strategy
        && !has_rollouts(text.tables())
    {
        return Err(Error::BadInput(format!(
            "--strategy {strategy}: the model {} has no [[rollouts]] section to apply it to",
            model_name(text.tables(), &file)
        )));
    }
    text.apply(&sets).map_err(|e| e.context(file.display()))?;
    changes.extend(sets.iter().map(Override::shown));
    let mut model = text.check(&format!("with {}", changes.join(", ")))?;
    if model.name.is_empty() {
        model.name = stem(&file);
    }
    Ok((model, file, note))
}

/// The model's `name`, else its file's stem.
fn model_name(tables: &DeTable<'_>, file: &Path) -> String {
    match tables.get("name").and_then(|n| n.get_ref().as_str()) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => stem(file),
    }
}

/// The name of a model named after its file.
fn stem(file: &Path) -> String {
    file.file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

/// Whether the model has a rollout (`--strategy` has something to change).
fn has_rollouts(tables: &DeTable<'_>) -> bool {
    tables
        .get("rollouts")
        .and_then(|r| r.get_ref().as_array())
        .is_some_and(|list| !list.is_empty())
}

/// The rollout imported from `rollout.files` (named `given`) for the model of
/// `tables`, as TOML value text, the index of the model's rollout it replaces
/// (`None`: it is added), and the note of what it judges.
fn import_rollout(
    tables: &DeTable<'_>,
    rollout: &RolloutFile,
    given: &str,
) -> Result<(String, Option<usize>, ImportNote), String> {
    let choice = import::Choice {
        name: rollout.rollout_name.as_deref(),
        stage: rollout.rollout_stage.as_deref(),
    };
    // The error names the file already.
    let imported = import::import_paths(&rollout.files, &choice).map_err(|e| e.to_string())?;
    let layers: Vec<String> = tables
        .get("layers")
        .and_then(|l| l.get_ref().as_table())
        .map(|l| l.keys().map(|k| k.get_ref().to_string()).collect())
        .unwrap_or_default();
    let rolled: Vec<String> = tables
        .get("rollouts")
        .and_then(|r| r.get_ref().as_array())
        .map(|list| {
            list.iter()
                .map(|r| {
                    let layer = r.get_ref().get("layer").and_then(|l| l.get_ref().as_str());
                    layer.unwrap_or_default().to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    let layer = choose_layer(&layers, &rolled, &imported, rollout.layer.as_deref())?;
    let spec = imported.for_layer(&layer);
    let replaced = rolled.iter().position(|r| *r == layer);
    let value = toml::Value::try_from(&spec).map_err(|e| e.to_string())?;
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
    let note = ImportNote {
        layer,
        source: given.to_string(),
        description: imported.description.clone(),
        replaced: replaced.is_some(),
        judged: imported.judged().sentence(),
        not_represented: imported.not_represented.clone(),
        ignored: imported.ignored.clone(),
    };
    Ok((value.to_string(), replaced, note))
}

/// Puts the rollout `imported` (TOML value text) in the model's `tables`: in place of
/// rollout `replaced`, keeping its `start` and `release` (the other tool's file
/// describes neither), or added.
fn put_rollout<'a>(
    tables: &mut DeTable<'a>,
    imported: &'a str,
    replaced: Option<usize>,
) -> Result<(), String> {
    let mut value = DeValue::parse(imported).map_err(|e| e.message().to_string())?;
    let rollouts = tables
        .entry(Spanned::new(0..0, "rollouts".into()))
        .or_insert_with(|| Spanned::new(0..0, DeValue::Array(DeArray::new())));
    let DeValue::Array(list) = rollouts.get_mut() else {
        return Err("the model's `rollouts` is not a list of [[rollouts]] sections".into());
    };
    match replaced.and_then(|i| list.get_mut(i)) {
        Some(slot) => {
            if let (DeValue::Table(new), DeValue::Table(old)) = (value.get_mut(), slot.get_ref()) {
                for key in ["start", "release"] {
                    new.remove(key);
                    if let Some((k, v)) = old.get_key_value(key) {
                        new.insert(k.clone(), v.clone());
                    }
                }
            }
            *slot = value;
        }
        None => list.push(value),
    }
    Ok(())
}

/// The layer the imported rollout is for: `layer` if given, else the model's only
/// rollout's (of the model's `rolled` layers), else the layer the file names.
fn choose_layer(
    layers: &[String],
    rolled: &[String],
    imported: &import::Imported,
    layer: Option<&str>,
) -> Result<String, String> {
    let has = |name: &str| layers.iter().any(|l| l == name);
    let listed = layers.join(", ");
    if let Some(layer) = layer {
        if has(layer) {
            return Ok(layer.to_string());
        }
        return Err(format!(
            "--layer {layer}: the model has no such layer; its layers are {listed}"
        ));
    }
    if let [only] = rolled {
        return Ok(only.clone());
    }
    if let Some(name) = imported.name.as_deref().filter(|n| has(n)) {
        return Ok(name.to_string());
    }
    Err(format!(
        "which layer does it roll out? The model has {} rollouts ({}) and the file names {}, \
         which is not a layer of the model; give --layer NAME (layers: {listed})",
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

/// Refuses a model with a release calendar for `command`, which measures rollouts one
/// by one: a calendar's run keeps only the recent past of most series and is measured
/// as a whole (`run`, `sweep`).
pub(crate) fn refuse_calendar(model: &Scenario, file: &Path, command: &str) -> Result<(), Error> {
    if model.releases.is_none() {
        return Ok(());
    }
    Err(Error::BadInput(format!(
        "{}: `{command}` measures rollouts one by one, which a model with a release calendar \
         ([releases]) is not measured by; use `rollsim run` (every release and the week's \
         figures) or `rollsim sweep` (the week's figures over seeds and points), or remove \
         [releases]",
        file.display()
    )))
}

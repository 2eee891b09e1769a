//! `rollsim import FILE... [--name NAME] [--stage STAGE] [--layer NAME]`: read a rollout written for another tool (Argo
//! Rollouts, Flagger, a Kubernetes Deployment, Spinnaker, Asgard) and print the
//! equivalent `[[rollouts]]` section, every value with its origin and every field that
//! cannot be represented with what was assumed instead (see [`crate::import`]).
//!
//! The section is checked before it is printed, in a one-layer model whose layer is
//! named like the rollout's, so what is printed pastes into a model as it is.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::Error;
use crate::import::{self, render};
use crate::scenario;

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The rollout: Argo Rollouts, Flagger or Kubernetes YAML, Spinnaker or Asgard JSON.
    /// Several files or a directory are read together, so that a Rollout's analysis
    /// templates can live in files of their own.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The rollout to import when the files hold several (its `metadata.name`, or a
    /// pipeline's `name`).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The deploy stage to import from a Spinnaker pipeline that has several (test,
    /// staging, production): its `name` or `refId`.
    #[arg(long, value_name = "STAGE")]
    stage: Option<String>,
    /// The layer the rollout is for (default: the name the file gives the service).
    #[arg(long, value_name = "NAME")]
    layer: Option<String>,
}

impl ImportArgs {
    fn choice(&self) -> import::Choice<'_> {
        import::Choice {
            name: self.name.as_deref(),
            stage: self.stage.as_deref(),
        }
    }
}

/// Instances of the layer the printed section is checked in (at least a canary's).
const CHECK_INSTANCES: u32 = 10;

pub(crate) fn run(args: &ImportArgs) -> Result<(), Error> {
    let imported = import::import_paths(&args.files, &args.choice())?;
    let given = import::paths_given(&args.files);
    let layer = match (&args.layer, &imported.name) {
        (Some(layer), _) => layer.clone(),
        (None, Some(name)) => name.clone(),
        (None, None) => {
            return Err(Error::BadInput(format!(
                "{given}: the file names no service; give the layer with --layer NAME"
            )));
        }
    };
    let section = render::to_toml(&imported, Path::new(&given), &layer);
    check_section(&section, &layer, &imported).map_err(|e| {
        Error::BadInput(format!(
            "{given}: the imported rollout does not check as a rollsim rollout: {e}"
        ))
    })?;
    print!("{section}");
    Ok(())
}

/// Checks `section` in a one-layer model named `layer`.
fn check_section(section: &str, layer: &str, imported: &import::Imported) -> Result<(), String> {
    let canary = imported
        .rollout
        .red_black
        .canary
        .as_ref()
        .map_or(0, |c| c.instances);
    let name = toml::Value::String(layer.to_string());
    let model = format!(
        "duration = \"24h\"\n[traffic]\nentry = {name}\nrate = \"100/s\"\n[layers.{name}]\n\
         instances = {}\n{section}",
        CHECK_INSTANCES.max(canary)
    );
    scenario::parse(&model, Path::new("imported section"))
        .map(|_| ())
        .map_err(|mut e| {
            e.position = None;
            e.to_string()
        })
}

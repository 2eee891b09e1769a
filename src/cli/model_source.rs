//! Where a command's model comes from: a file, or the built-in default model; with
//! `--set` overrides applied before it is checked.

use std::path::{Path, PathBuf};

use crate::scenario::{self, Scenario, overrides::Override};

use super::run::{DEFAULT_MODEL, DEFAULT_MODEL_NAME};

/// Loads the model at `path` (the built-in one if `None`) with `overrides` applied.
/// Returns it and the name to use in messages.
pub(crate) fn load(
    path: Option<&Path>,
    overrides: &[Override],
) -> Result<(Scenario, PathBuf), String> {
    let file = path.map_or_else(|| PathBuf::from(DEFAULT_MODEL_NAME), Path::to_path_buf);
    if overrides.is_empty() {
        let model = match path {
            Some(path) => scenario::load(path),
            None => scenario::parse(DEFAULT_MODEL, Path::new(DEFAULT_MODEL_NAME)),
        }
        .map_err(|e| e.to_string())?;
        return Ok((model, file));
    }
    // Read and check the file as it is first, so its own errors keep their lines.
    let original = match path {
        Some(path) => {
            scenario::load(path).map_err(|e| e.to_string())?;
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => DEFAULT_MODEL.to_string(),
    };
    let changed = scenario::overrides::apply(&original, overrides)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let sets: Vec<&str> = overrides.iter().map(Override::text).collect();
    let mut model = scenario::parse(&changed, &file).map_err(|mut e| {
        // Positions would point into the rewritten text, not the user's file.
        e.position = None;
        format!("{e} (with --set {})", sets.join(", --set "))
    })?;
    if model.name.is_empty() {
        model.name = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    }
    Ok((model, file))
}

//! Model files: the TOML format a user writes, its documented defaults, and the
//! checks that run before anything is simulated.
//!
//! # How a file becomes a [`Scenario`]
//! 1. [`load`] (or [`read`]) reads the file once, bounded (a missing or unreadable
//!    file, a directory or one over [`MAX_FILE_BYTES`] is an error naming it).
//! 2. The TOML is parsed ([`edited::ModelText`]), and changed there by the command
//!    line's edits (`--set`, `--strategy`, an imported rollout) or a sweep's point.
//!    Then it is deserialized field by field; a syntax error, a wrong type,
//!    an unknown field or a bad duration/rate/distribution stops here, with the
//!    field's path and its line and column.
//! 3. [`check`] checks meaning: layers that exist, no call cycles, numbers in range,
//!    sizes within [`limits`] (so 10^12 instances or a 1000-year run are refused, not
//!    attempted).
//! 4. [`work::estimate`] says how much a run of it would cost (events and memory); the
//!    commands that run it refuse one over [`work::MAX_WORK_EVENTS`] or
//!    [`work::MAX_MEMORY_BYTES`] unless `--force`.
//!
//! Sections, one file each: [`document`] (the top level), [`layer`], [`balancer`],
//! [`client`], [`noise`], [`traffic`], [`chaos`], [`rollout`], [`releases`] (with the week's clock, [`week`]). Each lists its defaults under "Default values".

pub mod balancer;
pub mod chaos;
mod check;
pub mod client;
pub mod document;
#[cfg(test)]
mod documented_defaults;
pub mod edited;
mod error;
pub(crate) mod files;
pub mod judged;
pub mod layer;
pub mod limits;
mod locate;
pub mod noise;
pub mod overrides;
#[cfg(test)]
mod reference;
pub mod releases;
pub mod rollout;
pub mod traffic;
pub mod week;
pub mod work;

use std::path::Path;

pub use document::{Fidelity, Scenario};
pub use edited::ModelText;
pub use error::ScenarioError;

/// Largest model file read, so a huge file is refused rather than parsed.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads the text of the `kind` file ("model", "rollout") at `path`: a regular file of
/// at most `MAX_FILE_BYTES` (a directory, device or FIFO is refused before reading).
pub(crate) fn read_limited(path: &Path, kind: &str) -> Result<String, ScenarioError> {
    files::read_bounded(path, kind, MAX_FILE_BYTES)
}

/// Reads the text of the model file at `path`, through [`files::read_bounded`]: read
/// once, then parsed, changed and checked from memory ([`edited`]).
pub fn read(path: &Path) -> Result<String, ScenarioError> {
    read_limited(path, "model")
}

/// Reads, parses and checks the model file at `path`; a model without a `name` is
/// named after its file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let source = read(path)?;
    let mut scenario = parse(&source, path)?;
    if scenario.name.is_empty() {
        scenario.name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    }
    Ok(scenario)
}

/// Parses and checks model text; `file` is only used in error messages.
pub fn parse(source: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    ModelText::parse(source, file)?.check("unchanged")
}

/// Checks a model changed after loading (e.g. by `--strategy`): the first problem, as
/// "field: message", naming `file`.
pub fn recheck(scenario: &Scenario, file: &Path) -> Result<(), ScenarioError> {
    match check::check(scenario).into_iter().next() {
        None => Ok(()),
        Some(problem) => Err(ScenarioError {
            file: file.to_path_buf(),
            position: None,
            field: locate::dotted(&problem.path),
            message: problem.message,
        }),
    }
}

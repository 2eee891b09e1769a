//! Model files: the TOML format a user writes, its documented defaults, and the
//! checks that run before anything is simulated.
//!
//! # How a file becomes a [`Scenario`]
//! 1. [`load`] reads the file (a missing or unreadable file is an error naming it).
//! 2. The TOML is parsed and deserialized field by field; a syntax error, a wrong type,
//!    an unknown field or a bad duration/rate/distribution stops here, with the
//!    field's path and its line and column.
//! 3. [`validate`] checks meaning: layers that exist, no call cycles, numbers in range,
//!    sizes within [`limits`] (so 10^12 instances or a 1000-year run are refused, not
//!    attempted).
//! 4. [`work::estimate`] says how much a run of it would cost (events and memory); the
//!    commands that run it refuse one over [`work::MAX_WORK_EVENTS`] or
//!    [`work::MAX_MEMORY_BYTES`] unless `--force`.
//!
//! Sections, one file each: [`document`] (the top level), [`layer`], [`balancer`],
//! [`client`], [`traffic`], [`chaos`], [`rollout`]. Each lists its defaults under "Default values".

pub mod balancer;
pub mod chaos;
pub mod client;
pub mod document;
#[cfg(test)]
mod documented_defaults;
mod error;
pub(crate) mod files;
pub mod judged;
pub mod layer;
pub mod limits;
mod locate;
pub mod overrides;
pub mod rollout;
pub mod traffic;
mod validate;
pub mod work;

use std::path::Path;

pub use document::{Fidelity, Scenario};
pub use error::ScenarioError;

use locate::Segment;

/// Largest model file read, so a huge file is refused rather than parsed.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads the text of the `kind` file ("model", "rollout") at `path`: a regular file of
/// at most `MAX_FILE_BYTES` (a directory, device or FIFO is refused before reading).
pub(crate) fn read_limited(path: &Path, kind: &str) -> Result<String, ScenarioError> {
    files::read_bounded(path, kind, MAX_FILE_BYTES)
}

/// Reads, parses and checks the model file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with_source(path).map(|(scenario, _)| scenario)
}

/// Reads, parses and checks the model file at `path`; returns it and the text read (to
/// change with overrides without reading the file twice).
pub fn load_with_source(path: &Path) -> Result<(Scenario, String), ScenarioError> {
    let source = read_limited(path, "model")?;
    let mut scenario = parse(&source, path)?;
    if scenario.name.is_empty() {
        scenario.name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    }
    Ok((scenario, source))
}

/// Parses and checks model text; `file` is only used in error messages.
pub fn parse(source: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    let error_at = |path: &[Segment], span_start: Option<usize>, message: String| ScenarioError {
        file: file.to_path_buf(),
        position: span_start
            .or_else(|| locate::offset_of(source, path))
            .map(|offset| error::line_column(source, offset)),
        field: locate::dotted(path),
        message,
    };
    let deserializer = toml::Deserializer::parse(source).map_err(|e| {
        error_at(
            &[],
            e.span().map(|s| s.start),
            format!("not valid TOML: {}", e.message()),
        )
    })?;
    let scenario: Scenario = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = segments(e.path());
        let inner = e.into_inner();
        error_at(
            &path,
            inner.span().map(|s| s.start),
            inner.message().trim().to_string(),
        )
    })?;
    if let Some(problem) = validate::check(&scenario).into_iter().next() {
        return Err(error_at(&problem.path, None, problem.message));
    }
    Ok(scenario)
}

/// Checks a model changed after loading (e.g. by `--strategy`): the first problem, as
/// "field: message", naming `file`.
pub fn recheck(scenario: &Scenario, file: &Path) -> Result<(), ScenarioError> {
    match validate::check(scenario).into_iter().next() {
        None => Ok(()),
        Some(problem) => Err(ScenarioError {
            file: file.to_path_buf(),
            position: None,
            field: locate::dotted(&problem.path),
            message: problem.message,
        }),
    }
}

fn segments(path: &serde_path_to_error::Path) -> Vec<Segment> {
    use serde_path_to_error::Segment as S;
    path.iter()
        .filter_map(|segment| match segment {
            S::Seq { index } => Some(Segment::Index(*index)),
            S::Map { key } => Some(Segment::Key(key.clone())),
            S::Enum { .. } | S::Unknown => None,
        })
        .collect()
}

//! One path from a model's text to a checked [`Scenario`]: the text is parsed once as
//! TOML (a syntax error stops here, with its line and column), changed on the parsed
//! tables by edits (`--set`, `--strategy`, an imported rollout, a sweep's point), then
//! deserialized and checked once.
//!
//! Whose error it is: an unchanged model's error has the line and column of the
//! offending value. When a changed model fails, the file without the changes is
//! deserialized and checked once more (on that error path only): if it fails alone,
//! its own error is reported as above; otherwise the changed model's, without a
//! position (the changed model is in no file) and followed by the changes, e.g.
//! `(with --set layers.edge.instances=0)`.

use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::DeTable;

use super::locate::{self, Segment};
use super::overrides::{self, Override};
use super::{Scenario, ScenarioError, check, error};
use crate::Error;

/// A model's text, parsed, with the edits made so far.
#[derive(Clone)]
pub struct ModelText<'a> {
    source: &'a str,
    file: PathBuf,
    original: Spanned<DeTable<'a>>,
    /// The changed tables, once anything is changed.
    edited: Option<Spanned<DeTable<'a>>>,
}

impl<'a> ModelText<'a> {
    /// Parses `source` as TOML; `file` is only used in error messages.
    pub fn parse(source: &'a str, file: &Path) -> Result<ModelText<'a>, ScenarioError> {
        let original = DeTable::parse(source).map_err(|e| {
            error_at(
                source,
                file,
                &[],
                e.span().map(|s| s.start),
                format!("not valid TOML: {}", e.message()),
            )
        })?;
        Ok(ModelText {
            source,
            file: file.to_path_buf(),
            original,
            edited: None,
        })
    }

    /// The tables as they are now (changed or not).
    pub fn tables(&self) -> &DeTable<'a> {
        self.edited.as_ref().unwrap_or(&self.original).get_ref()
    }

    /// The tables, to change.
    pub fn tables_mut(&mut self) -> &mut DeTable<'a> {
        self.edited
            .get_or_insert_with(|| self.original.clone())
            .get_mut()
    }

    /// Applies `overrides` in order ([`overrides::apply`]); an error (bad input) names
    /// the override.
    pub fn apply(&mut self, overrides: &'a [Override]) -> Result<(), Error> {
        if overrides.is_empty() {
            return Ok(());
        }
        overrides::apply(self.tables_mut(), overrides).map_err(Error::BadInput)
    }

    /// Deserializes and checks the model. `changes` says what changed it (`with --set
    /// …`), for an error of the changed model.
    pub fn check(self, changes: &str) -> Result<Scenario, ScenarioError> {
        let Some(edited) = self.edited else {
            return build(self.source, &self.file, self.original, true);
        };
        build(self.source, &self.file, edited, false).map_err(|changed| {
            match build(self.source, &self.file, self.original, true) {
                Err(own) => own,
                Ok(_) => ScenarioError {
                    message: format!("{} ({changes})", changed.message),
                    ..changed
                },
            }
        })
    }
}

/// The model of `tables`, deserialized and checked; with `positions`, an error has the
/// line and column of its value in `source`.
fn build(
    source: &str,
    file: &Path,
    tables: Spanned<DeTable<'_>>,
    positions: bool,
) -> Result<Scenario, ScenarioError> {
    let at = |path: &[Segment], span_start: Option<usize>, message: String| {
        let mut e = error_at(source, file, path, span_start, message);
        if !positions {
            e.position = None;
        }
        e
    };
    let deserializer = toml::Deserializer::from(tables);
    let scenario: Scenario = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = segments(e.path());
        let inner = e.into_inner();
        at(
            &path,
            inner.span().map(|s| s.start),
            inner.message().trim().to_string(),
        )
    })?;
    if let Some(problem) = check::check(&scenario).into_iter().next() {
        return Err(at(&problem.path, None, problem.message));
    }
    Ok(scenario)
}

/// An error at `path` of the model in `source`: at `span_start`, else where the path
/// is found in `source`.
fn error_at(
    source: &str,
    file: &Path,
    path: &[Segment],
    span_start: Option<usize>,
    message: String,
) -> ScenarioError {
    ScenarioError {
        file: file.to_path_buf(),
        position: span_start
            .or_else(|| locate::offset_of(source, path))
            .map(|offset| error::line_column(source, offset)),
        field: locate::dotted(path),
        message,
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

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "duration = \"10m\"\n[traffic]\nentry = \"edge\"\nrate = \"10/s\"\n\
        [layers.edge]\ninstances = 2\nworkers = 2\nservice_time = \"det(10ms)\"\n";

    fn sets(texts: &[&str]) -> Vec<Override> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn an_unchanged_models_error_has_its_line_and_column() {
        let source = MODEL.replace("instances = 2", "instances = 0");
        let error = ModelText::parse(&source, Path::new("m.toml"))
            .unwrap()
            .check("unused")
            .unwrap_err();
        assert_eq!(error.position, Some((6, 13)), "{error}");
    }

    #[test]
    fn a_changes_error_says_the_changes_without_a_position() {
        let overrides = sets(&["layers.edge.instances=0"]);
        let mut text = ModelText::parse(MODEL, Path::new("m.toml")).unwrap();
        text.apply(&overrides).unwrap();
        let error = text
            .check("with --set layers.edge.instances=0")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "m.toml: field `layers.edge.instances`: must be between 1 and 100000, got 0 \
             (with --set layers.edge.instances=0)"
        );
    }

    #[test]
    fn the_files_own_error_is_reported_as_the_files_and_changes_may_mend_it() {
        let source = MODEL.replace("instances = 2", "instances = 0");
        let overrides = sets(&["layers.edge.workers=3"]);
        let mut text = ModelText::parse(&source, Path::new("m.toml")).unwrap();
        text.apply(&overrides).unwrap();
        let error = text.check("with --set layers.edge.workers=3").unwrap_err();
        assert_eq!(error.position, Some((6, 13)), "{error}");
        assert!(!error.message.contains("with --set"), "{error}");
        let mended = sets(&["layers.edge.instances=3"]);
        let mut text = ModelText::parse(&source, Path::new("m.toml")).unwrap();
        text.apply(&mended).unwrap();
        assert_eq!(text.check("").unwrap().layers["edge"].instances, 3);
    }
}

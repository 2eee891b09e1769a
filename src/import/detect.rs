//! Which tool wrote a file, and which of the objects given is the rollout:
//! Kubernetes-style documents by `apiVersion` and `kind`, Spinnaker and Asgard JSON by
//! their shape.
//!
//! The files given together (several files, a directory, multi-document YAML, a JSON
//! array of pipelines as Spinnaker's API exports them) are one pool of [`Document`]s:
//! the rollouts (`Rollout`, `Canary`, `Deployment`, a pipeline) and the templates they
//! refer to (`AnalysisTemplate`, `ClusterAnalysisTemplate`, `MetricTemplate`), which
//! the format modules look up by name in the whole pool with [`find_template`], in
//! whichever file they are. Other documents (Services, Ingresses) are ignored. One
//! rollout is imported: the only one, or the one `--name` names; several without a
//! name are refused with the list of choices (never the first silently).

use std::path::{Path, PathBuf};

use super::tree::{Node, Obj, Value};
use super::{Choice, Imported, argo, asgard, flagger, kubernetes, spinnaker};
use crate::scenario::ScenarioError;

/// What rollsim imports, for error messages.
const KNOWN_FORMATS: &str = "an Argo Rollouts `Rollout` (argoproj.io), a Flagger `Canary` \
     (flagger.app), a Kubernetes `Deployment` (apps/v1), a Spinnaker pipeline, deploy stage \
     or cluster (JSON with `stages`, `clusters` or `strategy`), or an Asgard deployment \
     (JSON with `deploymentOptions`)";

/// One document of the files imported together, with the file it came from.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub(crate) node: Node,
    pub(crate) file: PathBuf,
}

impl Document {
    /// The documents of `file`'s text: each YAML document, and each element of a JSON
    /// (or YAML) top-level list of objects.
    pub(crate) fn all_of(nodes: Vec<Node>, file: &Path) -> Vec<Document> {
        let mut documents = Vec::new();
        for node in nodes {
            match node.value {
                Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => {
                    documents.extend(items.into_iter().map(|node| Document {
                        node,
                        file: file.to_path_buf(),
                    }));
                }
                _ => documents.push(Document {
                    node,
                    file: file.to_path_buf(),
                }),
            }
        }
        documents
    }
}

/// The tool whose rollout a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Argo,
    Flagger,
    Kubernetes,
    Spinnaker,
    Asgard,
}

/// A rollout found among the documents.
struct Candidate<'a> {
    document: &'a Document,
    format: Format,
    /// What it is, for the list of choices.
    what: String,
    name: Option<String>,
}

/// Maps the rollout among `documents`: the only one, or the one `choice` names.
/// `files` names what was given, for errors that concern no one file.
pub(crate) fn import_documents(
    documents: &[Document],
    choice: &Choice<'_>,
    files: &str,
) -> Result<Imported, ScenarioError> {
    let name = choice.name;
    let Some(first) = documents.first() else {
        return Err(ScenarioError {
            file: PathBuf::from(files),
            position: None,
            field: String::new(),
            message: format!("the file is empty; expected {KNOWN_FORMATS}"),
        });
    };
    let (all, kinds) = classify(documents)?;
    // A Deployment that a Rollout takes its pods from (`workloadRef`), or that a Flagger
    // Canary rolls (`targetRef`), is part of that rollout, not a rollout of its own.
    let referenced: Vec<String> = all
        .iter()
        .filter_map(|c| match c.format {
            Format::Argo => reference_name(&c.document.node, "workloadRef"),
            Format::Flagger => reference_name(&c.document.node, "targetRef"),
            _ => None,
        })
        .collect();
    let candidates: Vec<&Candidate<'_>> = all
        .iter()
        .filter(|c| {
            c.format != Format::Kubernetes
                || c.name.as_ref().is_none_or(|n| !referenced.contains(n))
        })
        .filter(|c| name.is_none_or(|wanted| c.name.as_deref() == Some(wanted)))
        .collect();
    let many = |message: String| ScenarioError {
        file: PathBuf::from(files),
        position: None,
        field: "--name".to_string(),
        message,
    };
    match candidates[..] {
        [c] => {
            let root = Obj::root(&c.document.node, &c.document.file)?;
            let file = c.document.file.as_path();
            if choice.stage.is_some() && c.format != Format::Spinnaker {
                return Err(ScenarioError {
                    file: file.to_path_buf(),
                    position: None,
                    field: "--stage".to_string(),
                    message: format!(
                        "picks a stage of a Spinnaker pipeline; the rollout given is {}",
                        c.what
                    ),
                });
            }
            match c.format {
                Format::Argo => argo::import(&root, documents, file),
                Format::Flagger => flagger::import(&root, documents, file),
                Format::Kubernetes => kubernetes::import(&root, file),
                Format::Spinnaker => spinnaker::import(&root, file, choice.stage),
                Format::Asgard => asgard::import(&root, file),
            }
        }
        [] => match name {
            Some(wanted) if !all.is_empty() => Err(many(format!(
                "no rollout is named {wanted:?}; the rollouts given are: {}",
                choices(all.iter())
            ))),
            _ => Err(nothing_importable(first, &kinds)?),
        },
        _ => Err(many(format!(
            "{} rollouts are given; choose one with --name NAME: {}",
            candidates.len(),
            choices(candidates.iter().copied())
        ))),
    }
}

/// The rollouts among `documents`, and the kinds of the other Kubernetes-style ones.
#[allow(clippy::type_complexity)]
fn classify(
    documents: &[Document],
) -> Result<(Vec<Candidate<'_>>, Vec<(&Document, String, Option<String>)>), ScenarioError> {
    let mut candidates = Vec::new();
    let mut kinds = Vec::new();
    for document in documents {
        let node = &document.node;
        let Value::Map(_) = node.value else {
            continue;
        };
        let kind = kind_of(node);
        let api = api_version_of(node);
        let format = match (kind.as_deref(), api.as_deref()) {
            (Some("Rollout"), Some(api)) if api.starts_with("argoproj.io/") => Format::Argo,
            (Some("Canary"), Some(api)) if api.starts_with("flagger.app/") => Format::Flagger,
            (Some("Deployment"), Some(api)) if api.starts_with("apps/") => Format::Kubernetes,
            (Some(kind), api) => {
                kinds.push((document, kind.to_string(), api.map(String::from)));
                continue;
            }
            (None, _) => {
                let root = Obj::root(node, &document.file)?;
                if root.has("stages") || root.has("clusters") || root.has("strategy") {
                    Format::Spinnaker
                } else if root.has("deploymentOptions") || root.has("clusterName") {
                    Format::Asgard
                } else {
                    continue;
                }
            }
        };
        let (what, name) = match format {
            Format::Spinnaker => ("Spinnaker JSON".to_string(), json_name(node)),
            Format::Asgard => ("Asgard JSON".to_string(), json_name(node)),
            _ => (kind.unwrap_or_default(), metadata_name(node)),
        };
        candidates.push(Candidate {
            document,
            format,
            what,
            name,
        });
    }
    Ok((candidates, kinds))
}

/// The name a Spinnaker or Asgard JSON object gives itself.
fn json_name(node: &Node) -> Option<String> {
    ["name", "application", "clusterName"]
        .iter()
        .find_map(|key| string_at(node, key))
}

/// `Rollout "a" (file:line), Deployment "b" (file:line)`.
fn choices<'a, 'b: 'a>(candidates: impl Iterator<Item = &'a Candidate<'b>>) -> String {
    candidates
        .map(|c| {
            let at = match c.document.node.position {
                Some((line, _)) => format!("{}:{line}", c.document.file.display()),
                None => c.document.file.display().to_string(),
            };
            format!("{} {} ({at})", c.what, super::quoted(c.name.as_deref()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error when no document is a rollout rollsim imports.
fn nothing_importable(
    first: &Document,
    kinds: &[(&Document, String, Option<String>)],
) -> Result<ScenarioError, ScenarioError> {
    let templates: Vec<&str> = kinds
        .iter()
        .map(|(_, kind, _)| kind.as_str())
        .filter(|kind| TEMPLATE_KINDS.contains(kind))
        .collect();
    if !templates.is_empty() && templates.len() == kinds.len() {
        return Ok(ScenarioError {
            file: first.file.clone(),
            position: first.node.position,
            field: "kind".to_string(),
            message: format!(
                "only analysis templates ({}) are given, no rollout; give the Rollout or Canary \
                 that uses them together with them (several files, or a directory)",
                templates.join(", ")
            ),
        });
    }
    Ok(match kinds.first() {
        Some((document, kind, api)) => {
            let root = Obj::root(&document.node, &document.file)?;
            let field = root
                .get("kind")
                .map_or_else(|| root.error("kind", ""), |f| f.error(""));
            ScenarioError {
                message: format!(
                    "`{kind}` ({}) is not a rollout rollsim can import; expected {KNOWN_FORMATS}",
                    api.as_deref().unwrap_or("no apiVersion")
                ),
                ..field
            }
        }
        None => ScenarioError {
            file: first.file.clone(),
            position: first.node.position,
            field: String::new(),
            message: format!(
                "neither `kind` nor a known JSON shape (e.g. `stages`, `clusters`, \
                 `deploymentOptions`); expected {KNOWN_FORMATS}"
            ),
        },
    })
}

/// Kinds that hold analysis metrics for a rollout elsewhere.
const TEMPLATE_KINDS: [&str; 3] = [
    "AnalysisTemplate",
    "ClusterAnalysisTemplate",
    "MetricTemplate",
];

/// `spec.{key}.name`: the workload a Rollout (`workloadRef`) or Canary (`targetRef`)
/// refers to.
fn reference_name(node: &Node, key: &str) -> Option<String> {
    let spec = child(node, "spec")?;
    let reference = child(spec, key)?;
    string_at(reference, "name")
}

fn child<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn string_at(node: &Node, key: &str) -> Option<String> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| match &v.value {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        })
}

fn kind_of(node: &Node) -> Option<String> {
    string_at(node, "kind")
}

fn api_version_of(node: &Node) -> Option<String> {
    string_at(node, "apiVersion")
}

/// The document of one of `kinds` named `name` (`metadata.name`), in whichever of the
/// files given it is.
pub(crate) fn find_template<'a>(
    documents: &'a [Document],
    kinds: &[&str],
    name: &str,
) -> Option<&'a Document> {
    documents.iter().find(|document| {
        kind_of(&document.node).is_some_and(|k| kinds.contains(&k.as_str()))
            && metadata_name(&document.node).as_deref() == Some(name)
    })
}

/// `metadata.name` of a Kubernetes-style document.
pub(crate) fn metadata_name(node: &Node) -> Option<String> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k == "metadata")
        .and_then(|(_, metadata)| string_at(metadata, "name"))
}

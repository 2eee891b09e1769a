//! Which tool wrote a file: Kubernetes-style documents by `apiVersion` and `kind`,
//! Spinnaker and Asgard JSON by their shape.
//!
//! A YAML stream may hold several documents: the rollout itself (`Rollout`, `Canary`,
//! `Deployment`) and the templates it refers to (`AnalysisTemplate`,
//! `ClusterAnalysisTemplate`, `MetricTemplate`), which the format modules look up by
//! name with [`find_template`]. Other documents (Services, Ingresses) are ignored.

use std::path::Path;

use super::tree::{Node, Obj, Value};
use super::{Imported, argo, asgard, flagger, kubernetes, spinnaker};
use crate::scenario::ScenarioError;

/// What rollsim imports, for error messages.
const KNOWN_FORMATS: &str = "an Argo Rollouts `Rollout` (argoproj.io), a Flagger `Canary` \
     (flagger.app), a Kubernetes `Deployment` (apps/v1), a Spinnaker pipeline, deploy stage \
     or cluster (JSON with `stages`, `clusters` or `strategy`), or an Asgard deployment \
     (JSON with `deploymentOptions`)";

/// Maps the first rollout among `documents`.
pub(crate) fn import_documents(documents: &[Node], file: &Path) -> Result<Imported, ScenarioError> {
    if documents.is_empty() {
        return Err(ScenarioError {
            file: file.to_path_buf(),
            position: None,
            field: String::new(),
            message: format!("the file is empty; expected {KNOWN_FORMATS}"),
        });
    }
    let mut kinds = Vec::new();
    for document in documents {
        let Value::Map(_) = document.value else {
            continue;
        };
        let root = Obj::root(document, file)?;
        let kind = kind_of(document);
        let api = api_version_of(document);
        match (kind.as_deref(), api.as_deref()) {
            (Some("Rollout"), Some(api)) if api.starts_with("argoproj.io/") => {
                return argo::import(&root, documents, file);
            }
            (Some("Canary"), Some(api)) if api.starts_with("flagger.app/") => {
                return flagger::import(&root, documents, file);
            }
            (Some("Deployment"), Some(api)) if api.starts_with("apps/") => {
                return kubernetes::import(&root, file);
            }
            (Some(kind), api) => kinds.push((document, kind.to_string(), api.map(String::from))),
            (None, _) => {
                if let Some(imported) = import_json_shape(&root, file)? {
                    return Ok(imported);
                }
            }
        }
    }
    let first = documents[0].clone();
    match kinds.first() {
        Some((document, kind, api)) => {
            let root = Obj::root(document, file)?;
            let field = root
                .get("kind")
                .map_or_else(|| root.error("kind", ""), |f| f.error(""));
            Err(ScenarioError {
                message: format!(
                    "`{kind}` ({}) is not a rollout rollsim can import; expected {KNOWN_FORMATS}",
                    api.as_deref().unwrap_or("no apiVersion")
                ),
                ..field
            })
        }
        None => Err(ScenarioError {
            file: file.to_path_buf(),
            position: first.position,
            field: String::new(),
            message: format!(
                "neither `kind` nor a known JSON shape (e.g. `stages`, `clusters`, \
                 `deploymentOptions`); expected {KNOWN_FORMATS}"
            ),
        }),
    }
}

/// Spinnaker and Asgard JSON, recognised by their keys.
fn import_json_shape(root: &Obj<'_>, file: &Path) -> Result<Option<Imported>, ScenarioError> {
    if root.has("stages") || root.has("clusters") || root.has("strategy") {
        return spinnaker::import(root, file).map(Some);
    }
    if root.has("deploymentOptions") || root.has("clusterName") {
        return asgard::import(root, file).map(Some);
    }
    Ok(None)
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

/// The document of one of `kinds` named `name` (`metadata.name`), if the file holds it.
pub(crate) fn find_template<'a>(
    documents: &'a [Node],
    kinds: &[&str],
    name: &str,
) -> Option<&'a Node> {
    documents.iter().find(|document| {
        kind_of(document).is_some_and(|k| kinds.contains(&k.as_str()))
            && metadata_name(document).as_deref() == Some(name)
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

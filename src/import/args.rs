//! Argo Rollouts' analysis arguments: a Rollout passes `args` to the templates it
//! names, and a template's strings say `{{args.NAME}}` where a value goes. The import
//! fills a copy of the template with the Rollout's values (over the template's own
//! defaults) before reading its metrics, as Argo does when it starts an AnalysisRun.

use std::collections::BTreeMap;

use super::tree::{Node, Value};

/// `node` with every `{{args.NAME}}` (spaces allowed inside the braces) in its strings
/// replaced by `args[NAME]`, as Argo Rollouts fills an AnalysisTemplate from the
/// Rollout's `args`; placeholders without a value are left as they are.
pub(crate) fn with_args(node: &Node, args: &BTreeMap<String, String>) -> Node {
    let value = match &node.value {
        Value::Str(text) => Value::Str(fill_args(text, args)),
        Value::Seq(items) => Value::Seq(items.iter().map(|i| with_args(i, args)).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), with_args(v, args)))
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        value,
        position: node.position,
    }
}

fn fill_args(text: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        let inner = rest[open + 2..open + close].trim();
        out.push_str(&rest[..open]);
        match inner.strip_prefix("args.").and_then(|name| args.get(name)) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_with_values_are_filled_and_others_kept() {
        let args = BTreeMap::from([("service".to_string(), "checkout".to_string())]);
        assert_eq!(
            fill_args(
                "rate{svc=\"{{args.service}}\"} > {{ args.service }} {{args.other}}",
                &args
            ),
            "rate{svc=\"checkout\"} > checkout {{args.other}}"
        );
        assert_eq!(fill_args("no placeholder {{", &args), "no placeholder {{");
    }
}

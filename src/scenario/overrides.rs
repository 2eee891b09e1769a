//! `--set PATH=VALUE`: change a model's field from the command line, without editing
//! its file.
//!
//! `PATH` is the field's dotted path as in the file (`layers.middle.instances`,
//! `traffic.rate`); array elements by index (`rollouts.0.red_black.bake`) or all of
//! them with `*` (`rollouts.*.strategy`); `rollout.` is short for `rollouts.*.`.
//! `VALUE` is a TOML value (`80`, `true`, `0.25`, `{ kind = "elb" }`) or, if it is not
//! one, a string (`2h`, `lognormal(mean=20ms, p99=100ms)`). The changed model is checked
//! like a file: a wrong path or value is an error naming the `--set`.

use toml::{Table, Value};

/// One `--set`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The path's segments (`*` for every element of an array).
    path: Vec<String>,
    value: Value,
    text: String,
}

impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (path, value) = text.split_once('=').ok_or_else(|| {
            format!("--set {text:?}: write PATH=VALUE, e.g. layers.middle.instances=80")
        })?;
        let path = path.trim();
        let path = match path.strip_prefix("rollout.") {
            Some(rest) => format!("rollouts.*.{rest}"),
            None => path.to_string(),
        };
        let segments: Vec<String> = path.split('.').map(|s| s.trim().to_string()).collect();
        if segments.iter().any(String::is_empty) {
            return Err(format!("--set {text:?}: the path has an empty segment"));
        }
        let raw = value.trim();
        let value = toml::from_str::<Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.to_string()));
        Ok(Override {
            path: segments,
            value,
            text: text.to_string(),
        })
    }
}

impl Override {
    /// An override of `path` (as in `--set`) with `value`.
    pub fn new(path: &str, value: Value) -> Result<Override, String> {
        let text = match &value {
            Value::String(s) => format!("{path}={s}"),
            other => format!("{path}={other}"),
        };
        let mut parsed: Override = format!("{path}=0").parse()?;
        parsed.value = value;
        parsed.text = text;
        Ok(parsed)
    }

    /// The `--set` as given.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Applies `overrides` in order to the model text `source`; returns the new text.
pub fn apply(source: &str, overrides: &[Override]) -> Result<String, String> {
    if overrides.is_empty() {
        return Ok(source.to_string());
    }
    let mut table: Table =
        toml::from_str(source).map_err(|e| format!("not valid TOML: {}", e.message()))?;
    for o in overrides {
        let mut root = Value::Table(std::mem::take(&mut table));
        set(&mut root, &o.path, &o.value).map_err(|why| format!("--set {}: {why}", o.text))?;
        table = match root {
            Value::Table(t) => t,
            _ => unreachable!("the root stays a table"),
        };
    }
    toml::to_string(&table).map_err(|e| format!("cannot write the changed model: {e}"))
}

fn set(node: &mut Value, path: &[String], value: &Value) -> Result<(), String> {
    let Some((head, rest)) = path.split_first() else {
        *node = value.clone();
        return Ok(());
    };
    match node {
        Value::Table(table) => {
            let child = table.entry(head.clone()).or_insert_with(|| {
                if rest.is_empty() {
                    value.clone()
                } else {
                    Value::Table(Table::new())
                }
            });
            set(child, rest, value)
        }
        Value::Array(items) if head == "*" => {
            if items.is_empty() {
                return Err("`*` matches no element: the list is empty".into());
            }
            items.iter_mut().try_for_each(|item| set(item, rest, value))
        }
        Value::Array(items) => {
            let index: usize = head
                .parse()
                .map_err(|_| format!("`{head}` is not an index of a list (0, 1, … or *)"))?;
            let len = items.len();
            let item = items
                .get_mut(index)
                .ok_or_else(|| format!("index {index} is past the end of a list of {len}"))?;
            set(item, rest, value)
        }
        _ => Err(format!(
            "cannot go into `{head}`: the field before it is a single value"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(text: &str) -> Override {
        text.parse().unwrap()
    }

    #[test]
    fn values_are_toml_or_strings() {
        let model = "[layers.middle]\ninstances = 24\n[[rollouts]]\nlayer = \"middle\"\n[[rollouts]]\nlayer = \"edge\"\n";
        let changed = apply(
            model,
            &[
                o("layers.middle.instances=80"),
                o("rollout.red_black.bake=2h"),
                o("rollouts.1.strategy = rolling"),
                o("layers.middle.balancer={ kind = \"elb\" }"),
            ],
        )
        .unwrap();
        let table: Table = toml::from_str(&changed).unwrap();
        assert_eq!(
            table["layers"]["middle"]["instances"].as_integer(),
            Some(80)
        );
        assert_eq!(
            table["rollouts"][0]["red_black"]["bake"].as_str(),
            Some("2h")
        );
        assert_eq!(
            table["rollouts"][1]["red_black"]["bake"].as_str(),
            Some("2h")
        );
        assert_eq!(table["rollouts"][1]["strategy"].as_str(), Some("rolling"));
        assert_eq!(
            table["layers"]["middle"]["balancer"]["kind"].as_str(),
            Some("elb")
        );
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        let model = "[layers.middle]\ninstances = 24\n[[rollouts]]\nlayer = \"middle\"\n";
        let error = apply(model, &[o("rollouts.3.bake=1h")]).unwrap_err();
        assert!(
            error.contains("index 3 is past the end of a list of 1"),
            "{error}"
        );
        let error = apply(model, &[o("layers.middle.instances.count=1")]).unwrap_err();
        assert!(error.contains("a single value"), "{error}");
        assert!(
            "no-equals-sign"
                .parse::<Override>()
                .unwrap_err()
                .contains("PATH=VALUE")
        );
    }
}

//! `--set PATH=VALUE`: change a model's field from the command line, without editing
//! its file.
//!
//! `PATH` is the field's dotted path as in the file (`layers.middle.instances`,
//! `traffic.rate`); a name with dots in quotes, as in TOML (`layers."api.v2".instances`);
//! array elements by index (`rollouts.0.red_black.bake`) or all of them with `*`
//! (`rollouts.*.strategy`, `layers.*.workers`); `rollout.` is short for `rollouts.*.`.
//! A layer, list or element that is not in the model is an error listing those that
//! are (a `--set` never adds a layer); an unknown field is refused when the changed
//! model is checked.
//! `VALUE` is a TOML value (`80`, `true`, `0.25`, `{ kind = "elb" }`) or, if it is not
//! one, a string (`2h`, `lognormal(mean=20ms, p99=100ms)`). The changed model is checked
//! like a file: a wrong path or value is an error naming the `--set`.
//!
//! Overrides change the model's parsed tables ([`super::edited::ModelText`]), which
//! are then checked once; other flags that change a field are overrides too (`--strategy
//! S` is `rollout.strategy=S`, named as `--strategy S` in messages).

use toml::de::{DeString, DeTable, DeValue};
use toml::{Spanned, Table, Value};

/// One `--set`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The path's segments (`*` for every element of an array).
    path: Vec<String>,
    /// The value as TOML text (a string quoted), parsed where it is set.
    value: String,
    text: String,
    /// How messages name it, if not `--set TEXT`.
    shown: Option<String>,
}

impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (path, value) = text.split_once('=').ok_or_else(|| {
            format!("--set {text:?}: write PATH=VALUE, e.g. layers.middle.instances=80")
        })?;
        let mut segments = split_path(path).map_err(|why| format!("--set {text:?}: {why}"))?;
        if segments.len() > 1 && segments[0] == "rollout" {
            segments.splice(0..1, ["rollouts".to_string(), "*".to_string()]);
        }
        let raw = value.trim();
        let value = toml::from_str::<Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.to_string()));
        Ok(Override {
            path: segments,
            value: value.to_string(),
            text: text.to_string(),
            shown: None,
        })
    }
}

impl Override {
    /// An override of `path` (as in `--set`) with `value`; a path that cannot be one
    /// is bad input.
    pub fn new(path: &str, value: Value) -> Result<Override, crate::Error> {
        let text = match &value {
            Value::String(s) => format!("{path}={s}"),
            other => format!("{path}={other}"),
        };
        let mut parsed: Override = format!("{path}=0")
            .parse()
            .map_err(crate::Error::BadInput)?;
        parsed.value = value.to_string();
        parsed.text = text;
        Ok(parsed)
    }

    /// The same override, named `shown` in messages (e.g. `--strategy rolling`).
    #[must_use]
    pub fn shown_as(mut self, shown: impl Into<String>) -> Override {
        self.shown = Some(shown.into());
        self
    }

    /// The `--set` as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How messages name it: `--set TEXT`, or the flag it stands for.
    pub fn shown(&self) -> String {
        self.shown
            .clone()
            .unwrap_or_else(|| format!("--set {}", self.text))
    }
}

/// The segments of a dotted path; a segment in double or single quotes is taken as
/// written, dots included (`layers."api.v2".instances`).
fn split_path(path: &str) -> Result<Vec<String>, String> {
    let mut segments = Vec::new();
    let mut chars = path.trim().chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let segment = match chars.peek() {
            Some(&quote @ ('"' | '\'')) => {
                chars.next();
                let mut name = String::new();
                loop {
                    match chars.next() {
                        None => return Err(format!("a name opened with {quote} is not closed")),
                        Some(c) if c == quote => break,
                        Some('\\') if quote == '"' => {
                            name.extend(chars.next());
                        }
                        Some(c) => name.push(c),
                    }
                }
                while chars.next_if(|c| c.is_whitespace()).is_some() {}
                if chars.peek().is_some_and(|&c| c != '.') {
                    return Err(format!(
                        "write a dot after the quoted name {quote}{name}{quote}"
                    ));
                }
                name
            }
            _ => {
                let mut name = String::new();
                while let Some(c) = chars.next_if(|&c| c != '.') {
                    name.push(c);
                }
                name.trim().to_string()
            }
        };
        if segment.is_empty() {
            return Err("the path has an empty segment".to_string());
        }
        segments.push(segment);
        if chars.next().is_none() {
            return Ok(segments);
        }
    }
}

/// Applies `overrides` in order to a model's parsed `tables`.
pub(crate) fn apply<'a>(tables: &mut DeTable<'a>, overrides: &'a [Override]) -> Result<(), String> {
    for o in overrides {
        let value = DeValue::parse(&o.value)
            .map_err(|e| format!("{}: not a TOML value: {}", o.shown(), e.message()))?;
        let mut root = Spanned::new(0..0, DeValue::Table(std::mem::take(tables)));
        let result = set(&mut root, &[], &o.path, &value);
        *tables = match root.into_inner() {
            DeValue::Table(t) => t,
            _ => unreachable!("the root stays a table"),
        };
        result.map_err(|why| format!("{}: {why}", o.shown()))?;
    }
    Ok(())
}

/// Sets `value` at `path` under `node`, which is at `at` (the segments before it).
fn set<'a>(
    node: &mut Spanned<DeValue<'a>>,
    at: &[String],
    path: &[String],
    value: &Spanned<DeValue<'a>>,
) -> Result<(), String> {
    let Some((head, rest)) = path.split_first() else {
        *node = value.clone();
        return Ok(());
    };
    let here: Vec<String> = at.iter().chain([head]).cloned().collect();
    match node.get_mut() {
        DeValue::Table(table) if head == "*" => {
            if table.is_empty() {
                return Err(format!("`*` matches nothing: `{}` is empty", at.join(".")));
            }
            table
                .iter_mut()
                .try_for_each(|(_, child)| set(child, &here, rest, value))
        }
        DeValue::Table(table) => {
            if !table.contains_key(head.as_str()) {
                if at == ["layers"] {
                    return Err(format!(
                        "the model has no layer `{head}`; its layers are {} (a --set never \
                         adds a layer)",
                        names(table.keys().map(|k| k.get_ref().as_ref()))
                    ));
                }
                if let Some(next) = rest
                    .first()
                    .filter(|n| *n == "*" || n.parse::<usize>().is_ok())
                {
                    return Err(format!(
                        "the model has no list `{}`, so no element `{next}`",
                        here.join(".")
                    ));
                }
                let child = if rest.is_empty() {
                    value.clone()
                } else {
                    Spanned::new(0..0, DeValue::Table(DeTable::new()))
                };
                let key: DeString<'a> = head.clone().into();
                table.insert(Spanned::new(0..0, key), child);
            }
            let child = table
                .get_mut(head.as_str())
                .expect("the key is in the table");
            set(child, &here, rest, value)
        }
        DeValue::Array(items) if head == "*" => {
            if items.is_empty() {
                return Err("`*` matches no element: the list is empty".into());
            }
            items
                .iter_mut()
                .try_for_each(|item| set(item, &here, rest, value))
        }
        DeValue::Array(items) => {
            let elements = elements(items);
            let index: usize = head.parse().map_err(|_| {
                format!(
                    "`{head}` is not an index of a list (0, 1, … or *); `{}` has {elements}",
                    at.join(".")
                )
            })?;
            let len = items.len();
            let item = items.get_mut(index).ok_or_else(|| {
                format!(
                    "index {index} is past the end of a list of {len}; `{}` has {elements}",
                    at.join(".")
                )
            })?;
            set(item, &here, rest, value)
        }
        _ => Err(format!(
            "cannot go into `{head}`: the field before it is a single value"
        )),
    }
}

/// `a, b, c`, or `none` for no name.
fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The elements of a list, for a message: `0 (layer backend), 1 (layer edge)` for
/// rollouts, `0 … 4` otherwise, `no element` if it is empty.
fn elements(items: &[Spanned<DeValue<'_>>]) -> String {
    let layers: Option<Vec<String>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let layer = item.get_ref().get("layer")?.get_ref().as_str()?;
            Some(format!("{i} (layer {layer})"))
        })
        .collect();
    match (items.len(), layers) {
        (0, _) => "no element".to_string(),
        (_, Some(layers)) => layers.join(", "),
        (1, None) => "element 0".to_string(),
        (len, None) => format!("elements 0 … {}", len - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(text: &str) -> Override {
        text.parse().unwrap()
    }

    /// `model` with `overrides` applied, as a table.
    fn applied(model: &str, overrides: &[Override]) -> Result<Table, String> {
        use serde::Deserialize;
        let mut tables = DeTable::parse(model).unwrap();
        apply(tables.get_mut(), overrides)?;
        Ok(Table::deserialize(toml::Deserializer::from(tables)).unwrap())
    }

    #[test]
    fn values_are_toml_or_strings() {
        let model = "[layers.middle]\ninstances = 24\n[[rollouts]]\nlayer = \"middle\"\n[[rollouts]]\nlayer = \"edge\"\n";
        let table = applied(
            model,
            &[
                o("layers.middle.instances=80"),
                o("rollout.red_black.bake=2h"),
                o("rollouts.1.strategy = rolling"),
                o("layers.middle.balancer={ kind = \"elb\" }"),
            ],
        )
        .unwrap();
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
    fn quoted_names_may_hold_dots_and_star_means_every_entry() {
        assert_eq!(
            o("layers.\"api.v2\" . workers=4").path,
            ["layers", "api.v2", "workers"]
        );
        assert_eq!(
            o("layers.'edge'.workers=4").path,
            ["layers", "edge", "workers"]
        );
        for (bad, why) in [
            ("layers.\"edge.workers=4", "is not closed"),
            ("layers.\"edge\"x.workers=4", "write a dot after"),
            ("layers..workers=4", "empty segment"),
            ("layers.\"\".workers=4", "empty segment"),
        ] {
            let error = bad.parse::<Override>().unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
        let model = "[layers.\"api.v2\"]\nworkers = 1\n[layers.edge]\nworkers = 1\n";
        let table = applied(model, &[o("layers.*.workers=4")]).unwrap();
        assert_eq!(table["layers"]["api.v2"]["workers"].as_integer(), Some(4));
        assert_eq!(table["layers"]["edge"]["workers"].as_integer(), Some(4));
    }

    #[test]
    fn a_layer_or_list_that_is_not_in_the_model_is_refused_with_the_real_names() {
        let model = "[layers.edge]\ninstances = 4\n[layers.backend]\ninstances = 4\n";
        let error = applied(model, &[o("layers.edg.instances=80")]).unwrap_err();
        assert!(
            error.contains("no layer `edg`; its layers are backend, edge"),
            "{error}"
        );
        let error = applied(model, &[o("rollouts.0.strategy=rolling")]).unwrap_err();
        assert!(
            error.contains("no list `rollouts`, so no element `0`"),
            "{error}"
        );
        let error = applied(model, &[o("rollout.strategy=rolling")]).unwrap_err();
        assert!(
            error.contains("no list `rollouts`, so no element `*`"),
            "{error}"
        );
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        let model = "[layers.middle]\ninstances = 24\n[[rollouts]]\nlayer = \"middle\"\n";
        let error = applied(model, &[o("rollouts.3.bake=1h")]).unwrap_err();
        assert!(
            error.contains("index 3 is past the end of a list of 1"),
            "{error}"
        );
        let error = applied(model, &[o("layers.middle.instances.count=1")]).unwrap_err();
        assert!(error.contains("a single value"), "{error}");
        assert!(
            "no-equals-sign"
                .parse::<Override>()
                .unwrap_err()
                .contains("PATH=VALUE")
        );
    }
}

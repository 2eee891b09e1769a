//! The documents of an imported file as a tree of nodes that remember their line and
//! column, and a reader over it that names every field it touches by its path.
//!
//! # How a file is read
//! 1. [`parse_documents`] reads YAML (one or more `---`-separated documents) with
//!    `serde-saphyr`, each value wrapped in its source position. JSON is YAML too; if a
//!    JSON file is not valid YAML (tabs, say), `serde_json` reads it without positions.
//! 2. A format module walks the tree through [`Obj`] and [`Field`]: typed getters
//!    (`u32`, `f64`, duration, count…) turn a wrong value into an error naming the file,
//!    the line and column, and the field's path (`spec.strategy.canary.steps[2]`).
//! 3. [`Obj::unread`] lists the keys nobody asked for, so the importer can say which
//!    fields it did not represent instead of dropping them silently.

use std::cell::RefCell;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::engine::SimDuration;
use crate::scenario::ScenarioError;
use crate::scenario::rollout::Count;

/// Longest duration accepted from an imported file (a month): longer is a typo.
const MAX_IMPORTED_DURATION: SimDuration = SimDuration::from_hours(24 * 30);

/// One value of the file and where it sits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    /// 1-based line and column, when the parser gave them.
    pub(crate) position: Option<(usize, usize)>,
}

/// A YAML/JSON value whose children are [`Node`]s.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Seq(_) => f.write_str("a list"),
            Value::Map(_) => f.write_str("a mapping"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML or JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Int(n))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(i64::try_from(n).map_or(Value::Float(n as f64), Value::Int))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(node_of(item));
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Value>()? {
            let key = match key {
                Value::Str(s) => s,
                other => other.to_string(),
            };
            let value: Spanned<Value> = map.next_value()?;
            entries.push((key, node_of(value)));
        }
        Ok(Value::Map(entries))
    }
}

fn node_of(spanned: Spanned<Value>) -> Node {
    let line = spanned.referenced.line();
    let position = (line > 0).then(|| (line as usize, spanned.referenced.column() as usize));
    Node {
        value: spanned.value,
        position,
    }
}

fn node_of_json(value: serde_json::Value) -> Node {
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::Int),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(items) => {
            Value::Seq(items.into_iter().map(node_of_json).collect())
        }
        serde_json::Value::Object(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k, node_of_json(v)))
                .collect(),
        ),
    };
    Node {
        value,
        position: None,
    }
}

/// A JSON value read refusing an object with a key twice (serde_json would keep the
/// last one silently); the error says which key, at its line and column.
struct UniqueKeys(serde_json::Value);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = serde_json::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(b.into())
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(n.into())
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(n.into())
    }
    fn visit_f64<E>(self, x: f64) -> Result<Self::Value, E> {
        Ok(x.into())
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.into())
    }
    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(s.into())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // Refused at the key, so the error points at its line.
            if entries.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "the key {key:?} appears twice in one object; keep one"
                )));
            }
            let UniqueKeys(value) = map.next_value()?;
            entries.insert(key, value);
        }
        Ok(serde_json::Value::Object(entries))
    }
}

/// The file's documents (a YAML stream may hold several; empty ones are skipped).
pub(crate) fn parse_documents(source: &str, file: &Path) -> Result<Vec<Node>, ScenarioError> {
    if let Some(line) = go_template_line(source) {
        return Err(ScenarioError {
            file: file.to_path_buf(),
            position: Some((line, 1)),
            field: String::new(),
            message: "this is a Helm chart template (Go template actions `{{ ... }}`), not a \
                      manifest; render it first (`helm template CHART > rendered.yaml`) and \
                      import the rendered file"
                .to_string(),
        });
    }
    // JSON is held to JSON's rules (YAML would forgive a trailing comma), then read as
    // YAML for positions; if YAML cannot read it (tabs), it is used without them.
    let json = if source.trim_start().starts_with(['{', '[']) {
        let value = serde_json::from_str::<UniqueKeys>(source)
            .map(|unique| unique.0)
            .map_err(|e| ScenarioError {
                file: file.to_path_buf(),
                position: Some((e.line(), e.column())),
                field: String::new(),
                message: format!("not valid JSON: {}", strip_position(&e.to_string())),
            })?;
        Some(value)
    } else {
        None
    };
    match serde_saphyr::from_multiple::<Spanned<Value>>(source) {
        Ok(documents) => Ok(documents
            .into_iter()
            .map(node_of)
            .filter(|node| node.value != Value::Null)
            .collect()),
        Err(_) if json.is_some() => Ok(json.into_iter().map(node_of_json).collect()),
        Err(yaml_error) => {
            let position = yaml_error
                .location()
                .filter(|l| l.line() > 0)
                .map(|l| (l.line() as usize, l.column() as usize));
            let rendered = yaml_error.without_snippet().to_string();
            let message = rendered.lines().next().unwrap_or("").trim();
            Err(ScenarioError {
                file: file.to_path_buf(),
                position,
                field: String::new(),
                message: format!("not valid YAML: {}", strip_position(message)),
            })
        }
    }
}

/// The first line holding a Go template action (`{{ .Values.x }}`, `{{- if ... }}`,
/// `{{ include ... }}`), as Helm charts do; Argo's `{{args.name}}` placeholders are not
/// actions.
fn go_template_line(source: &str) -> Option<usize> {
    const ACTIONS: [&str; 12] = [
        "if ",
        "else",
        "end",
        "range ",
        "with ",
        "include ",
        "template ",
        "define ",
        "toYaml ",
        "tpl ",
        "printf ",
        "quote ",
    ];
    source
        .lines()
        .position(|line| {
            let mut rest = line;
            while let Some(open) = rest.find("{{") {
                let inner = rest[open + 2..].trim_start_matches('-').trim_start();
                if inner.starts_with(['.', '$', '/'])
                    || ACTIONS.iter().any(|action| inner.starts_with(action))
                {
                    return true;
                }
                rest = &rest[open + 2..];
            }
            false
        })
        .map(|index| index + 1)
}

/// serde_json and saphyr append " at line L column C": the error already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// A value in the file, with its path, for typed reading.
#[derive(Clone)]
pub(crate) struct Field<'a> {
    pub(crate) node: &'a Node,
    pub(crate) path: String,
    pub(crate) file: &'a Path,
}

impl<'a> Field<'a> {
    /// An error about this field.
    pub(crate) fn error(&self, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            position: self.node.position,
            field: self.path.clone(),
            message: message.into(),
        }
    }

    fn expected(&self, what: &str) -> ScenarioError {
        self.error(format!(
            "expected {what}, got {} ({})",
            self.node.value.kind(),
            self.node.value
        ))
    }

    pub(crate) fn obj(&self) -> Result<Obj<'a>, ScenarioError> {
        match &self.node.value {
            Value::Map(entries) => Ok(Obj {
                entries,
                node: self.node,
                path: self.path.clone(),
                file: self.file,
                read: RefCell::new(vec![false; entries.len()]),
            }),
            _ => Err(self.expected("a mapping of fields")),
        }
    }

    pub(crate) fn items(&self) -> Result<&'a [Node], ScenarioError> {
        match &self.node.value {
            Value::Seq(items) => Ok(items),
            _ => Err(self.expected("a list")),
        }
    }

    /// A list of at most `max` items: longer is refused rather than cut short.
    pub(crate) fn items_up_to(&self, max: usize) -> Result<&'a [Node], ScenarioError> {
        let items = self.items()?;
        if items.len() > max {
            return Err(self.error(format!(
                "has {} items; rollsim reads at most {max}",
                items.len()
            )));
        }
        Ok(items)
    }

    pub(crate) fn str(&self) -> Result<&'a str, ScenarioError> {
        match &self.node.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.expected("a string")),
        }
    }

    pub(crate) fn bool(&self) -> Result<bool, ScenarioError> {
        match &self.node.value {
            Value::Bool(b) => Ok(*b),
            Value::Str(s) if s == "true" || s == "false" => Ok(s == "true"),
            _ => Err(self.expected("true or false")),
        }
    }

    pub(crate) fn f64(&self) -> Result<f64, ScenarioError> {
        let x = match &self.node.value {
            Value::Int(n) => *n as f64,
            Value::Float(x) => *x,
            Value::Str(s) => s.trim().parse().map_err(|_| self.expected("a number"))?,
            _ => return Err(self.expected("a number")),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(self.expected("a finite number"))
        }
    }

    /// A whole number in `0..=max`.
    pub(crate) fn u32_up_to(&self, max: u32) -> Result<u32, ScenarioError> {
        let x = self.f64()?;
        if x.fract() != 0.0 || x < 0.0 || x > max as f64 {
            return Err(self.error(format!(
                "must be a whole number between 0 and {max}, got {}",
                self.node.value
            )));
        }
        Ok(x as u32)
    }

    /// A Kubernetes int-or-string count: `2` or `"25%"`.
    pub(crate) fn count(&self) -> Result<Count, ScenarioError> {
        let text = match &self.node.value {
            Value::Int(n) => n.to_string(),
            Value::Str(s) => s.clone(),
            _ => return Err(self.expected("a count such as 2 or a percentage such as \"25%\"")),
        };
        text.parse().map_err(|e: String| self.error(e))
    }

    /// Seconds given as a number.
    pub(crate) fn seconds(&self) -> Result<SimDuration, ScenarioError> {
        self.scaled_duration(1.0, "seconds")
    }

    /// Minutes given as a number.
    pub(crate) fn minutes(&self) -> Result<SimDuration, ScenarioError> {
        self.scaled_duration(60.0, "minutes")
    }

    fn scaled_duration(&self, unit_secs: f64, unit: &str) -> Result<SimDuration, ScenarioError> {
        let x = self.f64()?;
        let secs = x * unit_secs;
        if !(0.0..=MAX_IMPORTED_DURATION.as_secs_f64()).contains(&secs) {
            return Err(self.error(format!(
                "must be between 0 and {MAX_IMPORTED_DURATION} in {unit}, got {x}"
            )));
        }
        Ok(SimDuration::from_secs_f64(secs))
    }

    /// A Go-style duration (`"30s"`, `"1h30m"`) or a bare number of seconds.
    pub(crate) fn duration(&self) -> Result<SimDuration, ScenarioError> {
        let text = match &self.node.value {
            Value::Int(_) | Value::Float(_) => return self.seconds(),
            Value::Str(s) if s.trim().parse::<f64>().is_ok() => return self.seconds(),
            Value::Str(s) => s.trim().replace('µ', "u"),
            _ => return Err(self.expected("a duration such as \"30s\" or \"1h30m\"")),
        };
        let d: SimDuration = text.parse().map_err(|e| self.error(format!("{e}")))?;
        if d > MAX_IMPORTED_DURATION {
            return Err(self.error(format!("must be at most {MAX_IMPORTED_DURATION}, got {d}")));
        }
        Ok(d)
    }

    /// An ISO-8601 duration as Spinnaker's Kayenta stage writes it (`"PT1H30M"`).
    pub(crate) fn iso_duration(&self) -> Result<SimDuration, ScenarioError> {
        let text = self.str()?.trim().to_ascii_uppercase();
        let bad = || {
            self.error(format!(
                "expected an ISO-8601 duration such as \"PT1H30M\", got {text:?}"
            ))
        };
        let rest = text.strip_prefix("PT").ok_or_else(bad)?;
        let mut total = 0.0;
        let mut number = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' | '.' => number.push(c),
                'H' | 'M' | 'S' => {
                    let n: f64 = number.parse().map_err(|_| bad())?;
                    number.clear();
                    total += n * match c {
                        'H' => 3600.0,
                        'M' => 60.0,
                        _ => 1.0,
                    };
                }
                _ => return Err(bad()),
            }
        }
        if !number.is_empty() || total > MAX_IMPORTED_DURATION.as_secs_f64() {
            return Err(bad());
        }
        Ok(SimDuration::from_secs_f64(total))
    }
}

/// A mapping in the file, remembering which of its keys were read.
pub(crate) struct Obj<'a> {
    entries: &'a [(String, Node)],
    node: &'a Node,
    pub(crate) path: String,
    file: &'a Path,
    read: RefCell<Vec<bool>>,
}

impl<'a> Obj<'a> {
    /// The root of a document.
    pub(crate) fn root(node: &'a Node, file: &'a Path) -> Result<Obj<'a>, ScenarioError> {
        Field {
            node,
            path: String::new(),
            file,
        }
        .obj()
    }

    /// The mapping's own node.
    pub(crate) fn node(&self) -> &'a Node {
        self.node
    }

    /// The path of `key` under this mapping.
    pub(crate) fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key` (marked as read), if present and not null.
    pub(crate) fn get(&self, key: &str) -> Option<Field<'a>> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        self.read.borrow_mut()[index] = true;
        let node = &self.entries[index].1;
        (node.value != Value::Null).then(|| Field {
            node,
            path: self.child_path(key),
            file: self.file,
        })
    }

    /// Runs `read` on the value of `key`, if present.
    pub(crate) fn with<T>(
        &self,
        key: &str,
        read: impl FnOnce(Field<'a>) -> Result<T, ScenarioError>,
    ) -> Result<Option<T>, ScenarioError> {
        self.get(key).map(read).transpose()
    }

    /// Whether `key` is present (without marking it read).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|(k, v)| k == key && v.value != Value::Null)
    }

    /// A string field, if present.
    pub(crate) fn str(&self, key: &str) -> Result<Option<String>, ScenarioError> {
        self.with(key, |f| f.str().map(str::to_string))
    }

    /// Marks keys as read without using them (naming and plumbing).
    pub(crate) fn skip(&self, keys: &[&str]) {
        for key in keys {
            let _ = self.get(key);
        }
    }

    /// Paths of the keys nobody read.
    pub(crate) fn unread(&self) -> Vec<String> {
        let read = self.read.borrow();
        self.entries
            .iter()
            .zip(read.iter())
            .filter(|(_, read)| !**read)
            .map(|((k, _), _)| self.child_path(k))
            .collect()
    }

    /// An error about this mapping as a whole (e.g. a missing field).
    pub(crate) fn error(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            position: self.node.position,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(source: &str) -> Node {
        parse_documents(source, Path::new("t.yaml"))
            .unwrap()
            .remove(0)
    }

    #[test]
    fn values_remember_their_lines() {
        let node = root("a: 1\nb:\n  c: [x, 2.5]\n");
        let Value::Map(entries) = &node.value else {
            panic!("{node:?}")
        };
        assert_eq!(entries[1].1.position, Some((3, 3)));
        let Value::Map(inner) = &entries[1].1.value else {
            panic!()
        };
        assert_eq!(inner[0].1.position.map(|p| p.0), Some(3));
    }

    #[test]
    fn unread_keys_are_listed_by_path() {
        let node = root("spec:\n  a: 1\n  b: 2\n");
        let file = Path::new("t.yaml");
        let obj = Obj::root(&node, file).unwrap();
        let spec = obj.with("spec", |f| {
            f.obj().map(|o| {
                o.skip(&["a"]);
                o.unread()
            })
        });
        assert_eq!(spec.unwrap().unwrap(), vec!["spec.b".to_string()]);
    }

    #[test]
    fn durations_read_as_go_and_iso_write_them() {
        let node = root("a: 1h30m\nb: 45\nc: PT1H\nd: soon\n");
        let obj = Obj::root(&node, Path::new("t.yaml")).unwrap();
        let d = |key: &str| obj.with(key, |f| f.duration()).map(Option::unwrap);
        assert_eq!(d("a").unwrap(), SimDuration::from_mins(90));
        assert_eq!(d("b").unwrap(), SimDuration::from_secs(45));
        assert_eq!(
            obj.with("c", |f| f.iso_duration()).unwrap().unwrap(),
            SimDuration::from_hours(1)
        );
        let error = d("d").unwrap_err();
        assert_eq!(error.field, "d");
        assert_eq!(error.position, Some((4, 4)));
    }

    #[test]
    fn json_with_tabs_still_reads() {
        let nodes = parse_documents("{\n\t\"a\": 1\n}", Path::new("p.json")).unwrap();
        assert_eq!(nodes.len(), 1);
        let error = parse_documents("{\n  \"a\": 1,\n}", Path::new("p.json")).unwrap_err();
        assert!(error.to_string().starts_with("p.json:"), "{error}");
    }
}

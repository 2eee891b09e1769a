//! `models/README.md`: the model file's reference, written from its JSON Schema.
//!
//! # How the page is made
//! 1. The schema ([`super::schema`]) is walked from the top table: each table of the
//!    file (a section, a list's element, a layer by name, a balancer of each kind) gets
//!    a heading, its description, the prose of its module's docs (for the sections
//!    with a module of their own), a table of its fields and a TOML example.
//! 2. A field's row: its meaning (its `///` doc), its value (type, unit, allowed values
//!    and range), its default (from the code, through the schema; in words from the
//!    module's `# Default values` table where the code has none to show) and the real
//!    system the default mirrors (that table's third column).
//! 3. A field's example is its default, else its own or its type's example.
//!
//! Fields are in the schema's order: required first, then by name.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Map, Value};

use crate::scenario::documented_defaults::{Row, documented};

/// The sections with a module of their own: the schema's name of the type, the module,
/// and its source (for its prose and its `# Default values` table).
const MODULES: [(&str, &str, &str); 8] = [
    ("Scenario", "document.rs", include_str!("../document.rs")),
    ("TrafficSpec", "traffic.rs", include_str!("../traffic.rs")),
    ("LayerSpec", "layer.rs", include_str!("../layer.rs")),
    (
        "BalancerSpec",
        "balancer.rs",
        include_str!("../balancer.rs"),
    ),
    ("ClientSpec", "client.rs", include_str!("../client.rs")),
    ("NoiseSpec", "noise.rs", include_str!("../noise.rs")),
    ("ChaosSpec", "chaos.rs", include_str!("../chaos.rs")),
    ("RolloutSpec", "rollout.rs", include_str!("../rollout.rs")),
];

/// The value types written as text, in the order the page explains them.
const VALUE_TYPES: [&str; 5] = [
    "Duration",
    "Rate",
    "DurationDistribution",
    "Count",
    "Backoff",
];

/// The page's opening, before the generated sections.
const PREAMBLE: &str = "\
A model file is TOML: a name and a seed, the traffic, the layers of the service graph, \
chaos, and the rollouts to rehearse. `rollsim check FILE` reads one and says what it \
describes, or exactly which field is wrong and why (with its line and column). The \
shipped models are examples to start from: [`quickstart.toml`](quickstart.toml) (the \
smallest useful model), [`netflix-2011.toml`](netflix-2011.toml) (the built-in default), \
[`metastable.toml`](metastable.toml), [`api-300.toml`](api-300.toml), \
[`netflix-scale.toml`](netflix-scale.toml), [`live.toml`](live.toml) and \
[`services-32.toml`](services-32.toml) (a graph of 32 services written by `rollsim generate \
services`, its header says how); [`imported/`](imported/README.md) has rollouts of other \
deploy tools.

Every field below has a default unless it says **required**; a field the file leaves \
out takes its default. Unknown fields are errors (a misspelt field is never ignored). \
Any field can be changed from the command line without editing the file: \
`--set layers.middle.instances=80`, `--set rollout.red_black.bake=2h`.

## Completion and checking in an editor

[`schema.json`](schema.json) is the JSON Schema of this file format (draft-07), \
generated from the same code as this page. Editors that read TOML through \
[taplo](https://taplo.tamasfe.dev/) (VS Code's *Even Better TOML*, Helix, Zed, Neovim's \
taplo language server) complete field names, show each field's documentation and \
default, and flag unknown fields, wrong kinds and misspelt durations, when the model's \
first line names the schema:

```toml
#:schema ./schema.json
name = \"my-service\"
```

(the path is relative to the model file: `#:schema ../models/schema.json` from a \
sibling folder). Or associate the schema with your model files once, in `.taplo.toml` \
at the root of your repository:

```toml
[[rule]]
include = [\"models/**/*.toml\"]
schema = { path = \"models/schema.json\" }
```

or in VS Code's settings (`\"evenBetterToml.schema.associations\": { \".*/models/.*\\\\.toml$\": \
\"./models/schema.json\" }`). The schema checks the file's shape; `rollsim check` also \
checks its meaning (layers that exist, no call cycles, numbers that fit together).

## Values written as text

";

/// Writes the whole page from `schema`.
pub(crate) fn reference(schema: &Value) -> String {
    let mut page = Page::new(schema);
    page.out.push_str(
        "<!-- Generated from the code by `ROLLSIM_BLESS=1 cargo test --lib scenario::reference`; \
         do not edit: change the doc comments and defaults in src/scenario/ instead. -->\n\n\
         # The model file: a reference\n\n",
    );
    page.out.push_str(PREAMBLE);
    for name in VALUE_TYPES {
        page.value_type(name);
    }
    page.out.push_str("## Sections\n\n");
    let mut sections = Vec::new();
    collect(&page, schema, Place::top(), &mut sections, &mut Vec::new());
    for section in &sections {
        let anchor = anchor(&section.heading);
        let _ = writeln!(page.out, "- [{}](#{anchor})", shown(&section.heading));
    }
    page.out.push('\n');
    for section in &sections {
        page.section(section);
    }
    while page.out.ends_with("\n\n") {
        page.out.pop();
    }
    page.out
}

/// Where a table sits: its heading (its path in the file), the module whose docs
/// document it and its path below that module's root (for the `# Default values` rows).
#[derive(Clone)]
struct Place {
    heading: String,
    module: Option<&'static str>,
    below_module: String,
}

impl Place {
    fn top() -> Place {
        Place {
            heading: String::new(),
            module: Some("document.rs"),
            below_module: String::new(),
        }
    }

    /// The place of field `name` of this table (`suffix` `[]` for a list's element,
    /// `.<name>` for a table by name).
    fn child(&self, name: &str, suffix: &str) -> Place {
        let join = |base: &str, name: &str| {
            if base.is_empty() {
                name.to_string()
            } else {
                format!("{base}.{name}")
            }
        };
        Place {
            heading: format!("{}{suffix}", join(&self.heading, name)),
            module: self.module,
            below_module: join(&self.below_module, name),
        }
    }
}

/// One table of the file, to write.
struct Section<'a> {
    heading: String,
    /// The field's doc (what the table is for), if it is a field's.
    about: Option<String>,
    schema: &'a Value,
    place: Place,
    /// The module whose prose opens the section, if it is a module's root.
    prose_of: Option<&'static str>,
}

struct Page<'a> {
    defs: &'a Map<String, Value>,
    rows: BTreeMap<&'static str, Vec<Row>>,
    out: String,
}

impl<'a> Page<'a> {
    fn new(schema: &'a Value) -> Page<'a> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let defs = schema
            .get("definitions")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        let rows = MODULES
            .iter()
            .map(|(_, module, source)| (*module, documented(source)))
            .collect();
        Page {
            defs,
            rows,
            out: String::new(),
        }
    }

    /// `schema`, through its `$ref` if it has one.
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        match def_name(schema) {
            Some(name) => self.defs.get(name).unwrap_or(schema),
            None => schema,
        }
    }

    fn value_type(&mut self, name: &str) {
        let Some(schema) = self.defs.get(name) else {
            return;
        };
        let title = match name {
            "Duration" => "Durations",
            "Rate" => "Rates",
            "DurationDistribution" => "Distributions of durations",
            "Count" => "Counts",
            _ => "Backoffs",
        };
        let _ = writeln!(self.out, "### {title}\n\n{}\n", text(schema, "description"));
        let examples: Vec<String> = schema
            .get("examples")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(toml_value)
            .collect();
        if !examples.is_empty() {
            let _ = writeln!(self.out, "For example {}.\n", code_list(&examples));
        }
    }

    fn section(&mut self, section: &Section<'_>) {
        let _ = writeln!(self.out, "### {}\n", shown(&section.heading));
        let schema = self.resolve(section.schema);
        let described = text(schema, "description");
        if let Some(about) = &section.about {
            let _ = writeln!(self.out, "{about}\n");
        }
        if !described.is_empty() && section.about.as_deref() != Some(described.as_str()) {
            let _ = writeln!(self.out, "{described}\n");
        }
        if let Some(module) = section.prose_of {
            let source = MODULES.iter().find(|m| m.1 == module).map(|m| m.2);
            let prose = prose(source.unwrap_or_default());
            if !prose.is_empty() {
                let _ = writeln!(self.out, "{prose}\n");
            }
        }
        let fields = fields(schema);
        if fields.is_empty() {
            return;
        }
        self.out.push_str(
            "| field | meaning | value | default | the default mirrors |\n|---|---|---|---|---|\n",
        );
        let required = required(schema);
        let mut example = String::new();
        for (name, field) in &fields {
            let is_required = required.contains(&name.as_str());
            let place = section.place.child(name, "");
            let row = self.row_of(&place);
            let default = match (field.get("default"), row) {
                (Some(value), _) if !value.is_object() => format!("`{}`", toml_value(value)),
                _ if is_required => "**required**".to_string(),
                (_, Some(row)) => cell(&row.default),
                (Some(_), None) => "its fields' defaults (below)".to_string(),
                (None, None) => "none".to_string(),
            };
            let mirrors = row.map_or(String::new(), |r| cell(&r.source));
            let _ = writeln!(
                self.out,
                "| `{name}` | {} | {} | {default} | {mirrors} |",
                cell(&text(field, "description")),
                cell(&self.value(field)),
            );
            if let Some(value) = self.example(field) {
                let _ = writeln!(example, "{name} = {value}");
            }
        }
        if !example.is_empty() {
            let header = toml_header(&section.heading);
            let _ = writeln!(self.out, "\n```toml\n{header}{example}```\n");
        } else {
            self.out.push('\n');
        }
    }

    /// The `# Default values` row of the field at `place`, if its module has one.
    fn row_of(&self, place: &Place) -> Option<&Row> {
        let rows = self.rows.get(place.module?)?;
        rows.iter().find(|r| r.field == place.below_module)
    }

    /// A field's value: its kind, allowed values and range.
    fn value(&self, field: &Value) -> String {
        if let Some(name) = def_name(field) {
            let target = self.resolve(field);
            return match name {
                "Duration" => "[duration](#durations)".into(),
                "Rate" => "[rate](#rates)".into(),
                "DurationDistribution" => "[distribution](#distributions-of-durations)".into(),
                "Count" => "[count](#counts) or percentage".into(),
                "Backoff" => "[backoff](#backoffs)".into(),
                _ if is_enum(target) => self.value(target),
                _ => "table (below)".into(),
            };
        }
        if let Some(fixed) = field.get("const") {
            return format!("`{}` (this kind)", toml_value(fixed));
        }
        if let Some(options) = enum_options(field) {
            return format!("one of:<br>{}", options.join("<br>"));
        }
        if let Some(options) = field.get("anyOf").and_then(Value::as_array) {
            let kinds: Vec<String> = options.iter().map(|o| self.value(o)).collect();
            return kinds.join(", or ");
        }
        if field.get("oneOf").is_some() {
            return "table (below, one per `kind`)".into();
        }
        match text(field, "type").as_str() {
            "array" => {
                let items = field.get("items").unwrap_or(&Value::Null);
                match def_name(items) {
                    Some(_) if !is_enum(self.resolve(items)) && !is_text_type(items) => {
                        "list of tables (below)".into()
                    }
                    _ => format!("list of {}", self.value(items)),
                }
            }
            "object" => "tables by name (below)".into(),
            "integer" => format!("integer{}", range(field)),
            "number" => format!("number{}", range(field)),
            "boolean" => "`true` or `false`".into(),
            "string" => match field.get("pattern") {
                Some(_) => "decimal integer as text".into(),
                None => "text".into(),
            },
            _ => String::new(),
        }
    }

    /// A field's example as TOML: its default, else its own or its type's example, else
    /// its first allowed value; none for a table (it has its own example).
    fn example(&self, field: &Value) -> Option<String> {
        let target = self.resolve(field);
        let is_table = (def_name(field).is_some() && !is_enum(target) && !is_text_type(field))
            || field.get("oneOf").is_some_and(|_| !is_enum(field))
            || text(field, "type") == "object";
        if is_table {
            return None;
        }
        if text(field, "type") == "array"
            && def_name(field.get("items")?).is_some_and(|_| {
                let items = self.resolve(&field["items"]);
                !is_enum(items) && !is_text_type(&field["items"])
            })
        {
            return field.get("default").map(toml_value);
        }
        let first_example = |s: &Value| {
            s.get("examples")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
                .cloned()
        };
        field
            .get("default")
            .or_else(|| field.get("const"))
            .cloned()
            .or_else(|| first_example(field))
            .or_else(|| first_example(target))
            .or_else(|| enum_options_raw(target).and_then(|o| o.first().map(|(v, _)| v.clone())))
            .or_else(|| match field.get("anyOf") {
                Some(Value::Array(options)) => options.iter().find_map(first_example),
                _ => None,
            })
            .map(|v| toml_value(&v))
    }
}

/// Every table of the file below `schema` (at `place`), depth first, in field order.
fn collect<'a>(
    page: &Page<'a>,
    schema: &'a Value,
    place: Place,
    sections: &mut Vec<Section<'a>>,
    seen: &mut Vec<String>,
) {
    let about = (!place.heading.is_empty())
        .then(|| text(schema, "description"))
        .filter(|d| !d.is_empty());
    collect_table(page, schema, place, about, sections, seen);
}

fn collect_table<'a>(
    page: &Page<'a>,
    schema: &'a Value,
    place: Place,
    about: Option<String>,
    sections: &mut Vec<Section<'a>>,
    seen: &mut Vec<String>,
) {
    let name = def_name(schema).map(str::to_string);
    let mut place = place;
    let mut prose_of = None;
    if let Some(module) = MODULES.iter().find(|m| Some(m.0) == name.as_deref()) {
        prose_of = Some(module.1);
        place.module = Some(module.1);
        place.below_module = String::new();
    }
    if place.heading.is_empty() {
        prose_of = Some("document.rs");
    }
    let target = page.resolve(schema);
    if let Some(variants) = target.get("oneOf").and_then(Value::as_array)
        && !is_enum(target)
    {
        // A table of several kinds: one section per kind, the module's prose on the first.
        for (i, variant) in variants.iter().enumerate() {
            let kind = variant
                .pointer("/properties/kind/const")
                .and_then(Value::as_str)
                .unwrap_or("?");
            sections.push(Section {
                heading: format!("{} (kind = \"{kind}\")", place.heading),
                about: (i == 0).then(|| about.clone()).flatten(),
                schema: variant,
                place: place.clone(),
                prose_of: if i == 0 { prose_of } else { None },
            });
            collect_fields(page, variant, &place, sections, seen);
        }
        return;
    }
    sections.push(Section {
        heading: place.heading.clone(),
        about,
        schema,
        place: place.clone(),
        prose_of,
    });
    collect_fields(page, target, &place, sections, seen);
}

/// The tables below the fields of `table`.
fn collect_fields<'a>(
    page: &Page<'a>,
    table: &'a Value,
    place: &Place,
    sections: &mut Vec<Section<'a>>,
    seen: &mut Vec<String>,
) {
    for (name, field) in fields(table) {
        let about = Some(text(field, "description")).filter(|d| !d.is_empty());
        let (inner, suffix) = match text(field, "type").as_str() {
            "array" => (field.get("items"), "[]"),
            "object"
                if field
                    .get("additionalProperties")
                    .is_some_and(Value::is_object) =>
            {
                (field.get("additionalProperties"), ".<name>")
            }
            _ => (Some(field), ""),
        };
        let Some(inner) = inner else { continue };
        let target = page.resolve(inner);
        let is_table = def_name(inner).is_some()
            && !is_enum(target)
            && !is_text_type(inner)
            && (target.get("properties").is_some() || target.get("oneOf").is_some());
        if !is_table {
            continue;
        }
        let child = place.child(&name, suffix);
        if seen.contains(&child.heading) {
            continue;
        }
        seen.push(child.heading.clone());
        collect_table(page, inner, child, about, sections, seen);
    }
}

/// The fields of a table schema: required first, then by name.
fn fields(table: &Value) -> Vec<(String, &Value)> {
    let Some(properties) = table.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let required = required(table);
    let mut fields: Vec<(String, &Value)> =
        properties.iter().map(|(k, v)| (k.clone(), v)).collect();
    fields.sort_by_key(|(name, _)| (!required.contains(&name.as_str()), name.clone()));
    fields
}

fn required(table: &Value) -> Vec<&str> {
    table
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The name of the `definitions` entry `schema` refers to.
fn def_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/definitions/")
}

/// The types written as text (durations, rates, …), explained once at the top.
fn is_text_type(schema: &Value) -> bool {
    def_name(schema).is_some_and(|n| VALUE_TYPES.contains(&n))
}

/// Whether `schema` is a choice of fixed strings (`enum`, or `oneOf` of `const`s).
fn is_enum(schema: &Value) -> bool {
    enum_options_raw(schema).is_some()
}

/// The allowed strings of an enum with their meanings, if `schema` is one.
fn enum_options_raw(schema: &Value) -> Option<Vec<(Value, String)>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().map(|v| (v.clone(), String::new())).collect());
    }
    let variants = schema.get("oneOf")?.as_array()?;
    variants
        .iter()
        .map(|v| {
            let value = v
                .get("const")
                .cloned()
                .or_else(|| v.get("enum")?.as_array()?.first().cloned())?;
            Some((value, text(v, "description")))
        })
        .collect()
}

/// An enum's options as `` `value` (meaning) ``.
fn enum_options(schema: &Value) -> Option<Vec<String>> {
    Some(
        enum_options_raw(schema)?
            .into_iter()
            .map(|(value, meaning)| {
                let value = format!("`{}`", toml_value(&value));
                if meaning.is_empty() {
                    value
                } else {
                    format!("{value}: {}", meaning.trim_end_matches('.'))
                }
            })
            .collect(),
    )
}

/// `, 1 – 100` from a numeric schema's bounds (the type's own bounds left out).
fn range(schema: &Value) -> String {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let format_bound = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            format!("{x}")
        }
    };
    let type_max = match schema.get("format").and_then(Value::as_str) {
        Some("uint32") => Some(f64::from(u32::MAX)),
        Some("uint64") => Some(u64::MAX as f64),
        _ => None,
    };
    let low = bound("minimum")
        .map(|x| (x, "≥"))
        .or_else(|| bound("exclusiveMinimum").map(|x| (x, ">")));
    let high = bound("maximum")
        .filter(|x| Some(*x) != type_max)
        .map(|x| (x, "≤"))
        .or_else(|| bound("exclusiveMaximum").map(|x| (x, "<")));
    match (low, high) {
        (Some((l, _)), _) if schema.get("format").is_some() && l == 0.0 && high.is_none() => {
            ", ≥ 0".into()
        }
        (Some((l, lo)), Some((h, hi))) => {
            format!(", {lo} {} and {hi} {}", format_bound(l), format_bound(h))
        }
        (Some((l, lo)), None) => format!(", {lo} {}", format_bound(l)),
        (None, Some((h, hi))) => format!(", {hi} {}", format_bound(h)),
        (None, None) => String::new(),
    }
}

/// A JSON value as TOML text: strings quoted, tables inline.
fn toml_value(value: &Value) -> String {
    match value {
        Value::String(s) => toml::Value::String(s.clone()).to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k} = {}", toml_value(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

/// The TOML header of a section at `heading` (`[[rollouts]]`, `[layers.edge.client]`).
fn toml_header(heading: &str) -> String {
    if heading.is_empty() {
        return String::new();
    }
    let path = heading.split(" (kind").next().unwrap_or(heading);
    let path = path.replace("<name>", "edge");
    match path.strip_suffix("[]") {
        Some(list) => format!("[[{}]]\n", list.replace("[]", "")),
        None => format!("[{}]\n", path.replace("[]", "")),
    }
}

/// A section's heading as shown: the table's path in code, or "The top level".
fn shown(heading: &str) -> String {
    if heading.is_empty() {
        "The top level".to_string()
    } else {
        format!("`{heading}`")
    }
}

/// A GitHub heading anchor for a section's heading.
fn anchor(heading: &str) -> String {
    let heading = if heading.is_empty() {
        "the top level"
    } else {
        heading
    };
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A schema's string at `key`, or empty.
fn text(schema: &Value, key: &str) -> String {
    schema
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Text made fit for one cell of a Markdown table.
fn cell(text: &str) -> String {
    text.replace('\n', " ")
        .replace('|', "\\|")
        .replace("[`", "`")
        .replace("`]", "`")
}

fn code_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}

/// The `//!` docs of a module's `source` as Markdown for the page: without their
/// `# Default values` table (the fields' rows carry it), headings one level below the
/// page's sections, doc links as plain code.
fn prose(source: &str) -> String {
    let mut lines = Vec::new();
    let mut in_defaults = false;
    for line in source.lines().take_while(|l| l.starts_with("//!")) {
        let line = line.trim_start_matches("//!");
        let line = line.strip_prefix(' ').unwrap_or(line);
        if let Some(heading) = line.strip_prefix("# ") {
            in_defaults = heading == "Default values";
            if in_defaults {
                continue;
            }
            lines.push(format!("#### {heading}"));
            continue;
        }
        if in_defaults && line.starts_with('|') {
            continue;
        }
        lines.push(line.replace("[`", "`").replace("`]", "`"));
    }
    // The first paragraph says what the module is; the section's heading says that.
    let text = lines.join("\n");
    let mut text = text.trim().to_string();
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text
}

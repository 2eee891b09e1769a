//! An imported rollout as the `[[rollouts]]` section of a model, every value with its
//! origin as a comment, and a header that lists what could not be represented.
//!
//! Only the fields the import set are printed; every other field reads back as
//! rollsim's default, which is what the import left it at, so the printed section
//! parses back to exactly [`Imported::rollout`].

use std::fmt::Write;
use std::path::Path;

use toml::{Table, Value};

use super::Imported;

/// Width at which comment lines wrap.
const WRAP_CHARS: usize = 96;

/// The section for `layer`, ready to paste into a model.
pub fn to_toml(imported: &Imported, file: &Path, layer: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported from {}: {}.",
        file.display(),
        imported.description
    );
    comment(
        &mut out,
        "",
        "The layer's size, the new release's behaviour and the start come from the model \
         this section is pasted into; every other field not shown here is rollsim's default.",
    );
    out.push_str("#\n");
    comment(&mut out, "", &imported.judged().sentence());
    if !imported.not_represented.is_empty() {
        out.push_str("#\n# Not represented, and what rollsim assumes instead:\n");
        for note in &imported.not_represented {
            comment(&mut out, "  - ", note);
        }
    }
    if !imported.ignored.is_empty() {
        out.push_str("#\n");
        comment(
            &mut out,
            "",
            &format!(
                "Ignored (names and plumbing that change nothing rollsim simulates): {}.",
                imported.ignored.join(", ")
            ),
        );
    }
    out.push_str("[[rollouts]]\n");
    let layer_origin = match &imported.name {
        Some(name) if name == layer => "the name in the file".to_string(),
        _ => "--layer".to_string(),
    };
    let _ = writeln!(
        out,
        "layer = {}  # {layer_origin}",
        Value::String(layer.to_string())
    );
    let rollout = imported.for_layer(layer);
    let Ok(Value::Table(table)) = Value::try_from(&rollout) else {
        unreachable!("a rollout serializes to a table");
    };
    emit_table(&mut out, imported, &table, "", "rollouts", true);
    out
}

/// Prints the entries of `table` (at rollsim path `path`) that have origins: values
/// first, then sub-tables under their own headers.
fn emit_table(
    out: &mut String,
    imported: &Imported,
    table: &Table,
    path: &str,
    header: &str,
    top: bool,
) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    let mut values = Vec::new();
    let mut tables = Vec::new();
    let mut arrays_of_tables = Vec::new();
    for (key, value) in table {
        if top && key == "layer" {
            continue;
        }
        let field = join(key);
        if !has_origin(imported, &field) {
            continue;
        }
        match value {
            Value::Table(t) => tables.push((key, field, t)),
            Value::Array(items) if items.iter().all(Value::is_table) && !items.is_empty() => {
                arrays_of_tables.push((key, field, items));
            }
            _ => values.push((field, key, value)),
        }
    }
    if !top && !values.is_empty() {
        let _ = writeln!(out, "\n[{header}]");
    }
    for (field, key, value) in values {
        let origin = origin_of(imported, &field);
        let _ = writeln!(out, "{key} = {value}  # {origin}");
    }
    for (key, field, t) in tables {
        emit_table(out, imported, t, &field, &format!("{header}.{key}"), false);
    }
    for (key, field, items) in arrays_of_tables {
        for (i, item) in items.iter().enumerate() {
            let _ = writeln!(out, "\n[[{header}.{key}]]");
            if let Value::Table(t) = item {
                let inner = format!("{field}[{i}]");
                for (k, v) in t {
                    let f = format!("{inner}.{k}");
                    let _ = writeln!(out, "{k} = {v}  # {}", origin_of(imported, &f));
                }
            }
        }
    }
}

fn has_origin(imported: &Imported, field: &str) -> bool {
    imported.origins.keys().any(|key| {
        key == field
            || key
                .strip_prefix(field)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
    })
}

fn origin_of(imported: &Imported, field: &str) -> String {
    imported
        .origins
        .get(field)
        .cloned()
        .unwrap_or_else(|| "rollsim default".to_string())
}

/// Writes `text` as comment lines starting with `# {bullet}`, wrapped.
fn comment(out: &mut String, bullet: &str, text: &str) {
    let indent = " ".repeat(bullet.chars().count());
    let mut line = format!("# {bullet}");
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WRAP_CHARS {
            out.push_str(&line);
            out.push('\n');
            line = format!("# {indent}");
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

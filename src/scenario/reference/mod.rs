//! The model file's reference (`models/README.md`) and JSON Schema
//! (`models/schema.json`), generated from one source: the document types of
//! [`super`] (their `///` docs, serde attributes, defaults and ranges, through
//! `schemars`), with the real systems each default mirrors read from the `# Default
//! values` table of each section's module docs.
//!
//! Tests only: `cargo test` fails when a committed file differs from what the code
//! generates, and `ROLLSIM_BLESS=1 cargo test --lib scenario::reference` writes them.

mod markdown;
pub(super) mod values;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::Scenario;

/// The model file's JSON Schema, as committed in `models/schema.json`: draft-07 with
/// every subschema inline, because editors (taplo, and so Even Better TOML) read
/// draft-07 at most and ignore a description or default beside a `$ref`.
pub(crate) fn schema() -> Value {
    generated(true)
}

/// The schema with each type once under `definitions`, for the reference's walk (a
/// field's kind is its type's name).
fn structured() -> Value {
    let mut schema = generated(false);
    plain_refs(&mut schema);
    schema
}

/// `{"allOf": [{"$ref": …}], …}` (how draft-07 keeps a field's docs beside its type's
/// reference) as `{"$ref": …, …}`.
fn plain_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(all)) = map.get("allOf")
                && let [only] = all.as_slice()
                && let Some(reference) = only.get("$ref").cloned()
            {
                map.remove("allOf");
                map.insert("$ref".into(), reference);
            }
            map.values_mut().for_each(plain_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(plain_refs),
        _ => {}
    }
}

fn generated(inline: bool) -> Value {
    let generator = SchemaSettings::draft07()
        .with(|s| s.inline_subschemas = inline)
        .for_deserialize()
        .into_generator();
    let mut schema = generator.into_root_schema_for::<Scenario>().to_value();
    without_nulls(&mut schema);
    if let Some(root) = schema.as_object_mut() {
        root.insert("title".into(), "rollsim model file".into());
    }
    schema
}

/// TOML has no null: an optional field is the field's own schema, and a default of
/// `null` (none) is no default.
fn without_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(options)) = map.get_mut(key) {
                    options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
                    if options.len() == 1 {
                        let Some(Value::Object(only)) = options.pop() else {
                            continue;
                        };
                        map.remove(key);
                        for (k, v) in only {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(without_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// The schema as `models/schema.json` holds it: pretty, keys sorted, one final newline.
fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a schema serializes");
    text.push('\n');
    text
}

/// Checks that the committed file at `path` (from the repository's root) is `generated`;
/// with `ROLLSIM_BLESS=1`, writes it instead.
fn matches_or_bless(path: &str, generated: &str) {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("ROLLSIM_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&file, generated).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        return;
    }
    let Ok(committed) = std::fs::read_to_string(&file) else {
        panic!(
            "{path} is missing. Generate it with `ROLLSIM_BLESS=1 cargo test --lib \
             scenario::reference` and commit it."
        );
    };
    if committed == generated {
        return;
    }
    let line = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
    panic!(
        "{path} is not what the code generates (first difference at line {}: {:?} in the file, \
         {:?} generated). Regenerate it with `ROLLSIM_BLESS=1 cargo test --lib \
         scenario::reference` and commit it.",
        line + 1,
        committed.lines().nth(line).unwrap_or("<end>"),
        generated.lines().nth(line).unwrap_or("<end>"),
    );
}

#[test]
fn the_model_schema_matches_the_code() {
    matches_or_bless("models/schema.json", &schema_text());
}

#[test]
fn the_model_reference_matches_the_code() {
    matches_or_bless("models/README.md", &markdown::reference(&structured()));
}

#[test]
fn generating_twice_gives_the_same_bytes() {
    assert_eq!(schema_text(), schema_text());
    assert_eq!(
        markdown::reference(&structured()),
        markdown::reference(&structured())
    );
}

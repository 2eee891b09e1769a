//! The `# Default values` tables of the scenario modules' docs hold the defaults the
//! code applies: each table is read from the module's source text, and each value it
//! documents is written into the section's serialized `Default` (or, for a section
//! with required fields, the section read with only those), read back and compared.
//! Writing a field's documented default must change nothing.
//!
//! A row whose default is `none` must be absent (or empty) in the serialized default.
//! A few rows say what the default is in words; they are listed in [`UNCHECKED`] with
//! the reason, so a new row in words fails until it is listed or given a value.

use toml::{Table, Value};

use super::balancer::BalancerSpec;
use super::client::ClientSpec;
use super::document::{DEFAULT_FAST_QUIET_BUSY, DEFAULT_FAST_REPRESENTATIVES, Scenario, SloSpec};
use super::layer::LayerSpec;
use super::noise::NoiseSpec;
use super::rollout::RolloutSpec;
use super::traffic::{DailyShape, TrafficSpec};

/// Rows whose default is prose, not a value: (module, field, why not checked here).
const UNCHECKED: [(&str, &str, &str); 3] = [
    (
        "document.rs",
        "name",
        "the file's stem, set when the file is read",
    ),
    (
        "layer.rs",
        "client",
        "the client section's own table (client.rs)",
    ),
    (
        "rollout.rs",
        "release.*",
        "a healthy release: `ReleaseSpec::is_healthy`",
    ),
];

/// A section of the model file: its source (for the table), how its type reads and
/// writes a table, and the serialized defaults to check against. The first default
/// that holds a row's field (or else its parent table) is the one the row is checked
/// against; later ones hold optional sub-tables (`shape = {}`) or another kind.
struct Section {
    module: &'static str,
    source: &'static str,
    reread: fn(Value) -> Result<Value, String>,
    defaults: Vec<Value>,
}

fn reread<T: serde::de::DeserializeOwned + serde::Serialize>(v: Value) -> Result<Value, String> {
    let typed: T = v.try_into().map_err(|e| e.to_string())?;
    Value::try_from(&typed).map_err(|e| e.to_string())
}

fn serialized<T: serde::Serialize>(value: &T) -> Value {
    Value::try_from(value).expect("a section serializes to a table")
}

fn read<T: serde::de::DeserializeOwned + serde::Serialize>(text: &str) -> Value {
    let typed: T = toml::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    serialized(&typed)
}

fn sections() -> Vec<Section> {
    let minimal_model = "[traffic]\nrate = \"10/s\"\n[layers.edge]\ninstances = 1\n";
    vec![
        Section {
            module: "document.rs",
            source: include_str!("document.rs"),
            reread: reread::<Scenario>,
            defaults: vec![read::<Scenario>(minimal_model)],
        },
        Section {
            module: "traffic.rs",
            source: include_str!("traffic.rs"),
            reread: reread::<TrafficSpec>,
            defaults: vec![
                read::<TrafficSpec>("rate = \"10/s\""),
                read::<TrafficSpec>("rate = \"10/s\"\nshape = {}"),
            ],
        },
        Section {
            module: "client.rs",
            source: include_str!("client.rs"),
            reread: reread::<ClientSpec>,
            defaults: vec![serialized(&ClientSpec::default())],
        },
        Section {
            module: "layer.rs",
            source: include_str!("layer.rs"),
            reread: reread::<LayerSpec>,
            defaults: vec![
                read::<LayerSpec>("instances = 1"),
                read::<LayerSpec>("instances = 1\nautoscaler = { min = 1, max = 2 }"),
            ],
        },
        Section {
            module: "noise.rs",
            source: include_str!("noise.rs"),
            reread: reread::<NoiseSpec>,
            defaults: vec![
                serialized(&NoiseSpec::default()),
                read::<NoiseSpec>("spells = { every = \"1h\", length = \"1m\" }"),
            ],
        },
        Section {
            module: "balancer.rs",
            source: include_str!("balancer.rs"),
            reread: reread::<BalancerSpec>,
            defaults: vec![
                serialized(&BalancerSpec::default()),
                read::<BalancerSpec>("kind = \"discovery\""),
            ],
        },
        Section {
            module: "rollout.rs",
            source: include_str!("rollout.rs"),
            reread: reread::<RolloutSpec>,
            defaults: vec![
                serialized(&RolloutSpec::default()),
                read::<RolloutSpec>(
                    "layer = \"\"\nred_black = { canary = {} }\nrelease = { leak = { onset = \"1h\" } }",
                ),
            ],
        },
    ]
}

/// One documented default: the field's path, the cell's text, and the third cell (the
/// real system it mirrors, or why), if any.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) field: String,
    pub(super) default: String,
    pub(super) source: String,
}

/// The rows of the `# Default values` table in the `//!` lines of `source`.
pub(super) fn documented(source: &str) -> Vec<Row> {
    let docs: Vec<&str> = source
        .lines()
        .take_while(|l| l.starts_with("//!") || l.is_empty())
        .map(|l| l.trim_start_matches("//!").trim())
        .collect();
    let Some(start) = docs.iter().position(|l| *l == "# Default values") else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for line in docs[start + 1..].iter().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let (Some(field), Some(default)) = (cells.first(), cells.get(1)) else {
            continue;
        };
        let source = cells.get(2).map_or(String::new(), |s| s.to_string());
        if !field.starts_with('`') {
            continue; // the header and its rule
        }
        // `a` / `b` with `1` / `2`: two rows.
        let fields: Vec<&str> = field.split(" / ").collect();
        let defaults: Vec<&str> = default.split(" / ").collect();
        if fields.len() > 1 && fields.len() == defaults.len() {
            let parent = fields[0]
                .trim_matches('`')
                .rsplit_once('.')
                .map_or(String::new(), |(p, _)| format!("{p}."));
            for (i, (f, d)) in fields.iter().zip(&defaults).enumerate() {
                let name = f.trim_matches('`');
                let field = if i == 0 {
                    name.to_string()
                } else {
                    format!("{parent}{name}")
                };
                rows.push(Row {
                    field,
                    default: d.to_string(),
                    source: source.clone(),
                });
            }
        } else {
            rows.push(Row {
                field: field.trim_matches('`').to_string(),
                default: default.to_string(),
                source,
            });
        }
    }
    rows
}

/// The first `` `literal` `` of a cell, as a TOML value (a string if it is not one).
fn literal(cell: &str) -> Option<Value> {
    let text = cell.strip_prefix('`')?.split('`').next()?;
    let parsed = toml::from_str::<Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"));
    Some(parsed.unwrap_or_else(|| Value::String(text.to_string())))
}

fn lookup<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_table()?.get(*key))
}

fn set(value: &mut Value, path: &[&str], to: Value) {
    let (last, parents) = path.split_last().expect("a field");
    let mut table = value.as_table_mut().expect("a table");
    for key in parents {
        table = table
            .get_mut(*key)
            .and_then(Value::as_table_mut)
            .expect("the parent table exists");
    }
    table.insert(last.to_string(), to);
}

/// Integers as floats, for fields that are floats but documented as `75`.
fn floats(value: Value) -> Value {
    match value {
        Value::Integer(n) => Value::Float(n as f64),
        Value::Array(items) => Value::Array(items.into_iter().map(floats).collect()),
        Value::Table(t) => Value::Table(t.into_iter().map(|(k, v)| (k, floats(v))).collect()),
        other => other,
    }
}

/// An empty list, or a table of empty things (`chaos` with no kills, outages, …).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.is_empty(),
        Value::Table(t) => t.values().all(is_empty),
        _ => false,
    }
}

/// Checks one row; the reason if it does not hold.
fn check(section: &Section, row: &Row) -> Result<(), String> {
    let path: Vec<&str> = row.field.split('.').collect();
    if row.default.starts_with("none") {
        // The section's own default (later ones hold optional tables on purpose).
        return match lookup(&section.defaults[0], &path).filter(|v| !is_empty(v)) {
            None => Ok(()),
            Some(v) => Err(format!("documented as none, the default is {v}")),
        };
    }
    if section.module == "document.rs" && row.field == "fast_representatives" {
        // None in the file; the code applies this constant.
        let documented = literal(&row.default).ok_or("no value")?;
        return match documented.as_integer() {
            Some(n) if n == i64::from(DEFAULT_FAST_REPRESENTATIVES) => Ok(()),
            _ => Err(format!(
                "documented as {documented}, DEFAULT_FAST_REPRESENTATIVES is {DEFAULT_FAST_REPRESENTATIVES}"
            )),
        };
    }
    if section.module == "document.rs" && row.field == "fast_quiet_busy" {
        let documented = literal(&row.default).ok_or("no value")?;
        return match documented.as_float() {
            Some(x) if x == DEFAULT_FAST_QUIET_BUSY => Ok(()),
            _ => Err(format!(
                "documented as {documented}, DEFAULT_FAST_QUIET_BUSY is {DEFAULT_FAST_QUIET_BUSY}"
            )),
        };
    }
    let documented = literal(&row.default).ok_or("no value in backticks")?;
    // `balancer` is documented by its kind.
    let path = if section.module == "layer.rs" && row.field == "balancer" {
        vec!["balancer", "kind"]
    } else {
        path
    };
    let parent = &path[..path.len() - 1];
    let default = section
        .defaults
        .iter()
        .find(|d| lookup(d, &path).is_some())
        .or_else(|| {
            section
                .defaults
                .iter()
                .find(|d| lookup(d, parent).is_some_and(Value::is_table))
        })
        .ok_or("no default holds the field's table")?;
    let with = |value: Value| {
        let mut written = default.clone();
        set(&mut written, &path, value);
        (section.reread)(written)
    };
    let reread = with(documented.clone()).or_else(|_| with(floats(documented.clone())))?;
    if reread == *default {
        Ok(())
    } else {
        Err(format!(
            "documented as {documented}, the default is {}",
            lookup(default, &path).map_or_else(|| "another value".to_string(), Value::to_string)
        ))
    }
}

#[test]
fn every_documented_default_is_the_default_the_code_applies() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    let mut unchecked = Vec::new();
    for section in sections() {
        let rows = documented(section.source);
        assert!(!rows.is_empty(), "{}: no default table", section.module);
        for row in rows {
            if UNCHECKED
                .iter()
                .any(|(m, f, _)| *m == section.module && *f == row.field)
            {
                unchecked.push((section.module, row.field));
                continue;
            }
            match check(&section, &row) {
                Ok(()) => checked += 1,
                Err(why) => wrong.push(format!(
                    "{}: `{}` | {} — {why}",
                    section.module, row.field, row.default
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "documented defaults that are not the defaults:\n{}",
        wrong.join("\n")
    );
    assert_eq!(unchecked.len(), UNCHECKED.len(), "{unchecked:?}");
    assert!(checked >= 80, "only {checked} rows checked");
}

#[test]
fn a_wrong_documented_default_is_caught() {
    let rollout = sections()
        .into_iter()
        .find(|s| s.module == "rollout.rs")
        .expect("the rollout section");
    for (field, default) in [
        ("red_black.bake", "`29m`"),
        ("red_black.canary.duration", "`2h`"),
        ("red_black.progress_deadline", "`true`"),
        ("analysis.failure_limit", "`3`"),
        ("canary.healthy_deadline", "`5m`"),
        ("monitor", "none"),
    ] {
        let row = Row {
            field: field.to_string(),
            default: default.to_string(),
            source: String::new(),
        };
        assert!(check(&rollout, &row).is_err(), "{field} = {default} passed");
    }
}

#[test]
fn the_defaults_a_file_reads_are_the_types_defaults() {
    // Sections with a `Default` read the same values from an empty table: the serde
    // defaults and `impl Default` are one source.
    assert_eq!(
        toml::from_str::<ClientSpec>("").unwrap(),
        ClientSpec::default()
    );
    assert_eq!(
        toml::from_str::<RolloutSpec>("layer = \"\"").unwrap(),
        RolloutSpec::default()
    );
    assert_eq!(
        toml::from_str::<BalancerSpec>("kind = \"elb\"").unwrap(),
        BalancerSpec::default()
    );
    assert_eq!(toml::from_str::<SloSpec>("").unwrap(), SloSpec::default());
    assert_eq!(
        toml::from_str::<DailyShape>("").unwrap(),
        DailyShape::default()
    );
}

//! Sweeps: a grid or list of model overrides × seeds, every point a rehearsal.
//!
//! # The experiment file
//! ```toml
//! model = "../models/quickstart.toml"   # relative to this file; "builtin" for netflix-2011
//! runs = 3                              # seeds seed, seed+1, … per point
//! seed = 1                              # default: the model's
//! set = { "traffic.rate" = "300/s" }    # fixed overrides for every point
//! [grid]                                # every combination (keys in sorted order)
//! "rollout.strategy" = ["red-black", "rolling"]
//! "rollout.red_black.bake" = ["5m", "20m"]
//! # Linked paths vary together: one value list per combination.
//! "layers.backend.instances, traffic.rate" = [[4, "200/s"], [40, "2000/s"]]
//! [[points]]                            # and/or explicit points
//! "rollout.strategy" = "canary"
//! ```
//!
//! Keys under `tag.` (e.g. `"tag.load"`) label points without changing the model: they
//! name what a linked set of values means, for the summary's figures.
//!
//! # Runs and their order
//! The runs are `(point, seed)` pairs in canonical order: points in grid order then
//! list order, seeds ascending within each. A run's result is one JSON line keyed by
//! `point` and `seed`, independent of when or where it ran, so results from shards
//! (`--shard K/N` takes every N-th run from the K-th) and from resumed sweeps merge into
//! exactly the file a single uninterrupted run writes.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value as Json, json};
use toml::Value;

use crate::rehearsal::metrics::{Slo, rollout_metrics};
use crate::rehearsal::rehearse_with_baseline;
use crate::report::rollout as rollout_report;
use crate::scenario::Scenario;
use crate::scenario::overrides::{self, Override};

/// Keys starting with this only label a point (e.g. `tag.load = "80%"`, for a
/// report's facets); they change nothing in the model.
pub const TAG: &str = "tag.";

/// Most runs an experiment may expand to.
pub const MAX_RUNS: usize = 1_000_000;

/// An experiment file, as written.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// The model file, relative to the experiment file, or "builtin".
    pub model: String,
    /// Seeds per point.
    #[serde(default = "one")]
    pub runs: usize,
    /// First seed (default: the model's).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Overrides for every point.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
    /// Every combination of these values.
    #[serde(default)]
    pub grid: BTreeMap<String, Vec<Value>>,
    /// Explicit points.
    #[serde(default)]
    pub points: Vec<BTreeMap<String, Value>>,
    /// How to draw the summary (optional).
    #[serde(default)]
    pub report: Option<crate::plan::summary::ReportSpec>,
}

fn one() -> usize {
    1
}

/// One point: the overrides that define it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// `(path, value)` pairs, fixed ones first.
    pub overrides: Vec<(String, Value)>,
}

/// A run of the sweep: a point and a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunKey {
    /// Index of the point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

/// The points of `spec`, in canonical order.
pub fn points(spec: &ExperimentSpec) -> Result<Vec<Point>, String> {
    let fixed: Vec<(String, Value)> = spec
        .set
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut combos: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (key, values) in &spec.grid {
        if values.is_empty() {
            return Err(format!("grid.\"{key}\": needs at least one value"));
        }
        let paths: Vec<&str> = key.split(',').map(str::trim).collect();
        // Each value of a linked key ("a, b") is a list with one value per path.
        let settings: Vec<Vec<(String, Value)>> = values
            .iter()
            .map(|v| match (paths.len(), v) {
                (1, v) => Ok(vec![(key.clone(), v.clone())]),
                (n, Value::Array(linked)) if linked.len() == n => Ok(paths
                    .iter()
                    .zip(linked)
                    .map(|(p, v)| (p.to_string(), v.clone()))
                    .collect()),
                (n, v) => Err(format!(
                    "grid.\"{key}\": links {n} paths, so each value must be a list of {n} values, got {v}"
                )),
            })
            .collect::<Result<_, _>>()?;
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                settings.iter().map(move |setting| {
                    let mut next = combo.clone();
                    next.extend(setting.iter().cloned());
                    next
                })
            })
            .collect();
        if combos.len() > MAX_RUNS {
            return Err(format!("the grid has more than {MAX_RUNS} points"));
        }
    }
    if spec.grid.is_empty() && !spec.points.is_empty() {
        combos.clear();
    }
    combos.extend(
        spec.points
            .iter()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
    );
    Ok(combos
        .into_iter()
        .map(|combo| Point {
            overrides: fixed.iter().cloned().chain(combo).collect(),
        })
        .collect())
}

/// Every run of the sweep, in canonical order.
pub fn runs(points: &[Point], runs_per_point: usize, first_seed: u64) -> Vec<RunKey> {
    (0..points.len())
        .flat_map(|point| {
            (0..runs_per_point as u64).map(move |i| RunKey {
                point,
                seed: first_seed.wrapping_add(i),
            })
        })
        .collect()
}

/// The runs of shard `k` of `n` (1-based `k`): every `n`-th run from the `k`-th.
pub fn shard(all: &[RunKey], k: usize, n: usize) -> Vec<RunKey> {
    all.iter()
        .enumerate()
        .filter(|(j, _)| j % n == k - 1)
        .map(|(_, r)| *r)
        .collect()
}

/// The model of `point`: `source` (the model text) with its overrides applied.
pub fn model_of(source: &str, file: &Path, point: &Point) -> Result<Scenario, String> {
    let overrides: Vec<Override> = point
        .overrides
        .iter()
        .filter(|(k, _)| !k.starts_with(TAG))
        .map(|(k, v)| Override::new(k, v.clone()))
        .collect::<Result<_, _>>()?;
    let text = overrides::apply(source, &overrides)?;
    crate::scenario::parse(&text, file).map_err(|mut e| {
        e.position = None;
        let sets: Vec<&str> = overrides.iter().map(Override::text).collect();
        format!("{e} (point with {})", sets.join(", "))
    })
}

/// Runs one point with one seed: its rehearsal against its baseline; the result line.
pub fn run_one(model: &Scenario, point: &Point, key: RunKey) -> Json {
    let mut model = model.clone();
    model.seed = key.seed;
    let slo = Slo::of(&model);
    let (rehearsal, baseline) = rehearse_with_baseline(&model);
    let rollouts: Vec<Json> = rehearsal
        .records
        .iter()
        .map(|record| {
            let metrics = rollout_metrics(&rehearsal.world, &baseline, record, slo);
            let mut value = rollout_report::to_json(record, &metrics);
            if let Some(object) = value.as_object_mut() {
                object.remove("timeline");
            }
            value
        })
        .collect();
    let overrides: serde_json::Map<String, Json> = point
        .overrides
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Json::Null)))
        .collect();
    let mut line = json!({
        "point": key.point,
        "seed": key.seed,
        "overrides": overrides,
        "rollouts": rollouts,
    });
    // A line simulated in fast mode says so (request-level lines stay as they were).
    let step = rehearsal.world.sampling_step();
    if step > 1
        && let Some(object) = line.as_object_mut()
    {
        object.insert("fidelity".into(), json!("fast"));
        object.insert("sampling_step".into(), json!(step));
    }
    line
}

/// The key of a result line, if it is a complete, valid one.
pub fn key_of(line: &str) -> Option<RunKey> {
    let value: Json = serde_json::from_str(line).ok()?;
    Some(RunKey {
        point: usize::try_from(value.get("point")?.as_u64()?).ok()?,
        seed: value.get("seed")?.as_u64()?,
    })
}

/// Sorts result lines by key and drops duplicates and broken lines: the canonical file.
pub fn canonical(lines: impl IntoIterator<Item = String>) -> String {
    let mut keyed: BTreeMap<RunKey, String> = BTreeMap::new();
    for line in lines {
        if let Some(key) = key_of(&line) {
            keyed.entry(key).or_insert(line);
        }
    }
    keyed.into_values().map(|line| line + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ExperimentSpec {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_grid_expands_to_every_combination_then_the_listed_points() {
        let spec = spec(
            r#"model = "x.toml"
               runs = 2
               set = { "traffic.rate" = "300/s" }
               [grid]
               "rollout.strategy" = ["red-black", "rolling"]
               "rollout.red_black.bake" = ["5m", "20m"]
               [[points]]
               "rollout.strategy" = "canary""#,
        );
        let points = points(&spec).unwrap();
        assert_eq!(points.len(), 5);
        assert_eq!(
            points[0].overrides.len(),
            3,
            "the fixed set, then the grid's keys"
        );
        assert_eq!(points[4].overrides[1].1.as_str(), Some("canary"));
        let all = runs(&points, spec.runs, 7);
        assert_eq!(all.len(), 10);
        assert_eq!(all[1], RunKey { point: 0, seed: 8 });
        let shards: Vec<Vec<RunKey>> = (1..=3).map(|k| shard(&all, k, 3)).collect();
        let mut rejoined: Vec<RunKey> = shards.concat();
        rejoined.sort();
        assert_eq!(rejoined, all, "shards partition the runs");
    }

    #[test]
    fn linked_paths_vary_together() {
        let spec = spec(
            r#"model = "x.toml"
               [grid]
               "rollout.strategy" = ["red-black", "rolling"]
               "layers.backend.instances, traffic.rate" = [[4, "200/s"], [40, "2000/s"]]"#,
        );
        let points = points(&spec).unwrap();
        assert_eq!(points.len(), 4);
        let keys: Vec<&str> = points[1]
            .overrides
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "layers.backend.instances",
                "traffic.rate",
                "rollout.strategy"
            ]
        );
        assert_eq!(points[2].overrides[0].1.as_integer(), Some(40));
        assert_eq!(points[2].overrides[1].1.as_str(), Some("2000/s"));
        let bad = self::spec(
            r#"model = "x.toml"
               [grid]
               "layers.backend.instances, traffic.rate" = [[4, "200/s"], [40]]"#,
        );
        assert!(
            super::points(&bad)
                .unwrap_err()
                .contains("a list of 2 values")
        );
    }

    #[test]
    fn the_canonical_file_is_sorted_without_duplicates_or_broken_lines() {
        let lines = vec![
            r#"{"point":1,"seed":1}"#.to_string(),
            r#"{"point":0,"seed":2}"#.to_string(),
            r#"{"point":0,"seed":2}"#.to_string(),
            r#"{"point":0,"se"#.to_string(),
        ];
        assert_eq!(
            canonical(lines),
            "{\"point\":0,\"seed\":2}\n{\"point\":1,\"seed\":1}\n"
        );
    }
}

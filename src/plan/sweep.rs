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
//! list order, seeds ascending within each. A run's result is one JSON line
//! ([`ResultLine`]: the point's overrides and its rollouts' metrics) keyed by `point`
//! and `seed`, independent of when or where it ran, so results from shards
//! (`--shard K/N` takes every N-th run from the K-th) and from resumed sweeps merge into
//! exactly the file a single uninterrupted run writes. Every line carries its sweep's
//! fingerprint ([`super::fingerprint`]), and `merge`, `summarize` and `--resume` check
//! the lines they read make one sweep ([`super::results`]).

use std::collections::BTreeMap;

use serde_json::Value as Json;
use toml::Value;

use crate::error::Error;
use crate::metrics::Slo;
use crate::metrics::json::{ResultLine, RolloutJson, SweepStamp};
use crate::rehearsal::rehearse_with_baseline;
use crate::scenario::overrides::Override;
use crate::scenario::{ModelText, Scenario};

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

/// A run of the sweep: a point and a seed (read from a result line, whatever else the
/// line holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
pub struct RunKey {
    /// Index of the point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

/// The points of an experiment, counted before any is built and made one at a time:
/// the grid's points (the last key varying fastest), then the listed ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The overrides of every point.
    fixed: Vec<(String, Value)>,
    /// Per grid key, in key order, its settings (one `(path, value)` per linked path).
    axes: Vec<Vec<Vec<(String, Value)>>>,
    /// Points of the grid (the product of the axes' lengths; 0 without a grid).
    grid_points: usize,
    /// The explicit points.
    listed: Vec<Vec<(String, Value)>>,
}

impl Grid {
    /// The points of `spec`; refused, before any is built, if they are more than
    /// [`MAX_RUNS`].
    pub fn new(spec: &ExperimentSpec) -> Result<Grid, Error> {
        let mut axes = Vec::with_capacity(spec.grid.len());
        let mut grid_points: usize = 1;
        for (key, values) in &spec.grid {
            if values.is_empty() {
                return Err(Error::BadInput(format!(
                    "grid.\"{key}\": needs at least one value"
                )));
            }
            grid_points = grid_points
                .checked_mul(values.len())
                .filter(|&n| n <= MAX_RUNS)
                .ok_or_else(|| Error::BadInput(too_many(spec)))?;
        }
        for (key, values) in &spec.grid {
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
                    (n, v) => Err(Error::BadInput(format!(
                        "grid.\"{key}\": links {n} paths, so each value must be a list of {n} values, got {v}"
                    ))),
                })
                .collect::<Result<_, _>>()?;
            axes.push(settings);
        }
        if spec.grid.is_empty() {
            // No grid: the listed points, or else the model itself (no overrides).
            grid_points = usize::from(spec.points.is_empty());
        }
        let grid = Grid {
            fixed: spec
                .set
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            axes,
            grid_points,
            listed: spec
                .points
                .iter()
                .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .collect(),
        };
        if grid.len() > MAX_RUNS {
            return Err(Error::BadInput(too_many(spec)));
        }
        Ok(grid)
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.grid_points.saturating_add(self.listed.len())
    }

    /// Whether there is no point (never, for a grid made by [`Grid::new`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Point `index` (< [`Grid::len`]), built now.
    pub fn point(&self, index: usize) -> Point {
        let mut overrides = self.fixed.clone();
        if index < self.grid_points {
            // Mixed radix, the last axis the fastest digit.
            let mut digits = vec![0; self.axes.len()];
            let mut rest = index;
            for (digit, axis) in digits.iter_mut().zip(&self.axes).rev() {
                *digit = rest % axis.len();
                rest /= axis.len();
            }
            for (digit, axis) in digits.into_iter().zip(&self.axes) {
                overrides.extend(axis[digit].iter().cloned());
            }
        } else if let Some(listed) = self.listed.get(index - self.grid_points) {
            overrides.extend(listed.iter().cloned());
        }
        Point { overrides }
    }

    /// Every point, in canonical order, each built when it is reached.
    pub fn iter(&self) -> impl Iterator<Item = Point> + '_ {
        (0..self.len()).map(|index| self.point(index))
    }
}

/// The refusal of a grid with more than [`MAX_RUNS`] points, with its count.
fn too_many(spec: &ExperimentSpec) -> String {
    let count = spec
        .grid
        .values()
        .try_fold(1u128, |n, values| n.checked_mul(values.len() as u128))
        .map_or_else(
            || "more than 2^128".to_string(),
            |n| (n + spec.points.len() as u128).to_string(),
        );
    let sizes: Vec<String> = spec
        .grid
        .iter()
        .map(|(key, values)| format!("{} for \"{key}\"", values.len()))
        .collect();
    format!(
        "the grid has {count} points ({}{}); at most {MAX_RUNS}",
        sizes.join(" × "),
        if spec.points.is_empty() {
            String::new()
        } else {
            format!(", plus {} listed", spec.points.len())
        }
    )
}

/// How many runs `points` points of `runs_per_point` seeds each are; refused if they
/// are more than [`MAX_RUNS`].
pub fn run_count(points: usize, runs_per_point: usize) -> Result<usize, Error> {
    points
        .checked_mul(runs_per_point)
        .filter(|&n| n <= MAX_RUNS)
        .ok_or_else(|| {
            Error::BadInput(format!(
                "the experiment expands to {} runs ({points} points × {runs_per_point} runs); at most {MAX_RUNS}",
                points as u128 * runs_per_point as u128
            ))
        })
}

/// Every run of the sweep, in canonical order: `points` points, `runs_per_point` seeds
/// each; refused, before any is listed, if they are more than [`MAX_RUNS`].
pub fn runs(points: usize, runs_per_point: usize, first_seed: u64) -> Result<Vec<RunKey>, Error> {
    let mut all = Vec::with_capacity(run_count(points, runs_per_point)?);
    for point in 0..points {
        all.extend((0..runs_per_point as u64).map(|i| RunKey {
            point,
            seed: first_seed.wrapping_add(i),
        }));
    }
    Ok(all)
}

/// The runs of shard `k` of `n` (1-based `k`): every `n`-th run from the `k`-th.
pub fn shard(all: &[RunKey], k: usize, n: usize) -> Vec<RunKey> {
    all.iter()
        .enumerate()
        .filter(|(j, _)| j % n == k - 1)
        .map(|(_, r)| *r)
        .collect()
}

/// The model of `point`: the experiment's model (parsed once, unchanged) with the
/// point's overrides applied, checked.
pub fn model_of(model: &ModelText<'_>, point: &Point) -> Result<Scenario, Error> {
    let overrides: Vec<Override> = point
        .overrides
        .iter()
        .filter(|(k, _)| !k.starts_with(TAG))
        .map(|(k, v)| Override::new(k, v.clone()))
        .collect::<Result<_, _>>()?;
    let mut text = model.clone();
    text.apply(&overrides)?;
    let sets: Vec<&str> = overrides.iter().map(Override::text).collect();
    Ok(text.check(&format!("point with {}", sets.join(", ")))?)
}

/// Runs one point with one seed: its rehearsal against its baseline; the result line,
/// stamped with its sweep's `stamp`.
pub(crate) fn run_one(
    model: &Scenario,
    point: &Point,
    key: RunKey,
    stamp: &SweepStamp,
) -> ResultLine {
    let mut model = model.clone();
    model.seed = key.seed;
    let (mut rehearsal, mut baseline) = rehearse_with_baseline(&model);
    // A calendar's run keeps only the recent past of most series: it is measured as a
    // whole (`week`), not rollout by rollout.
    let (rollouts, week) = if model.releases.is_some() {
        let week = rehearsal.week_metrics(&model, &mut baseline, Slo::of(&model));
        (Vec::new(), Some(week))
    } else {
        let rollouts = rehearsal
            .records
            .iter()
            .zip(rehearsal.rollout_metrics(&baseline, Slo::of(&model)))
            .map(|(record, metrics)| RolloutJson::new(record, &metrics))
            .collect();
        (rollouts, None)
    };
    let step = rehearsal.world.sampling_step();
    ResultLine {
        point: key.point,
        seed: key.seed,
        overrides: point
            .overrides
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Json::Null)))
            .collect(),
        rollouts,
        fidelity: (step > 1).then(|| "fast".to_string()),
        sampling_step: (step > 1).then_some(step),
        week,
        sweep: Some(stamp.clone()),
    }
}

/// The key of a result line, if it is a complete, valid one.
pub(crate) fn key_of(line: &str) -> Option<RunKey> {
    serde_json::from_str(line).ok()
}

/// Sorts result lines by key and drops duplicates and broken lines: the canonical order
/// of a file already checked (the commands check files with `plan::results` first).
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
        let points: Vec<Point> = Grid::new(&spec).unwrap().iter().collect();
        assert_eq!(points.len(), 5);
        assert_eq!(
            points[0].overrides.len(),
            3,
            "the fixed set, then the grid's keys"
        );
        assert_eq!(points[4].overrides[1].1.as_str(), Some("canary"));
        let all = runs(points.len(), spec.runs, 7).unwrap();
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
        let points: Vec<Point> = Grid::new(&spec).unwrap().iter().collect();
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
            Grid::new(&bad)
                .unwrap_err()
                .to_string()
                .contains("a list of 2 values")
        );
    }

    #[test]
    fn a_huge_grid_is_refused_with_its_count_before_anything_is_built() {
        let keys: Vec<String> = (0..10)
            .map(|k| format!("\"tag.k{k}\" = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"))
            .collect();
        let spec = spec(&format!("model = \"x.toml\"\n[grid]\n{}", keys.join("\n")));
        let started = std::time::Instant::now();
        let error = Grid::new(&spec).unwrap_err().to_string();
        assert!(
            error.contains("10000000000 points") && error.contains("at most 1000000"),
            "{error}"
        );
        assert!(started.elapsed().as_secs() < 1, "counted, not built");
    }

    #[test]
    fn a_million_points_are_made_one_at_a_time() {
        let keys: Vec<String> = (0..6)
            .map(|k| format!("\"tag.k{k}\" = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"))
            .collect();
        let spec = spec(&format!("model = \"x.toml\"\n[grid]\n{}", keys.join("\n")));
        let grid = Grid::new(&spec).unwrap();
        assert_eq!(grid.len(), 1_000_000);
        let digits = |p: Point| -> Vec<i64> {
            p.overrides
                .iter()
                .map(|(_, v)| v.as_integer().unwrap())
                .collect()
        };
        assert_eq!(digits(grid.point(0)), [0, 0, 0, 0, 0, 0]);
        assert_eq!(digits(grid.point(123_456)), [1, 2, 3, 4, 5, 6]);
        assert_eq!(digits(grid.point(999_999)), [9, 9, 9, 9, 9, 9]);
        let error = runs(grid.len(), 2, 1).unwrap_err().to_string();
        assert!(
            error.contains("2000000 runs (1000000 points × 2 runs); at most 1000000"),
            "{error}"
        );
    }

    #[test]
    fn committed_result_lines_read_and_write_back_whole() {
        let json = |text: &str| serde_json::from_str::<Json>(text).unwrap();
        for results in [
            include_str!("../../experiments/bake-time/results.jsonl"),
            include_str!("../../experiments/rollback-safety/results.jsonl"),
        ] {
            for text in results.lines() {
                let line: ResultLine = serde_json::from_str(text).unwrap();
                // As values: serde_json reads a float to within one unit in the last
                // place, so the last digit of a re-written float may differ.
                assert_eq!(json(&line.to_line()), json(text));
                assert_eq!(
                    key_of(text),
                    Some(RunKey {
                        point: line.point,
                        seed: line.seed
                    })
                );
            }
        }
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

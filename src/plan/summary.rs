//! Summaries of sweep results: per point and rollout, every metric's mean and 95%
//! interval over the point's seeds, as rows (and CSV); what a study's README quotes.
//!
//! # How
//! 1. The result lines (one [`ResultLine`] per run, see [`super::sweep`]) are grouped
//!    by point, in point order; a point's overrides name it.
//! 2. Per rollout of the point, every numeric metric of the run lines
//!    ([`RolloutJson::numbers`]) is collected over seeds (a metric a run does not have,
//!    e.g. a restore time without a rollback, is left out, so `n` says how many runs had
//!    it), plus two outcome shares: `promoted` and `rolled_back` (1 if the run's rollout
//!    ended so, else 0).
//! 3. Means come with 95% intervals: Student's t over runs for measurements, Wilson's
//!    score interval for the outcome shares (a proportion near 0 or 1 keeps a sensible
//!    interval with few runs).
//!
//! The summary depends only on the canonical results file, so it is the same bytes
//! however the sweep was run.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::Error;
use crate::metrics::json::{ResultLine, RolloutJson};
use crate::rollout::Outcome;
use crate::stats::{Estimate, wilson};

/// How a sweep's summary is drawn: the `[report]` table of an experiment file.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// The figures' title (default: the experiment's folder name).
    #[serde(default)]
    pub title: Option<String>,
    /// The override on the x axis (numbers, durations, rates or percentages).
    pub x: String,
    /// The x axis's caption (default: `x`).
    #[serde(default)]
    pub x_label: Option<String>,
    /// Overrides whose values make separate lines (default: every varying override
    /// other than `x` and `facet`).
    #[serde(default)]
    pub series: Option<Vec<String>>,
    /// An override whose values make separate figures.
    #[serde(default)]
    pub facet: Option<String>,
    /// Metrics to draw, one panel each.
    pub metrics: Vec<String>,
    /// The rollout (index in the model) whose metrics are drawn.
    #[serde(default)]
    pub rollout: usize,
    /// A logarithmic x axis.
    #[serde(default)]
    pub log_x: bool,
}

/// One metric of one rollout at one point, over its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The point's index.
    pub point: usize,
    /// The point's overrides, as written in the results.
    pub overrides: Vec<(String, Json)>,
    /// The rollout's index in the model.
    pub rollout: usize,
    /// The rolled layer.
    pub layer: String,
    /// The metric's name (as in the results), or `promoted` / `rolled_back`.
    pub metric: String,
    /// Runs that had it.
    pub n: usize,
    /// Mean over those runs.
    pub mean: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

/// A point's overrides and each of its runs' rollouts.
type PointRuns = (Vec<(String, Json)>, Vec<Vec<RolloutJson>>);

/// The summary of `results` (JSON lines, any order); a line that is not a result is
/// bad input.
pub fn summarize(results: &str) -> Result<Vec<Row>, Error> {
    summarize_lines(results).map_err(Error::BadInput)
}

fn summarize_lines(results: &str) -> Result<Vec<Row>, String> {
    let mut points: BTreeMap<usize, PointRuns> = BTreeMap::new();
    for (number, line) in results.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line: ResultLine = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not a result line: {e}", number + 1))?;
        points
            .entry(line.point)
            .or_insert_with(|| (line.overrides.into_iter().collect(), Vec::new()))
            .1
            .push(line.rollouts);
    }
    let mut rows = Vec::new();
    for (point, (overrides, runs)) in points {
        let rollouts = runs.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..rollouts {
            let of_k: Vec<&RolloutJson> = runs.iter().filter_map(|run| run.get(k)).collect();
            let layer = of_k.first().map(|r| r.layer.clone()).unwrap_or_default();
            let mut names: Vec<&str> = of_k
                .iter()
                .flat_map(|r| r.numbers())
                .filter(|(_, value)| value.is_some())
                .map(|(name, _)| name)
                .collect();
            names.sort();
            names.dedup();
            let row = |metric: &str, n: usize, mean: f64, (low, high): (f64, f64)| Row {
                point,
                overrides: overrides.clone(),
                rollout: k,
                layer: layer.clone(),
                metric: metric.to_string(),
                n,
                mean,
                low,
                high,
            };
            for (metric, outcome) in [
                ("promoted", Outcome::Promoted),
                ("rolled_back", Outcome::RolledBack),
            ] {
                let hits = of_k.iter().filter(|r| r.outcome == outcome.name()).count();
                let n = of_k.len();
                if n > 0 {
                    rows.push(row(metric, n, hits as f64 / n as f64, wilson(hits, n)));
                }
            }
            for name in names {
                let values: Vec<f64> = of_k
                    .iter()
                    .filter_map(|r| r.numbers().into_iter().find(|(n, _)| *n == name)?.1)
                    .collect();
                if let Some(i) = Estimate::of(&values) {
                    let half = i.finite_half_width();
                    rows.push(row(name, i.n, i.mean, (i.mean - half, i.mean + half)));
                }
            }
        }
    }
    Ok(rows)
}

/// The rows as CSV: `point`, one column per override (in the order first met), then
/// `rollout, layer, metric, n, mean, ci95_low, ci95_high`.
pub fn to_csv(rows: &[Row]) -> String {
    let mut keys: Vec<&str> = Vec::new();
    for row in rows {
        for (k, _) in &row.overrides {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
    }
    let mut out = String::from("point");
    for k in &keys {
        out.push(',');
        out.push_str(&csv_field(k));
    }
    out.push_str(",rollout,layer,metric,n,mean,ci95_low,ci95_high\n");
    for row in rows {
        out.push_str(&row.point.to_string());
        for k in &keys {
            out.push(',');
            if let Some((_, v)) = row.overrides.iter().find(|(key, _)| key == k) {
                out.push_str(&csv_field(&plain(v)));
            }
        }
        out.push_str(&format!(
            ",{},{},{},{},{},{},{}\n",
            row.rollout,
            csv_field(&row.layer),
            row.metric,
            row.n,
            number(row.mean),
            number(row.low),
            number(row.high)
        ));
    }
    out
}

/// A value as text: strings unquoted, anything else as JSON.
pub fn plain(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The number an override's value stands for on an axis: numbers as they are,
/// durations in seconds, rates per second, percentages in percent.
pub fn numeric(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => {
            let s = s.trim();
            if let Some(p) = s.strip_suffix('%') {
                return p.trim().parse().ok();
            }
            if let Ok(d) = s.parse::<crate::engine::SimDuration>() {
                return Some(d.as_secs_f64());
            }
            s.parse::<crate::engine::Rate>()
                .ok()
                .map(|r| r.per_second())
        }
        _ => None,
    }
}

fn number(x: f64) -> String {
    // Six significant digits: stable text, enough for any quoted figure.
    if x == 0.0 {
        "0".into()
    } else {
        let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
        format!("{:.digits$}", crate::stats::Num(x))
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result line of point 0 whose rollout ended with `outcome`, `failed` failed
    /// requests and a restore time of `restore` (JSON), the other metrics fixed.
    fn line(seed: u64, outcome: &str, failed: i64, restore: &str) -> String {
        format!(
            r#"{{"overrides":{{"rollout.strategy":"rolling","traffic.rate":"300/s"}},"point":0,"rollouts":[{{"availability":0.999,"bad_version_requests":5000,"detection_time":null,"downstream_rate_ratio":null,"extra_cost":null,"extra_instance_hours":0.5,"failed_requests":{failed},"latency_p50_ms":20.0,"latency_p999_ms":90.0,"latency_p99_ms":60.0,"layer":"backend","min_serving_ratio":0.75,"minutes_in_slo_breach":0,"new_version":1,"old_version":0,"outcome":"{outcome}","peak_instances_ratio":1.25,"restore_time":{restore},"rollback_path":null,"rollout_duration":600.0,"strategy":"rolling","switch_latency":null,"switch_latency_full":null,"units":{{"durations":"seconds","instance_hours":"hours","latencies":"milliseconds"}}}}],"seed":{seed}}}"#
        )
    }

    fn lines() -> String {
        line(1, "promoted", 10, "null") + "\n" + &line(2, "rolled back", 30, "12.5") + "\n"
    }

    #[test]
    fn points_are_summarised_per_metric_with_intervals() {
        let rows = summarize(&lines()).unwrap();
        let get = |m: &str| rows.iter().find(|r| r.metric == m).unwrap();
        assert_eq!(get("failed_requests").mean, 20.0);
        assert_eq!(get("failed_requests").n, 2);
        // t(1) = 12.706, sd = 14.142: half-width 127.06.
        assert!((get("failed_requests").high - 147.06).abs() < 0.01);
        assert_eq!(get("restore_time").n, 1, "a null is no value");
        assert_eq!(get("rolled_back").mean, 0.5);
        let (low, high) = (get("rolled_back").low, get("rolled_back").high);
        assert!(
            (low - 0.0945).abs() < 1e-3 && (high - 0.9055).abs() < 1e-3,
            "{low} {high}"
        );
        assert!(rows.iter().all(|r| r.metric != "new_version"));
        let csv = to_csv(&rows);
        assert!(csv.starts_with(
            "point,rollout.strategy,traffic.rate,rollout,layer,metric,n,mean,ci95_low,ci95_high\n"
        ));
        assert!(
            csv.contains("0,rolling,300/s,0,backend,failed_requests,2,20.0000,"),
            "{csv}"
        );
    }

    #[test]
    fn axis_values_are_read_as_numbers() {
        assert_eq!(numeric(&serde_json::json!(40)), Some(40.0));
        assert_eq!(numeric(&serde_json::json!("25%")), Some(25.0));
        assert_eq!(numeric(&serde_json::json!("5m")), Some(300.0));
        assert_eq!(numeric(&serde_json::json!("300/s")), Some(300.0));
        assert_eq!(numeric(&serde_json::json!("rolling")), None);
    }
}

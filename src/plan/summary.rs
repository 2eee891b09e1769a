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
//! 3. Means come with 95% intervals that respect the metric, by the values it can take
//!    ([`crate::metrics::scale_of`]; a metric it does not name is judged by its values,
//!    [`Scale::of_values`]), as [`Estimate::of_scale`] draws them:
//!    - the outcome shares (`promoted`, `rolled_back`): Wilson's score interval of the
//!      count of runs, within 0–1 (a share near 0 or 1 keeps a sensible interval with
//!      few runs);
//!    - every other metric (counts, durations, latencies, ratios, availability,
//!      differences with the baseline): a percentile bootstrap of the mean, 2 000
//!      resamples from a fixed seed, so the same results give the same bytes. Its ends
//!      lie between the smallest and largest value of the runs and within the metric's
//!      range: a count of failed requests that was never negative gets no negative
//!      bound, an availability none above 1. With 2–5 seeds it is close to the range of
//!      the values and narrower than a 95% interval should be: a study's README says how
//!      many seeds stand behind a number.
//!    - A metric that fewer than 2 runs of the point had has no interval: its
//!      `ci95_low` and `ci95_high` are empty and `ci95_method` says `none`.
//!
//! The summary depends only on the canonical results file, so it is the same bytes
//! however the sweep was run.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::Error;
use crate::metrics::json::{ResultLine, RolloutJson};
use crate::rollout::Outcome;
use crate::stats::{Estimate, Scale};

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
    /// Its mean over the runs that had it (`n`: how many), with its 95% interval.
    pub estimate: Estimate,
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
    let mut weeks: BTreeMap<usize, Vec<Vec<(&'static str, f64)>>> = BTreeMap::new();
    for (number, line) in results.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line: ResultLine = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not a result line: {e}", number + 1))?;
        if let Some(week) = &line.week {
            weeks.entry(line.point).or_default().push(week.numbers());
        }
        points
            .entry(line.point)
            .or_insert_with(|| (line.overrides.into_iter().collect(), Vec::new()))
            .1
            .push(line.rollouts);
    }
    let mut rows = Vec::new();
    for (point, (overrides, runs)) in points {
        // A calendar's run: one row per week metric, as rollout 0 of layer "week".
        if let Some(of_runs) = weeks.get(&point) {
            let names: Vec<&str> = of_runs.first().map_or_else(Vec::new, |first| {
                first.iter().map(|(name, _)| *name).collect()
            });
            for (i, name) in names.into_iter().enumerate() {
                let values: Vec<f64> = of_runs
                    .iter()
                    .filter_map(|run| Some(run.get(i)?.1))
                    .collect();
                let scale =
                    crate::metrics::scale_of(name).unwrap_or_else(|| Scale::of_values(&values));
                if let Some(estimate) = Estimate::of_scale(&values, scale) {
                    rows.push(Row {
                        point,
                        overrides: overrides.clone(),
                        rollout: 0,
                        layer: "week".into(),
                        metric: name.to_string(),
                        estimate,
                    });
                }
            }
        }
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
            let row = |metric: &str, estimate: Estimate| Row {
                point,
                overrides: overrides.clone(),
                rollout: k,
                layer: layer.clone(),
                metric: metric.to_string(),
                estimate,
            };
            for (metric, outcome) in [
                ("promoted", Outcome::Promoted),
                ("rolled_back", Outcome::RolledBack),
            ] {
                let hits = of_k.iter().filter(|r| r.outcome == outcome.name()).count();
                if let Some(share) = Estimate::share(hits, of_k.len()) {
                    rows.push(row(metric, share));
                }
            }
            for name in names {
                let values: Vec<f64> = of_k
                    .iter()
                    .filter_map(|r| r.numbers().into_iter().find(|(n, _)| *n == name)?.1)
                    .collect();
                let scale =
                    crate::metrics::scale_of(name).unwrap_or_else(|| Scale::of_values(&values));
                if let Some(estimate) = Estimate::of_scale(&values, scale) {
                    rows.push(row(name, estimate));
                }
            }
        }
    }
    Ok(rows)
}

/// The rows as CSV: `point`, one column per override (in the order first met), then
/// `rollout, layer, metric, n, mean, ci95_low, ci95_high, ci95_method` (the ends empty
/// and the method `none` where there is no interval: fewer than 2 runs).
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
    out.push_str(",rollout,layer,metric,n,mean,ci95_low,ci95_high,ci95_method\n");
    for row in rows {
        out.push_str(&row.point.to_string());
        for k in &keys {
            out.push(',');
            if let Some((_, v)) = row.overrides.iter().find(|(key, _)| key == k) {
                out.push_str(&csv_field(&plain(v)));
            }
        }
        let (low, high) = match row.estimate.bounds() {
            Some((low, high)) => (number(low), number(high)),
            None => (String::new(), String::new()),
        };
        out.push_str(&format!(
            ",{},{},{},{},{},{low},{high},{}\n",
            row.rollout,
            csv_field(&row.layer),
            row.metric,
            row.estimate.n,
            number(row.estimate.mean),
            row.estimate.interval.method()
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
        let get = |m: &str| rows.iter().find(|r| r.metric == m).unwrap().estimate;
        assert_eq!(get("failed_requests").mean, 20.0);
        assert_eq!(get("failed_requests").n, 2);
        // Two runs: the bootstrap's interval is their range (Student's t: −107 to 147).
        assert_eq!(get("failed_requests").bounds(), Some((10.0, 30.0)));
        assert_eq!(get("failed_requests").interval.method(), "bootstrap");
        assert_eq!(get("restore_time").n, 1, "a null is no value");
        assert_eq!(get("restore_time").bounds(), None, "one run: no interval");
        assert_eq!(get("rolled_back").mean, 0.5);
        let (low, high) = get("rolled_back").bounds().unwrap();
        assert!(
            (low - 0.0945).abs() < 1e-3 && (high - 0.9055).abs() < 1e-3,
            "{low} {high}"
        );
        assert!(rows.iter().all(|r| r.metric != "new_version"));
        let csv = to_csv(&rows);
        assert!(csv.starts_with(
            "point,rollout.strategy,traffic.rate,rollout,layer,metric,n,mean,ci95_low,ci95_high,ci95_method\n"
        ));
        assert!(
            csv.contains(
                "0,rolling,300/s,0,backend,failed_requests,2,20.0000,10.0000,30.0000,bootstrap\n"
            ),
            "{csv}"
        );
        assert!(
            csv.contains("0,rolling,300/s,0,backend,restore_time,1,12.5000,,,none\n"),
            "{csv}"
        );
    }

    #[test]
    fn a_summarys_intervals_respect_each_metrics_range() {
        // Failed requests 0, 0, 8 (a red/black point of rolling-vs-red-black, whose
        // Student-t interval was −8.8 to 14.1) and availabilities close to 1.
        let text: String = [(1, 0), (2, 0), (3, 8)]
            .iter()
            .map(|(seed, failed)| line(*seed, "promoted", *failed, "null") + "\n")
            .collect::<String>()
            .replace("\"availability\":0.999", "\"availability\":0.9999");
        let rows = summarize(&text).unwrap();
        for row in &rows {
            let (low, high) = row.estimate.bounds().unwrap();
            let (floor, ceiling) = crate::metrics::scale_of(&row.metric).unwrap().range();
            assert!(
                low >= floor && high <= ceiling,
                "{}: {low} {high}",
                row.metric
            );
        }
        let failed = rows.iter().find(|r| r.metric == "failed_requests").unwrap();
        let (low, high) = failed.estimate.bounds().unwrap();
        assert!(low >= 0.0 && high <= 8.0, "{low} {high}");
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

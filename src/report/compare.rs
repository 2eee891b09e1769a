//! The comparison table of `rollsim compare`: per rollout, every metric per strategy as
//! a mean with its 95% interval, and each strategy's paired difference with the first;
//! as text, JSON and CSV. The JSON also has, per layer, its queueing figures over the
//! whole rehearsal (`layers`: mean latency, p99, Wq, P(wait), L, W, λ) the same way.

use crate::stats::Num;
use std::fmt::Write;

use serde_json::{Value, json};

use crate::metrics::RolloutMetrics;
use crate::model::QueueingFigures;
use crate::plan::compare::Comparison;
use crate::rollout::Outcome;
use crate::stats::Estimate;

/// A metric of the table: its name (as in DESIGN.md §2), unit, and how to read it.
pub struct Metric {
    /// Name.
    pub name: &'static str,
    /// Unit shown after the name.
    pub unit: &'static str,
    /// Its value in a run, if the run has one.
    pub value: fn(&RolloutMetrics) -> Option<f64>,
}

/// Every metric compared, in report order.
pub const METRICS: [Metric; 19] = [
    Metric {
        name: "promoted",
        unit: "share",
        value: |m| Some(f64::from(u8::from(m.outcome == Outcome::Promoted))),
    },
    Metric {
        name: "rolled_back",
        unit: "share",
        value: |m| Some(f64::from(u8::from(m.outcome == Outcome::RolledBack))),
    },
    Metric {
        name: "peak_instances_ratio",
        unit: "×",
        value: |m| Some(m.peak_instances_ratio),
    },
    Metric {
        name: "extra_instance_hours",
        unit: "h",
        value: |m| Some(m.extra_instance_hours),
    },
    Metric {
        name: "extra_cost",
        unit: "",
        value: |m| m.extra_cost,
    },
    Metric {
        name: "min_serving_ratio",
        unit: "×",
        value: |m| Some(m.min_serving_ratio),
    },
    Metric {
        name: "switch_latency",
        unit: "s",
        value: |m| m.switch_latency.map(|d| d.as_secs_f64()),
    },
    Metric {
        name: "switch_latency_full",
        unit: "s",
        value: |m| m.switch_latency_full.map(|d| d.as_secs_f64()),
    },
    Metric {
        name: "rollout_duration",
        unit: "s",
        value: |m| m.rollout_duration.map(|d| d.as_secs_f64()),
    },
    Metric {
        name: "detection_time",
        unit: "s",
        value: |m| m.detection_time.map(|d| d.as_secs_f64()),
    },
    Metric {
        name: "restore_time",
        unit: "s",
        value: |m| m.restore_time.map(|d| d.as_secs_f64()),
    },
    Metric {
        name: FAILED_REQUESTS,
        unit: "",
        value: |m| Some(m.failed_requests as f64),
    },
    Metric {
        name: "new_version_requests",
        unit: "",
        value: |m| m.healthy_version_requests().map(|n| n as f64),
    },
    Metric {
        name: "bad_version_requests",
        unit: "",
        value: |m| m.bad_version_requests().map(|n| n as f64),
    },
    Metric {
        name: "downstream_rate_ratio",
        unit: "×",
        value: |m| m.downstream_rate_ratio,
    },
    Metric {
        name: "availability",
        unit: "%",
        value: |m| Some(100.0 * m.availability),
    },
    Metric {
        name: "latency_p99",
        unit: "ms",
        value: |m| m.latency_p99.map(|d| d.as_millis_f64()),
    },
    Metric {
        name: "latency_p999",
        unit: "ms",
        value: |m| m.latency_p999.map(|d| d.as_millis_f64()),
    },
    Metric {
        name: "minutes_in_slo_breach",
        unit: "min",
        value: |m| Some(f64::from(m.minutes_in_slo_breach)),
    },
];

/// The comparison as text tables, one per rollout.
pub fn render_text(c: &Comparison) -> String {
    let mut out = intro(c);
    for (k, layer) in c.rollouts.iter().enumerate() {
        let _ = writeln!(out, "\nRollout of {layer}");
        out.push_str(&super::table::render(&table_rows(c, k)));
    }
    out.push_str(&footnote());
    out
}

/// The two lines above the tables: what was compared, how, and how to read it.
pub(crate) fn intro(c: &Comparison) -> String {
    let mut out = String::new();
    let runs = c.seeds.len();
    let _ = writeln!(
        out,
        "{}: {} strategies × {runs} runs (seeds {}–{}), common random numbers: run i of every strategy sees the same traffic and faults.",
        c.model,
        c.strategies.len(),
        c.seeds.first().copied().unwrap_or(0),
        c.seeds.last().copied().unwrap_or(0),
    );
    let _ = writeln!(
        out,
        "Mode: {}. Mean ± 95% CI over runs; differences are paired by run; (n=k) when only k runs have the metric.",
        super::run_summary::fidelity_words(c.sampling_step)
    );
    out
}

/// The line under the tables: what the one difference with the baseline run means.
pub(crate) fn footnote() -> String {
    format!(
        "\n{FAILED_REQUESTS} (vs baseline): client-visible failures above those of the run without \
         rollouts of the same seed; negative means fewer than that run.\n"
    )
}

/// The one metric that is a difference with the baseline run, and is labelled so.
const FAILED_REQUESTS: &str = "failed_requests";

/// How `metric` is labelled, in the tables and the figures: its name and unit, and
/// `(vs baseline)` for the one paired difference with the baseline run (see
/// [`footnote`]).
pub(crate) fn label(metric: &Metric) -> String {
    match (metric.name, metric.unit) {
        (FAILED_REQUESTS, _) => format!("{FAILED_REQUESTS} (vs baseline)"),
        (name, "") => name.to_string(),
        (name, unit) => format!("{name} ({unit})"),
    }
}

/// The table of rollout `k`: a header row (metric, each strategy, each difference
/// with the first), then one row per metric. Requests on the new version are either
/// healthy ones or bad ones: the row the release does not have is left out.
pub(crate) fn table_rows(c: &Comparison, k: usize) -> Vec<Vec<String>> {
    let runs = c.seeds.len();
    let mut header = vec!["metric".to_string()];
    header.extend(c.strategies.iter().map(|s| s.name().to_string()));
    header.extend(
        c.strategies
            .iter()
            .skip(1)
            .map(|s| format!("{} − {}", s.name(), c.strategies[0].name())),
    );
    let mut rows = vec![header];
    for metric in &METRICS {
        let named_by_release = ["new_version_requests", "bad_version_requests"];
        if named_by_release.contains(&metric.name)
            && (0..c.strategies.len()).all(|s| c.interval(s, k, metric.value).is_none())
        {
            continue;
        }
        let mut row = vec![label(metric)];
        for s in 0..c.strategies.len() {
            row.push(cell(c.interval(s, k, metric.value), runs));
        }
        for s in 1..c.strategies.len() {
            row.push(cell(c.difference(s, k, metric.value), runs));
        }
        rows.push(row);
    }
    rows
}

/// `value(s)` of every strategy `s` from the `from`-th on, keyed by strategy name.
fn by_strategy(
    c: &Comparison,
    from: usize,
    value: impl Fn(usize) -> Value,
) -> serde_json::Map<String, Value> {
    c.strategies
        .iter()
        .enumerate()
        .skip(from)
        .map(|(s, strategy)| (strategy.name().to_string(), value(s)))
        .collect()
}

/// The comparison as JSON.
pub fn to_json(c: &Comparison) -> Value {
    let interval = |i: Option<Estimate>| {
        i.map_or(Value::Null, |i| {
            json!({"mean": i.mean, "ci95": if i.half_width_95().is_finite() { json!(i.half_width_95()) } else { Value::Null }, "n": i.n})
        })
    };
    let rollouts: Vec<Value> = c
        .rollouts
        .iter()
        .enumerate()
        .map(|(k, layer)| {
            let metrics: Vec<Value> = METRICS
                .iter()
                .map(|m| {
                    let by = by_strategy(c, 0, |s| interval(c.interval(s, k, m.value)));
                    let diff = by_strategy(c, 1, |s| interval(c.difference(s, k, m.value)));
                    json!({"metric": m.name, "unit": m.unit, "by_strategy": by, "difference_vs_first": diff})
                })
                .collect();
            json!({"layer": layer, "metrics": metrics})
        })
        .collect();
    let layers: Vec<Value> = c
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let figures: Vec<Value> = QueueingFigures::NAMES
                .iter()
                .enumerate()
                .map(|(f, (name, unit))| {
                    let by = by_strategy(c, 0, |s| interval(c.layer_interval(s, l, f)));
                    let diff = by_strategy(c, 1, |s| interval(c.layer_difference(s, l, f)));
                    json!({"figure": name, "unit": unit, "by_strategy": by, "difference_vs_first": diff})
                })
                .collect();
            json!({"layer": layer, "figures": figures})
        })
        .collect();
    json!({
        "model": c.model,
        "fidelity": if c.sampling_step > 1 { "fast" } else { "exact" },
        "sampling_step": c.sampling_step,
        "strategies": c.strategies.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "seeds": c.seeds,
        "rollouts": rollouts,
        "layers": layers,
    })
}

/// The comparison as CSV: one row per rollout, metric and strategy.
pub fn render_csv(c: &Comparison) -> String {
    let mut out = String::from(
        "rollout,layer,metric,unit,strategy,mean,ci95,n,difference_vs_first,difference_ci95\n",
    );
    let num = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or(String::new(), |x| format!("{}", Num(x)))
    };
    for (k, layer) in c.rollouts.iter().enumerate() {
        for m in &METRICS {
            for (s, strategy) in c.strategies.iter().enumerate() {
                let i = c.interval(s, k, m.value);
                let d = (s > 0).then(|| c.difference(s, k, m.value)).flatten();
                let _ = writeln!(
                    out,
                    "{k},{layer},{},{},{},{},{},{},{},{}",
                    m.name,
                    m.unit,
                    strategy.name(),
                    num(i.map(|i| i.mean)),
                    num(i.map(|i| i.half_width_95())),
                    i.map_or(0, |i| i.n),
                    num(d.map(|d| d.mean)),
                    num(d.map(|d| d.half_width_95())),
                );
            }
        }
    }
    out
}

fn cell(interval: Option<Estimate>, runs: usize) -> String {
    match interval {
        None => "-".into(),
        Some(i) => {
            let digits = if i.mean.abs() >= 100.0 {
                0
            } else if i.mean.abs() >= 10.0 {
                1
            } else {
                2
            };
            let hw = if i.half_width_95().is_finite() {
                format!(" ± {:.*}", digits, Num(i.half_width_95()))
            } else {
                String::new()
            };
            let n = if i.n < runs {
                format!(" (n={})", i.n)
            } else {
                String::new()
            };
            format!("{:.*}{hw}{n}", digits, Num(i.mean))
        }
    }
}

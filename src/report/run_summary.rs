//! The per-layer summary of a run without a rollout (`rollsim run`): requests, success
//! ratio, latency percentiles, utilisation, instances and failures by cause; after its
//! header, any warning about the whole run (rollouts it ended too soon for).
//!
//! # JSON fields per layer
//! Besides counts, instances and failures: `latency_mean_ms`, `latency_p50_ms`,
//! `latency_p90_ms`, `latency_p99_ms`, `latency_p999_ms` (successful calls as their
//! callers saw them, retries included; quantiles within 0.1%), and the queueing
//! figures of the layer's instances ([`crate::model::QueueingFigures`]):
//! `queueing_delay_mean_ms` (Wq), `wait_probability` (P(wait)), `mean_in_system` (L),
//! `mean_time_in_system_ms` (W) and `throughput_per_s` (λ, attempts arriving at its
//! instances), so that L = λW can be checked from the output.
//!
//! Output depends only on the summary (no wall-clock figures), so the same model and
//! seed print the same bytes.

use crate::stats::Num;
use std::fmt::Write;

use crate::engine::SimDuration;
use crate::model::{FailureCause, LayerSummary, WorldSummary};

/// The summary as a text table.
pub fn render_text(summary: &WorldSummary) -> String {
    render_text_with(summary, None)
}

/// The summary as a text table, with `notice` (a warning about the whole run, such as
/// rollouts it ended too soon for) between its one-line header and the tables.
pub fn render_text_with(summary: &WorldSummary, notice: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} simulated, seed {}, {}, {} events, at most {} requests on instances at once",
        summary.name,
        summary.elapsed,
        summary.seed,
        fidelity_words(summary.sampling_step),
        summary.events,
        summary.jobs_peak
    );
    let _ = writeln!(out);
    if let Some(notice) = notice {
        let _ = writeln!(out, "{}", notice.trim_end());
        let _ = writeln!(out);
    }
    out.push_str(&super::table::render(&layer_rows(summary)));
    let failing: Vec<&LayerSummary> = summary
        .layers
        .iter()
        .filter(|l| l.calls.failed_total() > 0)
        .collect();
    if failing.is_empty() {
        let _ = writeln!(out, "\nNo request failed.");
    } else {
        let _ = writeln!(out, "\nFailed requests by cause (as the callers saw them):");
        let mut rows = vec![
            std::iter::once("layer".to_string())
                .chain(FailureCause::ALL.iter().map(|c| c.name().to_string()))
                .collect::<Vec<_>>(),
        ];
        for layer in failing {
            rows.push(
                std::iter::once(layer.name.clone())
                    .chain(layer.calls.failed.iter().map(|n| n.to_string()))
                    .collect(),
            );
        }
        out.push_str(&super::table::render(&rows));
    }
    let _ = writeln!(
        out,
        "\nrequests: calls made to the layer by its callers (users for the entry layer); success \
         and latency include retries; p50/p99 over successful requests; util: busy workers ÷ \
         workers of serving instances; instances: alive (launching to draining) start→end (min–max); \
         crashed: killed, lost with a zone or failed to boot; launched: after the start."
    );
    out
}

/// The per-layer table: a header row, then one row per layer.
pub(crate) fn layer_rows(summary: &WorldSummary) -> Vec<Vec<String>> {
    let header = [
        "layer",
        "requests",
        "success",
        "p50",
        "p99",
        "retries",
        "util",
        "instances",
        "crashed",
        "launched",
        "inst-h",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for layer in &summary.layers {
        rows.push(vec![
            layer.name.clone(),
            layer.calls.issued.to_string(),
            format!("{:.3}%", Num(100.0 * layer.success_ratio())),
            latency(layer, 0.50),
            latency(layer, 0.99),
            layer.calls.retries.to_string(),
            format!("{:.1}%", Num(100.0 * layer.utilisation)),
            format!(
                "{}→{} ({}–{})",
                layer.instances_start,
                layer.instances_end,
                layer.instances_min,
                layer.instances_max
            ),
            layer.crashed.to_string(),
            layer.launched.to_string(),
            format!("{:.1}", Num(layer.instance_hours)),
        ]);
    }
    rows
}

/// The summary as JSON text.
pub fn render_json(summary: &WorldSummary) -> String {
    super::json_text(to_json(summary)) + "\n"
}

/// The summary as a JSON value.
pub fn to_json(summary: &WorldSummary) -> serde_json::Value {
    let layers: Vec<serde_json::Value> = summary
        .layers
        .iter()
        .map(|l| {
            let failed: serde_json::Map<String, serde_json::Value> = FailureCause::ALL
                .iter()
                .map(|c| (c.name().to_string(), l.calls.failed[c.index()].into()))
                .collect();
            let mut value = serde_json::json!({
                "layer": l.name,
                "requests": l.calls.issued,
                "succeeded": l.calls.succeeded,
                "failed": failed,
                "in_flight": l.calls.in_flight,
                "retries": l.calls.retries,
                "success_ratio": l.success_ratio(),
                "latency_p50_ms": l.latency.quantile(0.5).map(SimDuration::as_millis_f64),
                "latency_p90_ms": l.latency.quantile(0.9).map(SimDuration::as_millis_f64),
                "latency_p99_ms": l.latency.quantile(0.99).map(SimDuration::as_millis_f64),
                "latency_p999_ms": l.latency.quantile(0.999).map(SimDuration::as_millis_f64),
                "attempts": l.attempts.arrived,
                "utilisation": l.utilisation,
                "instances_start": l.instances_start,
                "instances_min": l.instances_min,
                "instances_max": l.instances_max,
                "instances_end": l.instances_end,
                "instance_hours": l.instance_hours,
                "instances_crashed": l.crashed,
                "instances_launched": l.launched,
            });
            for (name, _, figure) in l.queueing().named() {
                value[name] = figure.into();
            }
            value
        })
        .collect();
    serde_json::json!({
        "model": summary.name,
        "seed": summary.seed,
        "simulated_seconds": summary.elapsed.as_secs_f64(),
        "fidelity": if summary.sampling_step > 1 { "fast" } else { "exact" },
        "sampling_step": summary.sampling_step,
        "events": summary.events,
        "layers": layers,
    })
}

/// How the run simulated requests, in words.
pub fn fidelity_words(sampling_step: u32) -> String {
    if sampling_step > 1 {
        format!("fast mode (each simulated request stands for {sampling_step})")
    } else {
        "request level".to_string()
    }
}

fn latency(layer: &LayerSummary, q: f64) -> String {
    layer.latency.quantile(q).map_or_else(
        || "-".to_string(),
        |d| format!("{:.1}ms", d.as_millis_f64()),
    )
}

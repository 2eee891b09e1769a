//! The rollout report: every metric of DESIGN.md §2 per rolled layer, and the timeline
//! of the controller's decisions; as text and as JSON (field names as in DESIGN.md §2;
//! durations in seconds, latencies in milliseconds, as the JSON's `units` says).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::engine::{SimDuration, SimTime};
use crate::rehearsal::metrics::RolloutMetrics;
use crate::rollout::RolloutRecord;

/// The report of one rollout as text.
pub fn render_text(record: &RolloutRecord, metrics: &RolloutMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rollout of {} by {} (v{} → v{}): {}",
        record.layer,
        record.strategy,
        record.old_version,
        record.new_version,
        metrics.outcome.name()
    );
    let rows: Vec<(&str, String)> = vec![
        (
            "peak_instances_ratio",
            format!("{:.2}", metrics.peak_instances_ratio),
        ),
        (
            "extra_instance_hours",
            format!("{:.2}", metrics.extra_instance_hours),
        ),
        (
            "extra_cost",
            metrics.extra_cost.map_or_else(
                || "- (no instance_hour_price)".into(),
                |c| format!("{c:.2}"),
            ),
        ),
        (
            "min_serving_ratio",
            format!("{:.2}", metrics.min_serving_ratio),
        ),
        ("switch_latency", duration(metrics.switch_latency)),
        ("switch_latency_full", duration(metrics.switch_latency_full)),
        ("rollout_duration", duration(metrics.rollout_duration)),
        ("detection_time", duration(metrics.detection_time)),
        ("restore_time", duration(metrics.restore_time)),
        ("failed_requests", metrics.failed_requests.to_string()),
        (
            "bad_version_requests",
            metrics.bad_version_requests.to_string(),
        ),
        (
            "rollback_path",
            metrics
                .rollback_path
                .map_or_else(|| "-".into(), |p| p.name().into()),
        ),
        (
            "downstream_rate_ratio",
            metrics
                .downstream_rate_ratio
                .map_or_else(|| "-".into(), |r| format!("{r:.2}")),
        ),
        (
            "availability",
            format!("{:.4}%", 100.0 * metrics.availability),
        ),
        ("latency_p50", duration(metrics.latency_p50)),
        ("latency_p99", duration(metrics.latency_p99)),
        ("latency_p999", duration(metrics.latency_p999)),
        (
            "minutes_in_slo_breach",
            metrics.minutes_in_slo_breach.to_string(),
        ),
    ];
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        let _ = writeln!(out, "  {key:<width$}  {value}");
    }
    let _ = writeln!(out, "\nTimeline:");
    for (at, text) in &record.timeline {
        let _ = writeln!(out, "  {}  {text}", clock(*at));
    }
    out
}

/// The report of one rollout as a JSON value.
pub fn to_json(record: &RolloutRecord, metrics: &RolloutMetrics) -> Value {
    let secs = |d: Option<SimDuration>| d.map(SimDuration::as_secs_f64);
    let ms = |d: Option<SimDuration>| d.map(SimDuration::as_millis_f64);
    json!({
        "layer": record.layer,
        "strategy": record.strategy.name(),
        "old_version": record.old_version,
        "new_version": record.new_version,
        "outcome": metrics.outcome.name(),
        "peak_instances_ratio": metrics.peak_instances_ratio,
        "extra_instance_hours": metrics.extra_instance_hours,
        "extra_cost": metrics.extra_cost,
        "min_serving_ratio": metrics.min_serving_ratio,
        "switch_latency": secs(metrics.switch_latency),
        "switch_latency_full": secs(metrics.switch_latency_full),
        "rollout_duration": secs(metrics.rollout_duration),
        "detection_time": secs(metrics.detection_time),
        "restore_time": secs(metrics.restore_time),
        "failed_requests": metrics.failed_requests,
        "bad_version_requests": metrics.bad_version_requests,
        "rollback_path": metrics.rollback_path.map(|p| p.name()),
        "downstream_rate_ratio": metrics.downstream_rate_ratio,
        "availability": metrics.availability,
        "latency_p50_ms": ms(metrics.latency_p50),
        "latency_p99_ms": ms(metrics.latency_p99),
        "latency_p999_ms": ms(metrics.latency_p999),
        "minutes_in_slo_breach": metrics.minutes_in_slo_breach,
        "units": {"durations": "seconds", "latencies": "milliseconds", "instance_hours": "hours"},
        "timeline": record.timeline.iter().map(|(t, text)| json!({"at_s": t.as_secs_f64(), "at": clock(*t), "decision": text})).collect::<Vec<_>>(),
    })
}

fn duration(d: Option<SimDuration>) -> String {
    d.map_or_else(
        || "-".into(),
        |d| {
            if d >= SimDuration::from_secs(1) {
                format!("{:.1}s", d.as_secs_f64())
            } else {
                format!("{:.1}ms", d.as_millis_f64())
            }
        },
    )
}

/// "01:02:03" from the start of the run.
pub fn clock(t: SimTime) -> String {
    let s = t.as_nanos() / 1_000_000_000;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

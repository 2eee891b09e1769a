//! The rollout report: every metric of DESIGN.md §2 per rolled layer, and the timeline
//! of the controller's decisions; as text and as JSON (the metrics' own JSON,
//! [`RolloutJson`], with the timeline). When the run ended before a rollout finished, a
//! notice for the top of the report says so, with the time it still needed and the
//! `--set duration=` that lets it finish.

use crate::stats::Num;
use std::fmt::Write;

use serde_json::{Value, json};

use crate::engine::{SimDuration, SimTime};
use crate::metrics::RolloutMetrics;
use crate::metrics::json::RolloutJson;
use crate::rollout::{RolloutRecord, TimeLeft};

/// The report of one rollout as text.
pub fn render_text(record: &RolloutRecord, metrics: &RolloutMetrics) -> String {
    let mut out = title(record, metrics);
    out.push('\n');
    let rows = metric_rows(metrics);
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        let _ = writeln!(out, "  {key:<width$}  {value}");
    }
    let _ = writeln!(out, "\nTimeline:");
    for (at, text) in &record.timeline {
        let _ = writeln!(out, "  {}  {text}", clock((*at).into()));
    }
    out
}

/// "Rollout of middle by red-black (v0 → v1): promoted".
pub(crate) fn title(record: &RolloutRecord, metrics: &RolloutMetrics) -> String {
    format!(
        "Rollout of {} by {} (v{} → v{}): {}",
        record.layer,
        record.strategy,
        record.old_version,
        record.new_version,
        metrics.outcome.name()
    )
}

/// The metrics of DESIGN.md §2 as (name, value in words) rows, in report order.
pub(crate) fn metric_rows(metrics: &RolloutMetrics) -> Vec<(&'static str, String)> {
    vec![
        (
            "peak_instances_ratio",
            format!("{:.2}", Num(metrics.peak_instances_ratio)),
        ),
        (
            "extra_instance_hours",
            format!("{:.2}", Num(metrics.extra_instance_hours)),
        ),
        (
            "extra_cost",
            metrics.extra_cost.map_or_else(
                || "- (no instance_hour_price)".into(),
                |c| format!("{:.2}", Num(c)),
            ),
        ),
        (
            "min_serving_ratio",
            format!("{:.2}", Num(metrics.min_serving_ratio)),
        ),
        ("switch_latency", duration(metrics.switch_latency)),
        ("switch_latency_full", duration(metrics.switch_latency_full)),
        ("rollout_duration", duration(metrics.rollout_duration)),
        ("detection_time", duration(metrics.detection_time)),
        ("restore_time", duration(metrics.restore_time)),
        (
            "failed_requests (vs baseline)",
            format!(
                "{}        (above the run without rollouts, same seed; negative: fewer)",
                metrics.failed_requests
            ),
        ),
        if metrics.release_defective {
            (
                "bad_version_requests",
                metrics.new_version_requests.to_string(),
            )
        } else {
            (
                "new_version_requests",
                metrics.new_version_requests.to_string(),
            )
        },
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
                .map_or_else(|| "-".into(), |r| format!("{:.2}", Num(r))),
        ),
        (
            "availability",
            format!("{:.4}%", Num(100.0 * metrics.availability)),
        ),
        ("latency_p50", duration(metrics.latency_p50)),
        ("latency_p99", duration(metrics.latency_p99)),
        ("latency_p999", duration(metrics.latency_p999)),
        (
            "minutes_in_slo_breach",
            metrics.minutes_in_slo_breach.to_string(),
        ),
    ]
}

/// The report of one rollout as a JSON value: its metrics' JSON ([`RolloutJson`]) and
/// the controller's timeline.
pub fn to_json(record: &RolloutRecord, metrics: &RolloutMetrics) -> Value {
    let mut value = RolloutJson::new(record, metrics).to_value();
    value["timeline"] = record
        .timeline
        .iter()
        .map(|(t, text)| json!({"at_s": t.as_secs_f64(), "at": clock((*t).into()), "decision": text}))
        .collect();
    value
}

/// The rollouts of `records` that had not finished at `end`, with what each still
/// needed (`time_left`, in the same order).
fn unfinished<'a>(
    records: &'a [RolloutRecord],
    time_left: &'a [Option<TimeLeft>],
) -> Vec<(&'a RolloutRecord, TimeLeft)> {
    records
        .iter()
        .zip(time_left)
        .filter_map(|(record, left)| left.map(|left| (record, left)))
        .collect()
}

/// The run length that lets every unfinished rollout finish if nothing fails: `end`
/// plus the longest upper bound, in whole minutes (as `--set duration=` takes it).
fn duration_to_finish(end: SimTime, left: &[(&RolloutRecord, TimeLeft)]) -> Option<String> {
    let most = left.iter().map(|(_, l)| l.at_most).max()?;
    let nanos = (end.since_start() + most).as_nanos();
    let minute = SimDuration::from_mins(1).as_nanos();
    Some(format!("{}m", nanos.div_ceil(minute).max(1)))
}

/// "needs 3m10s more" when the time left is known, else its bounds.
fn time_left_words(left: &TimeLeft) -> String {
    if left.at_least == left.at_most {
        format!("needs {} more", left.at_least)
    } else {
        format!(
            "needs at least {} more (its waits left), at most {} (every launch taking its \
             whole deadline)",
            left.at_least, left.at_most
        )
    }
}

/// The notice for the top of a report when the run ended (at `end`) before some
/// rollouts finished; `None` when every one did.
pub fn unfinished_notice(
    records: &[RolloutRecord],
    time_left: &[Option<TimeLeft>],
    end: SimTime,
) -> Option<String> {
    let left = unfinished(records, time_left);
    let set = duration_to_finish(end, &left)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "NOT FINISHED: the run ended at {}, before {} of {} rollouts finished; their \
         metrics cover only the part that ran.",
        clock(end),
        left.len(),
        records.len()
    );
    for (record, l) in &left {
        let _ = writeln!(
            out,
            "  {} ({}{}): {}; if nothing fails, it {}",
            record.layer,
            record.strategy,
            record
                .started_at
                .map_or_else(String::new, |t| format!(", began {}", clock(t.into()))),
            l.doing,
            time_left_words(l)
        );
    }
    let _ = writeln!(out, "  To let it finish: --set duration={set}");
    Some(out)
}

/// The unfinished rollouts as a JSON value (`null` when every one finished).
pub fn unfinished_to_json(
    records: &[RolloutRecord],
    time_left: &[Option<TimeLeft>],
    end: SimTime,
) -> Value {
    let left = unfinished(records, time_left);
    let Some(set) = duration_to_finish(end, &left) else {
        return Value::Null;
    };
    json!({
        "ended_at_s": end.as_secs_f64(),
        "rollouts": left.iter().map(|(record, l)| json!({
            "layer": record.layer,
            "strategy": record.strategy.name(),
            "doing": l.doing,
            "time_left_at_least_s": l.at_least.as_secs_f64(),
            "time_left_at_most_s": l.at_most.as_secs_f64(),
        })).collect::<Vec<_>>(),
        "set_duration": set,
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

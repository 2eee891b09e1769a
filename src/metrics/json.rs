//! The JSON of rollout metrics, written and read through typed structs:
//! [`RolloutJson`], one rollout, is an entry of `rollouts` in `run --json` (where the
//! report adds the controller's timeline) and in every sweep result line
//! ([`ResultLine`]: one run of a sweep, read back by the sweep summaries). Field names
//! are those of DESIGN.md §2; durations are in seconds, latencies in milliseconds, as
//! `units` says.
//!
//! A result line carries its sweep's [`SweepStamp`] (fingerprint, point count, seeds),
//! which `merge`, `summarize` and `--resume` check before using it.
//!
//! Keys come out in sorted order wherever the value goes through
//! [`serde_json::Value`], whose map keeps them sorted: every results file written so far
//! has them so.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::engine::SimDuration;
use crate::rollout::RolloutRecord;

use super::RolloutMetrics;

/// One rollout as JSON: its record's layer, strategy and versions, and its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RolloutJson {
    /// The rolled layer.
    pub(crate) layer: String,
    /// The strategy's name.
    pub(crate) strategy: String,
    /// The version replaced.
    pub(crate) old_version: u32,
    /// The version rolled out.
    pub(crate) new_version: u32,
    /// How it ended ("promoted", "rolled back", "in progress").
    pub(crate) outcome: String,
    /// See [`RolloutMetrics`].
    pub(crate) peak_instances_ratio: f64,
    /// See [`RolloutMetrics`].
    pub(crate) extra_instance_hours: f64,
    /// See [`RolloutMetrics`].
    pub(crate) extra_cost: Option<f64>,
    /// See [`RolloutMetrics`].
    pub(crate) min_serving_ratio: f64,
    /// In seconds.
    pub(crate) switch_latency: Option<f64>,
    /// In seconds.
    pub(crate) switch_latency_full: Option<f64>,
    /// In seconds.
    pub(crate) rollout_duration: Option<f64>,
    /// In seconds.
    pub(crate) detection_time: Option<f64>,
    /// In seconds.
    pub(crate) restore_time: Option<f64>,
    /// See [`RolloutMetrics`].
    pub(crate) failed_requests: i64,
    /// Requests the new version served, for a healthy release (absent for a defective
    /// one, which has `bad_version_requests` instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) new_version_requests: Option<u64>,
    /// Requests the bad version served, for a defective release (`null` for a healthy
    /// one, which has `new_version_requests` instead: every field of DESIGN.md §2 is
    /// present).
    pub(crate) bad_version_requests: Option<u64>,
    /// How traffic got back, in words (a rollback only).
    pub(crate) rollback_path: Option<String>,
    /// See [`RolloutMetrics`].
    pub(crate) downstream_rate_ratio: Option<f64>,
    /// See [`RolloutMetrics`].
    pub(crate) availability: f64,
    /// In milliseconds.
    pub(crate) latency_p50_ms: Option<f64>,
    /// In milliseconds.
    pub(crate) latency_p99_ms: Option<f64>,
    /// In milliseconds.
    pub(crate) latency_p999_ms: Option<f64>,
    /// See [`RolloutMetrics`].
    pub(crate) minutes_in_slo_breach: u32,
    /// The units of the figures above.
    #[serde(default)]
    pub(crate) units: Units,
}

/// The units of a [`RolloutJson`]'s figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Units {
    /// Of durations.
    pub(crate) durations: String,
    /// Of latencies.
    pub(crate) latencies: String,
    /// Of instance-hours.
    pub(crate) instance_hours: String,
}

impl Default for Units {
    fn default() -> Units {
        Units {
            durations: "seconds".into(),
            latencies: "milliseconds".into(),
            instance_hours: "hours".into(),
        }
    }
}

impl RolloutJson {
    /// `record`'s rollout with its `metrics`.
    pub(crate) fn new(record: &RolloutRecord, metrics: &RolloutMetrics) -> RolloutJson {
        let secs = |d: Option<SimDuration>| d.map(SimDuration::as_secs_f64);
        let ms = |d: Option<SimDuration>| d.map(SimDuration::as_millis_f64);
        RolloutJson {
            layer: record.layer.clone(),
            strategy: record.strategy.name().into(),
            old_version: record.old_version,
            new_version: record.new_version,
            outcome: metrics.outcome.name().into(),
            peak_instances_ratio: metrics.peak_instances_ratio,
            extra_instance_hours: metrics.extra_instance_hours,
            extra_cost: metrics.extra_cost,
            min_serving_ratio: metrics.min_serving_ratio,
            switch_latency: secs(metrics.switch_latency),
            switch_latency_full: secs(metrics.switch_latency_full),
            rollout_duration: secs(metrics.rollout_duration),
            detection_time: secs(metrics.detection_time),
            restore_time: secs(metrics.restore_time),
            failed_requests: metrics.failed_requests,
            new_version_requests: metrics.healthy_version_requests(),
            bad_version_requests: metrics.bad_version_requests(),
            rollback_path: metrics.rollback_path.map(|p| p.name().into()),
            downstream_rate_ratio: metrics.downstream_rate_ratio,
            availability: metrics.availability,
            latency_p50_ms: ms(metrics.latency_p50),
            latency_p99_ms: ms(metrics.latency_p99),
            latency_p999_ms: ms(metrics.latency_p999),
            minutes_in_slo_breach: metrics.minutes_in_slo_breach,
            units: Units::default(),
        }
    }

    /// As a JSON value (keys sorted).
    pub(crate) fn to_value(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("a rollout's JSON always serializes");
        crate::stats::without_negative_zero(&mut value);
        value
    }

    /// Every numeric metric by its JSON name, `None` where the run has none (e.g. a
    /// restore time without a rollback): what a sweep summary averages over seeds.
    pub(crate) fn numbers(&self) -> [(&'static str, Option<f64>); 18] {
        [
            ("availability", Some(self.availability)),
            (
                "bad_version_requests",
                self.bad_version_requests.map(|n| n as f64),
            ),
            ("detection_time", self.detection_time),
            ("downstream_rate_ratio", self.downstream_rate_ratio),
            ("extra_cost", self.extra_cost),
            ("extra_instance_hours", Some(self.extra_instance_hours)),
            ("failed_requests", Some(self.failed_requests as f64)),
            ("latency_p50_ms", self.latency_p50_ms),
            ("latency_p999_ms", self.latency_p999_ms),
            ("latency_p99_ms", self.latency_p99_ms),
            ("min_serving_ratio", Some(self.min_serving_ratio)),
            (
                "minutes_in_slo_breach",
                Some(f64::from(self.minutes_in_slo_breach)),
            ),
            (
                "new_version_requests",
                self.new_version_requests.map(|n| n as f64),
            ),
            ("peak_instances_ratio", Some(self.peak_instances_ratio)),
            ("restore_time", self.restore_time),
            ("rollout_duration", self.rollout_duration),
            ("switch_latency", self.switch_latency),
            ("switch_latency_full", self.switch_latency_full),
        ]
    }
}

/// A sweep run's result: one line of a results file, with the run's point, seed and
/// overrides and each rollout's metrics; written by the sweep (`plan::sweep`) and read
/// back by its summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResultLine {
    /// Index of the point.
    pub(crate) point: usize,
    /// The seed.
    pub(crate) seed: u64,
    /// The point's overrides, by path, as JSON.
    #[serde(default)]
    pub(crate) overrides: BTreeMap<String, Json>,
    /// Each rollout of the model, in model-file order.
    pub(crate) rollouts: Vec<RolloutJson>,
    /// `"fast"` for a run simulated in fast mode; absent at request level (so
    /// request-level lines stay as they were before fast mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fidelity: Option<String>,
    /// Real requests each simulated one stood for, in fast mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sampling_step: Option<u32>,
    /// What the releases did, for a model with a release calendar (whose lines have no
    /// per-rollout `rollouts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) week: Option<super::WeekMetrics>,
    /// Which sweep the run belongs to; absent only in lines written before sweeps were
    /// fingerprinted (see `plan::fingerprint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sweep: Option<SweepStamp>,
}

/// The sweep a result line belongs to: its fingerprint and what it is made of, so a
/// merge can say how two sweeps differ and which runs are missing. Computed by
/// `plan::fingerprint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepStamp {
    /// The sweep's identity (16 hex digits): a hash of every field below.
    pub(crate) fingerprint: String,
    /// A hash of the model's content (its TOML as data: comments and layout do not count).
    pub(crate) model: String,
    /// A hash of the experiment's `set`, `grid` and `points`.
    pub(crate) grid: String,
    /// How many points the sweep has.
    pub(crate) points: usize,
    /// Seeds per point.
    pub(crate) runs: usize,
    /// The first seed of every point.
    pub(crate) first_seed: u64,
}

impl ResultLine {
    /// The line as written in a results file (without its newline): keys sorted, as
    /// through [`serde_json::Value`], so every results file has the same bytes.
    pub(crate) fn to_line(&self) -> String {
        let mut value = serde_json::to_value(self).expect("a result line always serializes");
        crate::stats::without_negative_zero(&mut value);
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summaries_read_every_numeric_field_but_the_versions() {
        let all = RolloutJson {
            layer: "api".into(),
            strategy: "rolling".into(),
            old_version: 0,
            new_version: 1,
            outcome: "rolled back".into(),
            peak_instances_ratio: 1.25,
            extra_instance_hours: 0.5,
            extra_cost: Some(0.05),
            min_serving_ratio: 0.75,
            switch_latency: Some(1.0),
            switch_latency_full: Some(2.0),
            rollout_duration: Some(300.0),
            detection_time: Some(60.0),
            restore_time: Some(3.0),
            failed_requests: -2,
            new_version_requests: Some(500),
            bad_version_requests: Some(500),
            rollback_path: Some("rolled back batch by batch".into()),
            downstream_rate_ratio: Some(1.5),
            availability: 0.999,
            latency_p50_ms: Some(20.0),
            latency_p99_ms: Some(60.0),
            latency_p999_ms: Some(90.0),
            minutes_in_slo_breach: 1,
            units: Units::default(),
        };
        let value = all.to_value();
        let numeric: Vec<&str> = value
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, v)| v.is_number() && !name.ends_with("_version"))
            .map(|(name, _)| name.as_str())
            .collect();
        let read: Vec<&str> = all.numbers().iter().map(|(name, _)| *name).collect();
        assert_eq!(read, numeric, "in the JSON's (sorted) order");
        assert!(all.numbers().iter().all(|(_, v)| v.is_some()));
        let back: RolloutJson = serde_json::from_value(value).unwrap();
        assert_eq!(back, all);
    }

    /// A promoted rolling rollout's JSON, without its requests by release.
    fn healthy_rolling_rollout() -> serde_json::Value {
        serde_json::json!({
            "layer": "api", "strategy": "rolling", "old_version": 0, "new_version": 1,
            "outcome": "promoted", "peak_instances_ratio": 1.25,
            "extra_instance_hours": 0.5, "extra_cost": null, "min_serving_ratio": 1.0,
            "switch_latency": null, "switch_latency_full": null,
            "rollout_duration": 300.0, "detection_time": null, "restore_time": null,
            "failed_requests": 0, "rollback_path": null, "downstream_rate_ratio": null,
            "availability": 1.0, "latency_p50_ms": null, "latency_p99_ms": null,
            "latency_p999_ms": null, "minutes_in_slo_breach": 0
        })
    }

    #[test]
    fn every_metric_the_summaries_read_has_a_scale() {
        let mut value = healthy_rolling_rollout();
        value["bad_version_requests"] = serde_json::Value::Null;
        let rollout: RolloutJson = serde_json::from_value(value).unwrap();
        for (name, _) in rollout.numbers() {
            assert!(super::super::scale_of(name).is_some(), "{name}");
        }
        assert_eq!(
            super::super::scale_of("rolled_back"),
            Some(crate::stats::Scale::Outcome)
        );
        assert_eq!(super::super::scale_of("seed"), None);
    }

    #[test]
    fn the_new_versions_requests_are_named_by_the_release() {
        let line = |new: Option<u64>, bad: Option<u64>| {
            let mut value = healthy_rolling_rollout();
            value["new_version_requests"] = serde_json::json!(new);
            value["bad_version_requests"] = serde_json::json!(bad);
            let rollout: RolloutJson = serde_json::from_value(value).unwrap();
            rollout.to_value()
        };
        let healthy = line(Some(500), None);
        assert_eq!(healthy["new_version_requests"], 500);
        assert_eq!(healthy["bad_version_requests"], Json::Null, "{healthy}");
        let defective = line(None, Some(70));
        assert_eq!(defective["bad_version_requests"], 70);
        assert!(
            defective.get("new_version_requests").is_none(),
            "{defective}"
        );
    }
}

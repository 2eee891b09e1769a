//! What a driver measured of a rollout, before it becomes [`RolloutMetrics`]: the
//! instance counts, the traffic's timings ([`Timings`]) and the entry layer's service,
//! tallied minute by minute against the SLO. The simulator and the live mode fill the same
//! [`Measured`], so both reports mean the same thing.

use crate::rollout::RolloutRecord;
use crate::stats::LatencyHistogram;

use super::{RolloutMetrics, Slo, Timings};

/// The entry layer's service over a rollout, minute by minute (the SLO view).
#[derive(Debug, Default)]
pub(crate) struct SloTally {
    succeeded: u64,
    resolved: u64,
    latency: LatencyHistogram,
    breach_minutes: u32,
}

impl SloTally {
    /// Adds a minute: `ok` of `all` requests succeeded, with `latency`.
    pub(crate) fn add_minute(&mut self, ok: u64, all: u64, latency: &LatencyHistogram, slo: Slo) {
        let available = if all == 0 {
            1.0
        } else {
            ok as f64 / all as f64
        };
        let slow = latency
            .quantile(0.99)
            .is_some_and(|p99| p99 > slo.latency_p99);
        if available < slo.availability || slow {
            self.breach_minutes += 1;
        }
        self.succeeded += ok;
        self.resolved += all;
        self.latency.merge(latency);
    }

    /// Minutes added that missed the SLO.
    pub(crate) fn breach_minutes(&self) -> u32 {
        self.breach_minutes
    }
}

/// What a driver measured of a rollout (the simulator's, or the live one), before it
/// becomes [`RolloutMetrics`].
#[derive(Debug)]
pub(crate) struct Measured {
    /// Most instances alive during the rollout.
    pub(crate) peak: u32,
    /// Instances alive just before it.
    pub(crate) before: u32,
    /// Instances serving (warming or in service) just before it.
    pub(crate) serving_before: u32,
    /// Fewest instances serving during it.
    pub(crate) min_serving: u32,
    /// Instance-hours above `before` over its length.
    pub(crate) extra_hours: f64,
    /// Switch, detection and restore times.
    pub(crate) timings: Timings,
    /// See [`RolloutMetrics`].
    pub(crate) failed_requests: i64,
    /// See [`RolloutMetrics`].
    pub(crate) new_version_requests: u64,
    /// See [`RolloutMetrics`].
    pub(crate) release_defective: bool,
    /// See [`RolloutMetrics`].
    pub(crate) downstream_rate_ratio: Option<f64>,
    /// The entry layer's service minute by minute.
    pub(crate) service: SloTally,
}

impl Measured {
    /// The metrics, with the record's times and outcome and the SLO's price.
    pub(crate) fn into_metrics(self, record: &RolloutRecord, slo: Slo) -> RolloutMetrics {
        let base = f64::from(self.before.max(1));
        let service = self.service;
        RolloutMetrics {
            layer: record.layer.clone(),
            outcome: record.outcome,
            peak_instances_ratio: f64::from(self.peak) / base,
            extra_instance_hours: self.extra_hours,
            extra_cost: slo
                .instance_hour_price
                .map(|price| price * self.extra_hours),
            // The rollout's span includes its start, when `serving_before` served: the
            // minimum over it is at most that (DESIGN.md §2), whatever the samples after.
            min_serving_ratio: f64::from(self.min_serving.min(self.serving_before))
                / f64::from(self.serving_before.max(1)),
            switch_latency: self.timings.switch_latency,
            switch_latency_full: self.timings.switch_latency_full,
            rollout_duration: record
                .finished_at
                .zip(record.started_at)
                .map(|(f, s)| f.saturating_since(s)),
            detection_time: self.timings.detection_time,
            restore_time: self.timings.restore_time,
            failed_requests: self.failed_requests,
            new_version_requests: self.new_version_requests,
            release_defective: self.release_defective,
            rollback_path: record.rollback_path,
            downstream_rate_ratio: self.downstream_rate_ratio,
            availability: if service.resolved == 0 {
                1.0
            } else {
                service.succeeded as f64 / service.resolved as f64
            },
            latency_p50: service.latency.quantile(0.5),
            latency_p99: service.latency.quantile(0.99),
            latency_p999: service.latency.quantile(0.999),
            minutes_in_slo_breach: service.breach_minutes,
        }
    }
}

//! The week metrics ([`WeekMetrics`]) of a rehearsal with a release calendar, measured
//! from what lasts a whole run: the controllers' records, the entry layer's series
//! (kept whole, see [`Retention`](crate::model::observe::Retention)) and the world's
//! totals, against a baseline run of the same model and seed without rollouts.
//!
//! A rollout "decides" from its start until it is promoted (its timeline's
//! `promoted` note) or aborted; two rollouts overlap when those stretches intersect.

use crate::metrics::{Slo, SloTally, WeekMetrics};
use crate::model::World;
use crate::model::observe::LayerSeries;
use crate::rollout::{Instant, Outcome, RolloutRecord};
use crate::scenario::Scenario;
use crate::stats::LatencyHistogram;

use super::Rehearsal;
use super::policy::Gate;

impl Rehearsal {
    /// The week metrics of this rehearsal of `scenario`, against `baseline` (the same
    /// model and seed without rollouts, run to the same end).
    pub(crate) fn week_metrics(
        &mut self,
        scenario: &Scenario,
        baseline: &mut World,
        slo: Slo,
    ) -> WeekMetrics {
        let end: Instant = self.world.now().into();
        let own = scenario.rollouts.len();
        let defective: Vec<bool> = self
            .records
            .iter()
            .map(|r| {
                let layer = self.world.layer_id(&r.layer).expect("the record's layer");
                !self.world.release_is_healthy(layer, r.new_version)
            })
            .collect();
        let mut m = WeekMetrics {
            releases: self.releases.len() as u32,
            rollouts: self.records.len() as u32,
            ..WeekMetrics::default()
        };
        let mut waits = Vec::new();
        for (k, (record, bad)) in self.records.iter().zip(&defective).enumerate() {
            m.defective += u32::from(*bad);
            match record.outcome {
                Outcome::Promoted => {
                    m.promoted += 1;
                    m.escaped += u32::from(*bad);
                }
                Outcome::RolledBack => {
                    m.rolled_back += 1;
                    m.caught += u32::from(*bad);
                    m.false_alarms += u32::from(!*bad);
                }
                Outcome::InProgress => {}
            }
            if decided_at(record).is_none() {
                m.undecided += 1;
            }
            if let Some(started) = record.started_at {
                m.started += 1;
                let due = match k.checked_sub(own) {
                    Some(i) => self.releases[i].due,
                    None => scenario.rollouts[k].start,
                };
                let started = started.since_start();
                waits.push(started.saturating_sub(due).as_secs_f64() / 60.0);
            }
        }
        if !waits.is_empty() {
            m.wait_minutes_mean = waits.iter().sum::<f64>() / waits.len() as f64;
            m.wait_minutes_max = waits.iter().copied().fold(0.0, f64::max);
        }
        let gate = Gate::new(scenario, &self.world);
        for (i, a) in self.records.iter().enumerate() {
            for (j, b) in self.records.iter().enumerate().skip(i + 1) {
                let (Some(la), Some(lb)) =
                    (self.world.layer_id(&a.layer), self.world.layer_id(&b.layer))
                else {
                    continue;
                };
                if gate.dependent(la, lb) && overlap(a, b, end) {
                    m.dependent_overlaps += 1;
                    m.overlap_incidents += u32::from(defective[i] || defective[j]);
                }
            }
        }
        let entry = &self.world.observations().layers[0];
        let base_entry = &baseline.observations().layers[0];
        m.failed_requests = failed(entry);
        m.extra_failed_requests = m.failed_requests as i64 - failed(base_entry) as i64;
        m.minutes_in_slo_breach = breach_minutes(entry, slo);
        m.extra_minutes_in_slo_breach =
            i64::from(m.minutes_in_slo_breach) - i64::from(breach_minutes(base_entry, slo));
        let hours = |world: &mut World| -> f64 {
            world
                .summary()
                .layers
                .iter()
                .map(|l| l.instance_hours)
                .sum()
        };
        m.extra_instance_hours = hours(&mut self.world) - hours(baseline);
        m
    }
}

/// When `record`'s rollout stopped deciding: its promotion or its abort.
fn decided_at(record: &RolloutRecord) -> Option<Instant> {
    let promoted = record
        .timeline
        .iter()
        .find(|(_, text)| text.starts_with("promoted"))
        .map(|(at, _)| *at);
    match (promoted, record.aborted_at) {
        (Some(p), Some(a)) => Some(p.min(a)),
        (p, a) => p.or(a),
    }
}

/// Whether two rollouts were deciding at the same time (one not decided by `end`
/// decides until then).
fn overlap(a: &RolloutRecord, b: &RolloutRecord, end: Instant) -> bool {
    let (Some(a_from), Some(b_from)) = (a.started_at, b.started_at) else {
        return false;
    };
    let a_to = decided_at(a).unwrap_or(end);
    let b_to = decided_at(b).unwrap_or(end);
    a_from < b_to && b_from < a_to
}

/// Requests that failed in `series`.
fn failed(series: &LayerSeries) -> u64 {
    series
        .iter()
        .map(|w| w.failed.iter().map(|n| u64::from(*n)).sum::<u64>())
        .sum()
}

/// Minutes of `series` that missed `slo`.
fn breach_minutes(series: &LayerSeries, slo: Slo) -> u32 {
    let mut tally = SloTally::default();
    for minute in (series.first_kept()..series.len()).step_by(60) {
        let (mut ok, mut all) = (0u64, 0u64);
        let mut latency = LatencyHistogram::default();
        for w in (minute..(minute + 60).min(series.len())).filter_map(|s| series.get(s)) {
            ok += u64::from(w.succeeded);
            all += u64::from(w.succeeded) + u64::from(w.failed.iter().sum::<u32>());
            latency.merge(&w.latency);
        }
        tally.add_minute(ok, all, &latency, slo);
    }
    tally.breach_minutes()
}

//! A finished (or paused) run condensed per layer: what `rollsim run` prints, what
//! tests check (conservation, Little's law), and what reports build on.

use crate::engine::{SimDuration, SimTime};
use crate::stats::LatencyHistogram;

use super::observe::{AttemptCounts, CallCounts};
use super::world::World;

/// One layer over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSummary {
    /// The layer's name.
    pub name: String,
    /// Calls made to the layer, seen by its callers.
    pub calls: CallCounts,
    /// Attempts that reached the layer, seen by its instances.
    pub attempts: AttemptCounts,
    /// Latency of successful calls (retries included).
    pub latency: LatencyHistogram,
    /// Busy workers ÷ workers of serving instances, over the run.
    pub utilisation: f64,
    /// Alive instances (launching to draining) at the start.
    pub instances_start: u32,
    /// Fewest alive at a window's end.
    pub instances_min: u32,
    /// Most alive at a window's end.
    pub instances_max: u32,
    /// Alive now.
    pub instances_end: u32,
    /// Instances launched after the start.
    pub launched: u64,
    /// Instances that crashed (killed, lost with a zone, failed to boot).
    pub crashed: u64,
    /// Σ over instances of their time alive (launch to termination), in hours.
    pub instance_hours: f64,
    /// Little's law inputs: time-average attempts on the layer's instances (L).
    pub mean_in_system: f64,
    /// Attempts arriving at instances per second (λ).
    pub arrival_rate_per_second: f64,
    /// Mean time an attempt spends on an instance, in seconds (W).
    pub mean_sojourn_secs: f64,
    /// Mean time an attempt waited in an instance's queue before a worker took it, in
    /// seconds (Wq; 0 if none was taken).
    pub mean_queueing_delay_secs: f64,
    /// Share of the attempts taken by a worker that had to wait first (P(wait); 0 if
    /// none was taken).
    pub wait_probability: f64,
}

/// A layer's queueing figures over a run, in the units `run --json` and `compare --json`
/// print them: what Little's law (L = λW) and Erlang C are checked against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueingFigures {
    /// Mean latency of successful calls, as callers saw it (retries included), in ms.
    pub latency_mean_ms: Option<f64>,
    /// p99 of the same, in ms (within 0.1%).
    pub latency_p99_ms: Option<f64>,
    /// Mean time an attempt waited in an instance's queue before a worker took it (Wq).
    pub queueing_delay_mean_ms: f64,
    /// Share of attempts taken by a worker that waited first (P(wait)).
    pub wait_probability: f64,
    /// Time-average attempts on the layer's instances, queued or served (L).
    pub mean_in_system: f64,
    /// Mean time an attempt spent on an instance (W), in ms.
    pub mean_time_in_system_ms: f64,
    /// Attempts arriving at the layer's instances per second (λ).
    pub throughput_per_s: f64,
}

impl QueueingFigures {
    /// The names and units of [`QueueingFigures::named`], in its order.
    pub const NAMES: [(&'static str, &'static str); 7] = [
        ("latency_mean_ms", "ms"),
        ("latency_p99_ms", "ms"),
        ("queueing_delay_mean_ms", "ms"),
        ("wait_probability", "share"),
        ("mean_in_system", "attempts"),
        ("mean_time_in_system_ms", "ms"),
        ("throughput_per_s", "1/s"),
    ];

    /// Every figure with its name and unit, in report order.
    pub fn named(&self) -> [(&'static str, &'static str, Option<f64>); 7] {
        [
            ("latency_mean_ms", "ms", self.latency_mean_ms),
            ("latency_p99_ms", "ms", self.latency_p99_ms),
            (
                "queueing_delay_mean_ms",
                "ms",
                Some(self.queueing_delay_mean_ms),
            ),
            ("wait_probability", "share", Some(self.wait_probability)),
            ("mean_in_system", "attempts", Some(self.mean_in_system)),
            (
                "mean_time_in_system_ms",
                "ms",
                Some(self.mean_time_in_system_ms),
            ),
            ("throughput_per_s", "1/s", Some(self.throughput_per_s)),
        ]
    }
}

impl LayerSummary {
    /// Its queueing figures.
    pub fn queueing(&self) -> QueueingFigures {
        QueueingFigures {
            latency_mean_ms: self.latency.mean().map(SimDuration::as_millis_f64),
            latency_p99_ms: self.latency.quantile(0.99).map(SimDuration::as_millis_f64),
            queueing_delay_mean_ms: self.mean_queueing_delay_secs * 1e3,
            wait_probability: self.wait_probability,
            mean_in_system: self.mean_in_system,
            mean_time_in_system_ms: self.mean_sojourn_secs * 1e3,
            throughput_per_s: self.arrival_rate_per_second,
        }
    }

    /// Successful calls ÷ resolved calls (1 if none resolved).
    pub fn success_ratio(&self) -> f64 {
        let resolved = self.calls.succeeded + self.calls.failed_total();
        if resolved == 0 {
            1.0
        } else {
            self.calls.succeeded as f64 / resolved as f64
        }
    }
}

/// A run condensed.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSummary {
    /// The model's name.
    pub name: String,
    /// The seed used.
    pub seed: u64,
    /// Virtual time covered.
    pub elapsed: SimDuration,
    /// Events handled.
    pub events: u64,
    /// Most attempts on instances at once.
    pub jobs_peak: usize,
    /// Real requests each simulated one stands for: 1 at request level, more in fast
    /// mode (see [`super::fast`]).
    pub sampling_step: u32,
    /// Per layer, from the entry layer down.
    pub layers: Vec<LayerSummary>,
}

/// What the world holds in memory, by kind: everything but the per-second series is
/// bounded by requests in flight and instances, not by simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// Most calls alive at once (slots of the call arena).
    pub call_slots: usize,
    /// Most attempts on instances at once (slots of the job arena).
    pub job_slots: usize,
    /// Events waiting in the queue now.
    pub pending_events: usize,
    /// Caller timers waiting now, all layers.
    pub pending_timeouts: usize,
    /// Instance records (one per instance ever launched).
    pub instance_records: usize,
    /// Bytes of the per-second series (grows with simulated time, by design).
    pub series_bytes: usize,
}

impl World {
    /// What the world holds in memory now.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            call_slots: self.calls.slots(),
            job_slots: self.jobs.slots(),
            pending_events: self.scheduler.pending(),
            pending_timeouts: self.layers.iter().map(|l| l.timeouts.len()).sum(),
            instance_records: self.instances.len(),
            series_bytes: self.observations.memory_bytes(),
        }
    }

    /// The run so far, per layer.
    pub fn summary(&mut self) -> WorldSummary {
        let now = self.now();
        let elapsed = now - SimTime::ZERO;
        let mut stations = vec![crate::queueing::StationStats::default(); self.layers.len()];
        for id in &self.alive {
            let instance = &mut self.instances[id.index()];
            if instance.phase == super::instance::Phase::Terminated {
                continue;
            }
            let stats = instance.station.stats_at(now);
            let total = &mut stations[instance.layer.index()];
            total.arrivals += stats.arrivals;
            total.area_in_system += stats.area_in_system;
            total.area_busy += stats.area_busy;
        }
        let mut instance_secs = vec![0f64; self.layers.len()];
        for instance in &self.instances {
            instance_secs[instance.layer.index()] += instance.alive_for(now).as_secs_f64();
        }
        let mut alive_now = vec![0u32; self.layers.len()];
        for id in &self.alive {
            let instance = &self.instances[id.index()];
            if instance.phase != super::instance::Phase::Terminated {
                alive_now[instance.layer.index()] += 1;
            }
        }
        let elapsed_ns = elapsed.as_nanos_f64().max(1.0);
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(index, layer)| {
                let gone = &layer.gone_stations;
                let area_in_system = stations[index].area_in_system + gone.area_in_system;
                let area_busy = match &self.fast {
                    Some(fast) => fast.layers[index].busy_scaled_ns as u128,
                    None => stations[index].area_busy + gone.area_busy,
                };
                let arrivals = stations[index].arrivals + gone.arrivals;
                let worker_area = layer.worker_area_ns as f64;
                LayerSummary {
                    name: layer.name.clone(),
                    calls: layer.calls,
                    attempts: layer.attempts,
                    latency: {
                        let mut latency = layer.latency.snapshot();
                        latency.merge(&layer.window_latency.snapshot());
                        latency
                    },
                    utilisation: if worker_area > 0.0 {
                        area_busy as f64 / worker_area
                    } else {
                        0.0
                    },
                    instances_start: layer.instances_start,
                    instances_min: layer.instances_min.min(alive_now[index]),
                    instances_max: layer.instances_max.max(alive_now[index]),
                    instances_end: alive_now[index],
                    instance_hours: instance_secs[index] / 3600.0,
                    launched: layer.launched,
                    crashed: layer.crashed,
                    mean_in_system: area_in_system as f64 / elapsed_ns,
                    arrival_rate_per_second: arrivals as f64 / elapsed.as_secs_f64().max(1e-9),
                    mean_sojourn_secs: if layer.departed > 0 {
                        layer.sojourn_ns as f64 / layer.departed as f64 / 1e9
                    } else {
                        0.0
                    },
                    mean_queueing_delay_secs: if layer.service_starts > 0 {
                        layer.waited_ns as f64 / layer.service_starts as f64 / 1e9
                    } else {
                        0.0
                    },
                    wait_probability: if layer.service_starts > 0 {
                        layer.delayed as f64 / layer.service_starts as f64
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        WorldSummary {
            name: self.name.clone(),
            seed: self.seed,
            elapsed,
            events: self.events_handled(),
            jobs_peak: self.jobs_peak,
            sampling_step: self.weight,
            layers,
        }
    }

    /// The per-second series recorded so far.
    pub fn observations(&self) -> &super::observe::Observations {
        &self.observations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queueing_figure_names_are_listed_in_the_order_they_are_given() {
        let figures = QueueingFigures {
            latency_mean_ms: Some(1.0),
            latency_p99_ms: Some(2.0),
            queueing_delay_mean_ms: 3.0,
            wait_probability: 4.0,
            mean_in_system: 5.0,
            mean_time_in_system_ms: 6.0,
            throughput_per_s: 7.0,
        };
        for (i, ((name, unit, value), (listed, listed_unit))) in figures
            .named()
            .into_iter()
            .zip(QueueingFigures::NAMES)
            .enumerate()
        {
            assert_eq!((name, unit), (listed, listed_unit));
            assert_eq!(value, Some(i as f64 + 1.0));
        }
    }
}

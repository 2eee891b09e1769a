//! One station under Poisson arrivals, simulated on the engine: the M/G/c model that
//! `rollsim validate` and `rollsim queue` run, and that the engine bench measures.
//!
//! # Lifecycle of a run
//! 1. Arrivals come at exponential intervals from the stream `"<name>/arrivals"`;
//!    service times from `"<name>/service"`.
//! 2. The first `warmup_customers` arrivals fill the queue toward steady state and
//!    are not measured; at the next arrival the station's statistics window opens.
//! 3. After `customers` arrivals no more come; the window closes at the last arrival
//!    and the run continues until every admitted customer has left.
//! 4. Waits (at service start) and sojourns (at departure) of measured customers go
//!    into batch means; the window's areas give L and Lq for Little's law.

use crate::engine::{DurationDist, Rate, RngStreams, Scheduler, SimDuration, SimTime};
use crate::stats::{BatchMeans, Estimate};

use super::station::{Admission, Station, StationStats};

/// A station fed by a Poisson stream: what to simulate and for how long.
#[derive(Debug, Clone)]
pub struct PoissonStation {
    /// Names the random streams, so different stations draw differently.
    pub name: String,
    /// Parallel servers, c.
    pub servers: u32,
    /// Arrival rate, λ.
    pub arrival_rate: Rate,
    /// Service-time distribution.
    pub service: DurationDist,
    /// Waiting room; [`UNBOUNDED`](super::UNBOUNDED) for none.
    pub queue_capacity: usize,
    /// Arrivals in all, warm-up included.
    pub customers: u64,
    /// Arrivals before measuring starts.
    pub warmup_customers: u64,
    /// Batches for the confidence intervals.
    pub batches: u32,
}

/// Little's law on the measurement window: L against λW, and Lq against λWq.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LittleCheck {
    /// Time-average number in system.
    pub l: f64,
    /// Measured arrival rate × mean sojourn.
    pub lambda_w: f64,
    /// Time-average number in queue.
    pub lq: f64,
    /// Measured arrival rate × mean wait.
    pub lambda_wq: f64,
}

impl LittleCheck {
    /// |L − λW| / L: zero when Little's law holds exactly.
    pub fn relative_error(&self) -> f64 {
        ((self.l - self.lambda_w) / self.l).abs()
    }
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StationReport {
    /// Measured (post-warm-up) arrivals that were admitted.
    pub measured: u64,
    /// Measured arrivals turned away by a full queue.
    pub rejected: u64,
    /// Probability of waiting.
    pub p_wait: Estimate,
    /// Mean wait in queue, seconds.
    pub wq_secs: Estimate,
    /// Mean time in system, seconds.
    pub w_secs: Estimate,
    /// Little's law on the window.
    pub little: LittleCheck,
    /// Mean busy servers ÷ servers.
    pub utilisation: f64,
    /// Events the engine handled.
    pub events: u64,
}

/// The two things that happen at a station.
#[derive(Debug, Clone, Copy)]
enum Event {
    Arrival,
    Departure { arrived_at: SimTime },
}

/// Runs `model` with master seed `seed`.
pub fn simulate(model: &PoissonStation, seed: u64) -> StationReport {
    let streams = RngStreams::new(seed);
    let mut arrival_rng = streams.stream(&format!("{}/arrivals", model.name));
    let mut service_rng = streams.stream(&format!("{}/service", model.name));
    let interarrival = DurationDist::exponential(model.arrival_rate.mean_interval())
        .expect("a valid rate has a positive mean interval");

    let measured_target = model
        .customers
        .saturating_sub(model.warmup_customers)
        .max(1);
    let batch_size = (measured_target / model.batches.max(1) as u64).max(1);
    let mut p_wait = BatchMeans::new(batch_size);
    let mut wq = BatchMeans::new(batch_size);
    let mut w = BatchMeans::new(batch_size);
    let (mut wq_sum_ns, mut w_sum_ns, mut measured) = (0u128, 0u128, 0u64);

    let mut station: Station<SimTime> = Station::new(model.servers, model.queue_capacity);
    let mut sched: Scheduler<Event> = Scheduler::new();
    let mut arrivals = 0u64;
    let mut measure_from = SimTime::MAX;
    let mut window: Option<StationStats> = None;
    sched.schedule_in(interarrival.sample(&mut arrival_rng), Event::Arrival);

    while let Some((now, event)) = sched.pop() {
        match event {
            Event::Arrival => {
                if arrivals == model.warmup_customers {
                    measure_from = now;
                    station.reset_stats(now);
                }
                arrivals += 1;
                if arrivals < model.customers {
                    sched.schedule_in(interarrival.sample(&mut arrival_rng), Event::Arrival);
                }
                if let Admission::Serving(arrived_at) = station.arrive(now, now) {
                    if arrived_at >= measure_from {
                        p_wait.record(0.0);
                        wq.record(0.0);
                    }
                    let service = model.service.sample(&mut service_rng);
                    sched.schedule_in(service, Event::Departure { arrived_at });
                }
                if arrivals == model.customers {
                    window = Some(station.stats_at(now));
                }
            }
            Event::Departure { arrived_at } => {
                if arrived_at >= measure_from {
                    let sojourn = now - arrived_at;
                    w.record(sojourn.as_secs_f64());
                    w_sum_ns += sojourn.as_nanos() as u128;
                    measured += 1;
                }
                if let Some(next) = station.complete(now) {
                    if next.customer >= measure_from {
                        p_wait.record(if next.waited.is_zero() { 0.0 } else { 1.0 });
                        wq.record(next.waited.as_secs_f64());
                        wq_sum_ns += next.waited.as_nanos() as u128;
                    }
                    let service = model.service.sample(&mut service_rng);
                    sched.schedule_in(
                        service,
                        Event::Departure {
                            arrived_at: next.customer,
                        },
                    );
                }
            }
        }
    }

    let window = window.unwrap_or_else(|| station.stats_at(sched.now()));
    let window_secs = window.window().as_secs_f64();
    let admitted = window.arrivals - window.rejected;
    let lambda = admitted as f64 / window_secs;
    let mean_of = |sum_ns: u128| {
        SimDuration::from_nanos((sum_ns / measured.max(1) as u128) as u64).as_secs_f64()
    };
    StationReport {
        measured,
        rejected: window.rejected,
        p_wait: p_wait.estimate(),
        wq_secs: wq.estimate(),
        w_secs: w.estimate(),
        little: LittleCheck {
            l: window.mean_in_system(),
            lambda_w: lambda * mean_of(w_sum_ns),
            lq: window.mean_in_queue(),
            lambda_wq: lambda * mean_of(wq_sum_ns),
        },
        utilisation: window.mean_busy() / model.servers as f64,
        events: sched.events_handled(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queueing::UNBOUNDED;

    fn mm1(customers: u64) -> PoissonStation {
        PoissonStation {
            name: "mm1".into(),
            servers: 1,
            arrival_rate: Rate::per_second_checked(50.0).unwrap(),
            service: DurationDist::exponential(SimDuration::from_millis(10)).unwrap(),
            queue_capacity: UNBOUNDED,
            customers,
            warmup_customers: customers / 10,
            batches: 20,
        }
    }

    #[test]
    fn every_customer_is_served_once() {
        let report = simulate(&mm1(10_000), 1);
        assert_eq!(report.measured, 9_000);
        assert_eq!(report.events, 2 * 10_000);
    }

    #[test]
    fn a_bounded_queue_sheds_load() {
        let mut model = mm1(20_000);
        model.arrival_rate = Rate::per_second_checked(200.0).unwrap(); // ρ = 2
        model.queue_capacity = 5;
        let report = simulate(&model, 1);
        // M/M/1/6 at ρ = 2 turns away about half the arrivals.
        let shed = report.rejected as f64 / (report.rejected + report.measured) as f64;
        assert!((0.45..0.55).contains(&shed), "shed {shed}");
        assert!(report.utilisation > 0.95);
    }

    #[test]
    fn same_seed_same_report() {
        assert_eq!(simulate(&mm1(5_000), 9), simulate(&mm1(5_000), 9));
        assert_ne!(simulate(&mm1(5_000), 9), simulate(&mm1(5_000), 10));
    }
}

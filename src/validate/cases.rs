//! The queueing models `rollsim validate` runs, each with its closed-form answer.
//!
//! Sizes are chosen so that, at scale 1, batch-means intervals on Wq are about ±2%
//! or tighter: heavier load needs far more customers (the relaxation time of M/M/1
//! grows like 1/(1 − √ρ)²).

use crate::engine::{DurationDist, Rate, SimDuration};
use crate::queueing::theory::{self, QueueTheory};
use crate::queueing::{PoissonStation, UNBOUNDED};

/// Mean service time of every case; rates follow from the target utilisation.
const MEAN_SERVICE: SimDuration = SimDuration::from_millis(10);
/// Batches per interval: enough degrees of freedom, batches long enough to decorrelate.
const BATCHES: u32 = 30;

/// One model and what theory says it should do.
#[derive(Debug, Clone)]
pub struct Case {
    /// Kendall notation and load, e.g. `M/M/4 ρ=0.90`.
    pub label: String,
    /// The model as simulated.
    pub model: PoissonStation,
    /// The analytic answer.
    pub theory: QueueTheory,
}

/// Which service-time law a case uses.
#[derive(Clone, Copy)]
enum Service {
    Exponential,
    Deterministic,
    /// Log-normal with p99 = 5 × mean.
    LogNormal,
}

/// Every case, with customer counts multiplied by `scale`.
pub fn all(scale: f64) -> Vec<Case> {
    use Service::*;
    [
        (Exponential, 1, 0.50, 2_000_000),
        (Exponential, 1, 0.80, 5_000_000),
        (Exponential, 1, 0.95, 40_000_000),
        (Exponential, 4, 0.90, 10_000_000),
        (Exponential, 10, 0.80, 8_000_000),
        (Exponential, 16, 0.95, 30_000_000),
        (Exponential, 64, 0.95, 60_000_000),
        (Deterministic, 1, 0.80, 3_000_000),
        (LogNormal, 1, 0.70, 5_000_000),
    ]
    .into_iter()
    .map(|(service, servers, rho, customers)| {
        let customers = ((customers as f64 * scale).round() as u64).max(10_000);
        case(service, servers, rho, customers)
    })
    .collect()
}

fn case(service: Service, servers: u32, rho: f64, customers: u64) -> Case {
    let (letter, dist) = match service {
        Service::Exponential => (
            "M",
            DurationDist::exponential(MEAN_SERVICE).expect("positive mean"),
        ),
        Service::Deterministic => ("D", DurationDist::deterministic(MEAN_SERVICE)),
        Service::LogNormal => (
            "G",
            "lognormal(mean=10ms, p99=50ms)"
                .parse()
                .expect("a valid log-normal"),
        ),
    };
    let mean_secs = MEAN_SERVICE.as_secs_f64();
    let arrival_rate = rho * servers as f64 / mean_secs;
    let theory = match service {
        Service::Exponential => theory::mmc(servers, arrival_rate, mean_secs),
        _ => theory::mg1(arrival_rate, mean_secs, dist.squared_cv()),
    }
    .expect("every case is a stable queue");
    let label = match service {
        Service::LogNormal => format!("M/G/{servers} ρ={rho:.2} (log-normal, p99=5×mean)"),
        _ => format!("M/{letter}/{servers} ρ={rho:.2}"),
    };
    Case {
        model: PoissonStation {
            name: label.clone(),
            servers,
            arrival_rate: Rate::per_second_checked(arrival_rate).expect("a positive rate"),
            service: dist,
            queue_capacity: UNBOUNDED,
            customers,
            warmup_customers: customers / 20,
            batches: BATCHES,
        },
        label,
        theory,
    }
}

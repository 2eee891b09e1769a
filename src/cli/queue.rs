//! `rollsim queue`: one station under Poisson arrivals, with theory where it exists.

use clap::Args;

use crate::Error;
use crate::engine::{DurationDist, Rate};
use crate::queueing::theory::{self, QueueTheory};
use crate::queueing::{PoissonStation, UNBOUNDED, simulate};

#[derive(Debug, Args)]
pub(crate) struct QueueArgs {
    /// Parallel servers (workers), c.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    servers: u32,
    /// Arrival rate, e.g. "900/s", "50/ms", "6000/min".
    #[arg(long, allow_hyphen_values = true)]
    arrival_rate: String,
    /// Service time: "10ms", "exp(10ms)", "lognormal(mean=20ms, p99=120ms)", "gamma(mean=10ms, cv=0.5)", …
    #[arg(long, default_value = "exp(10ms)", allow_hyphen_values = true)]
    service: String,
    /// Waiting room; arrivals beyond it are shed. Unbounded if omitted.
    #[arg(long)]
    queue_capacity: Option<usize>,
    /// Arrivals to simulate (the first 5% warm up and are not measured).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..=10_000_000_000))]
    customers: u64,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub(crate) fn run(args: &QueueArgs) -> Result<(), Error> {
    let arrival_rate: Rate = args
        .arrival_rate
        .parse()
        .map_err(|e| Error::BadInput(format!("--arrival-rate: {e}")))?;
    let service: DurationDist = args
        .service
        .parse()
        .map_err(|e| Error::BadInput(format!("--service: {e}")))?;
    let model = PoissonStation {
        name: "queue".into(),
        servers: args.servers,
        arrival_rate,
        service,
        queue_capacity: args.queue_capacity.unwrap_or(UNBOUNDED),
        customers: args.customers,
        warmup_customers: args.customers / 20,
        batches: 30,
    };
    let mean_secs = service.mean().as_secs_f64();
    let rho = arrival_rate.per_second() * mean_secs / args.servers as f64;
    if rho >= 1.0 && args.queue_capacity.is_none() {
        return Err(Error::BadInput(format!(
            "utilisation ρ = λ·E[S]/c = {rho:.3} ≥ 1 with an unbounded queue never settles; \
             add servers, lower --arrival-rate, or bound the queue with --queue-capacity"
        )));
    }
    let report = simulate(&model, args.seed);
    let theory = theory_for(&model, mean_secs);
    println!(
        "M/{}/{} with λ = {arrival_rate}, service {service}, ρ = {rho:.4}, seed {}",
        if service.squared_cv() == 1.0 {
            "M"
        } else {
            "G"
        },
        args.servers,
        args.seed
    );
    println!(
        "measured customers {}, shed {}, utilisation {:.4}",
        report.measured, report.rejected, report.utilisation
    );
    println!(
        "{:<8} {:>28} {:>14}",
        "metric", "simulated ± 95% CI", "theory"
    );
    let rows = [
        ("P(wait)", report.p_wait, theory.map(|t| t.p_wait), 1.0, ""),
        ("Wq", report.wq_secs, theory.map(|t| t.wq_secs), 1e3, " ms"),
        ("W", report.w_secs, theory.map(|t| t.w_secs), 1e3, " ms"),
    ];
    for (name, estimate, truth, factor, unit) in rows {
        let truth = truth.map_or("n/a".to_string(), |t| format!("{:.4}{unit}", t * factor));
        println!(
            "{name:<8} {:>28} {truth:>14}",
            format!(
                "{:.4} ± {:.4}{unit}",
                estimate.mean * factor,
                estimate.half_width_95() * factor
            )
        );
    }
    println!(
        "Little   L = {:.4}, λW = {:.4} (relative difference {:.3}%)",
        report.little.l,
        report.little.lambda_w,
        report.little.relative_error() * 100.0
    );
    Ok(())
}

/// The closed form for this model, if one is known: Erlang C for exponential service,
/// Pollaczek–Khinchine for one server; none with a bounded queue.
fn theory_for(model: &PoissonStation, mean_secs: f64) -> Option<QueueTheory> {
    if model.queue_capacity != UNBOUNDED {
        return None;
    }
    let lambda = model.arrival_rate.per_second();
    let scv = model.service.squared_cv();
    if model.servers == 1 {
        theory::mg1(lambda, mean_secs, scv)
    } else if matches!(
        model.service.spec(),
        crate::engine::DurationDistSpec::Exponential { .. }
    ) {
        theory::mmc(model.servers, lambda, mean_secs)
    } else {
        None
    }
}

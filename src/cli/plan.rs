//! `rollsim plan [MODEL] [--slo-p99 D] [--availability PCT] [--runs N] [--seed N]
//! [--set PATH=VALUE]… [--json]`: the smallest steady fleet per layer that keeps the
//! entry layer within its SLO at the traffic peak, found by simulation (see
//! [`crate::plan::capacity`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use crate::engine::SimDuration;
use crate::plan::capacity::{
    LayerPlan, MAX_GROWTH, PLAN_DURATION, PLAN_WARMUP, Target, size_fleets,
};
use crate::plan::recommend::{Advice, advise};
use crate::scenario::overrides::Override;

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The model file (TOML); the built-in netflix-2011 model if omitted.
    model: Option<PathBuf>,
    /// The entry layer's p99 target (default: the model's `slo.latency_p99`).
    #[arg(long)]
    slo_p99: Option<SimDuration>,
    /// The entry layer's availability target in percent (default: the model's `slo.availability`).
    #[arg(long)]
    availability: Option<f64>,
    /// Runs per fleet size judged (seeds seed, seed+1, …).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// First seed (default: the model's).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Plan for this hour of a weekday (0–24) on the model's daily shape instead of its
    /// peak; the fleet sizes then also give the largest rolling batch that hour allows.
    #[arg(long)]
    hour: Option<f64>,
    /// Strategies to weigh for the model's rollouts (repeat; default red-black and rolling).
    #[arg(long = "strategy")]
    strategies: Vec<crate::scenario::rollout::Strategy>,
    /// Change a field of the model (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<Override>,
    #[command(flatten)]
    rollout: super::model_source::RolloutFile,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// No progress spinner or timing on stderr.
    #[arg(long)]
    quiet: bool,
}

pub(crate) fn run(args: &PlanArgs) -> Result<ExitCode, String> {
    let (mut model, file) =
        super::model_source::load(args.model.as_deref(), &args.sets, &args.rollout)?;
    if let Some(hour) = args.hour {
        if !(0.0..=24.0).contains(&hour) {
            return Err(format!("--hour must be between 0 and 24, got {hour}"));
        }
        let Some(shape) = &model.traffic.shape else {
            return Err(format!(
                "--hour: the model {} has no daily traffic shape",
                model.name
            ));
        };
        let at_hour = crate::scenario::traffic::DailyShape {
            start: hour,
            ..shape.clone()
        };
        let factor = crate::model::traffic::shape_factor(&at_hour, crate::engine::SimTime::ZERO);
        model.traffic.rate = model
            .traffic
            .rate
            .scaled(factor)
            .map_err(|e| e.to_string())?;
        model.traffic.shape = None;
    }
    let availability = match args.availability {
        Some(pct) if pct > 0.0 && pct <= 100.0 => pct / 100.0,
        Some(pct) => {
            return Err(format!(
                "--availability must be a percentage in (0, 100], got {pct}"
            ));
        }
        None => model.slo.availability,
    };
    if args.runs == 0 || args.runs > 1000 {
        return Err(format!(
            "--runs must be between 1 and 1000, got {}",
            args.runs
        ));
    }
    let target = Target {
        latency_p99: args.slo_p99.unwrap_or(model.slo.latency_p99),
        availability,
    };
    let started = Instant::now();
    let bar = super::progress::bar(None, args.quiet, "fleet sizes judged");
    let plans = size_fleets(
        &model,
        target,
        args.runs,
        args.seed.unwrap_or(model.seed),
        &|| bar.inc(1),
    );
    bar.finish_and_clear();
    let advice = if model.rollouts.is_empty() {
        Vec::new()
    } else {
        let (_, comparison) = super::compare::compare_strategies(
            &model,
            &file,
            &args.strategies,
            args.runs,
            args.seed.unwrap_or(model.seed),
            args.quiet,
        )?;
        let sizes: Vec<u32> = model
            .rollouts
            .iter()
            .map(|r| model.layers[&r.layer].instances)
            .collect();
        advise(&comparison, &sizes)
    };
    if !args.quiet {
        eprintln!(
            "planned in {:.1} s of wall time",
            started.elapsed().as_secs_f64()
        );
    }
    if args.json {
        let layers: Vec<serde_json::Value> = plans.iter().map(to_json).collect();
        let value = serde_json::json!({
            "model": model.name,
            "hour": args.hour,
            "rate_per_second": model.traffic.rate.per_second(),
            "target": {"latency_p99_ms": target.latency_p99.as_millis_f64(), "availability": target.availability},
            "runs": args.runs,
            "layers": layers,
            "rollouts": advice.iter().map(advice_json).collect::<Vec<_>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("JSON values serialize")
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: smallest steady fleet per layer at {} ({}), the entry layer within p99 ≤ {} and \
         availability ≥ {}%, each size judged by {} runs of {} (the first {} not measured) with 95% confidence.",
        model.name,
        args.hour.map_or("the peak".to_string(), |h| format!(
            "{h:04.1} h on a weekday"
        )),
        model.traffic.rate,
        target.latency_p99,
        100.0 * target.availability,
        args.runs,
        PLAN_DURATION,
        PLAN_WARMUP
    );
    println!();
    let mut rows = vec![
        [
            "layer",
            "now",
            "smallest",
            "p99 there",
            "availability there",
            "p99 with one fewer",
            "availability with one fewer",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for plan in &plans {
        let there = plan.smallest.and_then(|n| plan.at(n));
        let fewer = plan
            .smallest
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| plan.at(n));
        let p99 = |e: Option<&crate::plan::capacity::Evaluation>| {
            e.map_or("-".into(), |e| {
                format!(
                    "{:.1} ± {:.1} ms",
                    e.latency_p99_ms.mean,
                    finite(e.latency_p99_ms.half_width)
                )
            })
        };
        let avail = |e: Option<&crate::plan::capacity::Evaluation>| {
            e.map_or("-".into(), |e| {
                format!("{:.3}%", 100.0 * e.availability.mean)
            })
        };
        rows.push(vec![
            plan.layer.clone(),
            plan.current.to_string(),
            plan.smallest
                .map_or(format!("> {}", plan.current * MAX_GROWTH), |n| {
                    n.to_string()
                }),
            p99(there),
            avail(there),
            p99(fewer),
            avail(fewer),
        ]);
    }
    print!("{}", crate::report::text_table(&rows));
    println!();
    if let Some(hour) = args.hour {
        println!(
            "At {hour:04.1} h on a weekday ({}), the largest rolling batch without surge (max_unavailable) \
             that keeps the SLO, counting warm instances only (a real batch's new instances start cold):",
            model.traffic.rate
        );
        for plan in &plans {
            match plan.smallest {
                Some(n) if n <= plan.current => println!(
                    "  {}: {} of {} instances",
                    plan.layer,
                    plan.current - n,
                    plan.current
                ),
                _ => println!(
                    "  {}: none (the fleet misses the SLO even whole)",
                    plan.layer
                ),
            }
        }
        println!();
    }
    for plan in &plans {
        match plan.smallest {
            Some(n) if n < plan.current => println!(
                "{}: {n} instances meet the SLO; the model's {} leave {} spare ({:.0}% headroom).",
                plan.layer,
                plan.current,
                plan.current - n,
                100.0 * f64::from(plan.current - n) / f64::from(n)
            ),
            Some(n) if n == plan.current => println!(
                "{}: the model's {n} instances are the fewest that meet the SLO: no headroom for a rollout that removes capacity.",
                plan.layer
            ),
            Some(n) => println!(
                "{}: the model's {} instances miss the SLO; {n} meet it.",
                plan.layer, plan.current
            ),
            None => println!(
                "{}: no size up to {} meets the SLO with the other layers as they are.",
                plan.layer,
                plan.current * MAX_GROWTH
            ),
        }
    }
    if !advice.is_empty() {
        println!(
            "\nRolling out (the model's rollouts, {} runs per strategy with common random numbers, at the model's own traffic):",
            args.runs
        );
        for a in &advice {
            println!();
            let mut rows = vec![
                [
                    "strategy",
                    "extra instances",
                    "extra instance-hours",
                    "failed requests",
                    "promoted",
                    "rolled back",
                    "restore time",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for c in &a.costs {
                rows.push(vec![
                    c.strategy.to_string(),
                    format!("{:.0}", c.extra_instances.mean),
                    format!(
                        "{:.1} ± {:.1}",
                        c.extra_instance_hours.mean,
                        finite(c.extra_instance_hours.half_width)
                    ),
                    format!(
                        "{:.0} ± {:.0}",
                        c.failed_requests.mean,
                        finite(c.failed_requests.half_width)
                    ),
                    format!("{} of {}", c.promoted_runs, c.runs),
                    format!("{} of {}", c.rolled_back_runs, c.runs),
                    c.restore_time_s.map_or("-".into(), |r| {
                        format!("{:.0} ± {:.0} s", r.mean, finite(r.half_width))
                    }),
                ]);
            }
            println!("Rollout of {}", a.layer);
            print!("{}", crate::report::text_table(&rows));
            println!("{}", a.words);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn advice_json(a: &Advice) -> serde_json::Value {
    let costs: Vec<serde_json::Value> = a
        .costs
        .iter()
        .map(|c| {
            serde_json::json!({
                "strategy": c.strategy.name(),
                "extra_instances": c.extra_instances.mean,
                "extra_instance_hours": c.extra_instance_hours.mean,
                "extra_instance_hours_ci95": finite(c.extra_instance_hours.half_width),
                "failed_requests": c.failed_requests.mean,
                "failed_requests_ci95": finite(c.failed_requests.half_width),
                "promoted_runs": c.promoted_runs,
                "rolled_back_runs": c.rolled_back_runs,
                "restore_time_s": c.restore_time_s.map(|r| r.mean),
                "runs": c.runs,
            })
        })
        .collect();
    serde_json::json!({"layer": a.layer, "recommended": a.best.name(), "recommendation": a.words, "strategies": costs})
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

fn to_json(plan: &LayerPlan) -> serde_json::Value {
    let evaluations: Vec<serde_json::Value> = plan
        .evaluations
        .iter()
        .map(|e| {
            serde_json::json!({
                "instances": e.instances,
                "latency_p99_ms": e.latency_p99_ms.mean,
                "latency_p99_ms_ci95": finite(e.latency_p99_ms.half_width),
                "availability": e.availability.mean,
                "availability_ci95": finite(e.availability.half_width),
                "meets": e.meets,
            })
        })
        .collect();
    serde_json::json!({
        "layer": plan.layer,
        "current": plan.current,
        "smallest": plan.smallest,
        "largest_rolling_batch": plan.smallest.filter(|n| *n <= plan.current).map(|n| plan.current - n),
        "evaluations": evaluations,
    })
}

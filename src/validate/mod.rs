//! `rollsim validate`: the engine held against queueing theory.
//!
//! # How it runs
//! 1. [`cases::all`] lists M/M/1, M/M/c (several c, loads up to ρ = 0.95), M/D/1 and an
//!    M/G/1 with log-normal service, each with its Erlang C or Pollaczek–Khinchine answer.
//! 2. [`run`] simulates every case on the engine, in parallel (rayon), each from the
//!    same master seed with its own named streams; results keep the cases' order, so
//!    the output does not depend on the thread count.
//! 3. Each metric passes if it is within ±2% of theory or theory lies inside its
//!    batch-means 95% interval; Little's law must hold within 1% on the window.
//! 4. [`table::render`] prints the table; the CLI exits non-zero if any check fails.

pub mod cases;
pub mod table;

use rayon::prelude::*;

use crate::queueing::{LittleCheck, StationReport, simulate};
use crate::stats::Estimate;

/// Largest relative error on a metric that passes even outside its interval.
pub const RELATIVE_TOLERANCE: f64 = 0.02;
/// Largest |L − λW| / L that passes.
pub const LITTLE_TOLERANCE: f64 = 0.01;

/// One simulated metric against theory.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MetricCheck {
    /// `P(wait)`, `Wq` or `W`.
    pub metric: &'static str,
    /// Whether the values are times in seconds (else probabilities).
    pub is_time: bool,
    /// The simulated mean and its 95% interval.
    pub simulated: Estimate,
    /// The closed-form value.
    pub theory: f64,
    /// (simulated − theory) / theory.
    pub relative_error: f64,
    /// Within tolerance or covered by the interval.
    pub pass: bool,
}

impl MetricCheck {
    fn new(metric: &'static str, is_time: bool, simulated: Estimate, theory: f64) -> Self {
        let relative_error = simulated.relative_error(theory);
        MetricCheck {
            metric,
            is_time,
            simulated,
            theory,
            relative_error,
            pass: relative_error.abs() <= RELATIVE_TOLERANCE || simulated.covers(theory),
        }
    }
}

/// A case's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CaseResult {
    /// The case's label.
    pub label: String,
    /// Arrivals simulated (warm-up included).
    pub customers: u64,
    /// P(wait), Wq, W.
    pub checks: Vec<MetricCheck>,
    /// L against λW.
    pub little: LittleCheck,
    /// Whether Little's law held within tolerance.
    pub little_pass: bool,
    /// Engine events handled.
    pub events: u64,
}

impl CaseResult {
    /// Every check of the case passed.
    pub fn pass(&self) -> bool {
        self.little_pass && self.checks.iter().all(|c| c.pass)
    }
}

/// Runs every case at `scale` × its customer count, from master seed `seed`.
pub fn run(seed: u64, scale: f64) -> Vec<CaseResult> {
    cases::all(scale)
        .par_iter()
        .with_max_len(1) // one case per task, so the long cases spread over the threads
        .map(|case| {
            let report: StationReport = simulate(&case.model, seed);
            let t = &case.theory;
            CaseResult {
                label: case.label.clone(),
                customers: case.model.customers,
                checks: vec![
                    MetricCheck::new("P(wait)", false, report.p_wait, t.p_wait),
                    MetricCheck::new("Wq", true, report.wq_secs, t.wq_secs),
                    MetricCheck::new("W", true, report.w_secs, t.w_secs),
                ],
                little_pass: report.little.relative_error() <= LITTLE_TOLERANCE,
                little: report.little,
                events: report.events,
            }
        })
        .collect()
}

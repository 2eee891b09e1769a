//! The human-readable validation table.

use std::fmt::Write;

use super::{CaseResult, LITTLE_TOLERANCE, MetricCheck, RELATIVE_TOLERANCE};

/// The table for `results`, run from `seed`, ending with a verdict line.
pub fn render(results: &[CaseResult], seed: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rollsim validate: the engine against queueing theory (seed {seed})\n\
         A metric passes within ±{:.0}% of theory or when theory lies inside its batch-means 95% interval;\n\
         Little's law (L = λW on the measured window) must hold within {:.0}%.\n",
        RELATIVE_TOLERANCE * 100.0,
        LITTLE_TOLERANCE * 100.0
    );
    let _ = writeln!(
        out,
        "{:<38} {:>11}  {:<8} {:>26}  {:>12}  {:>8}  ok",
        "case", "customers", "metric", "simulated ± 95% CI", "theory", "error"
    );
    for result in results {
        for (i, check) in result.checks.iter().enumerate() {
            let (label, customers) = if i == 0 {
                (result.label.as_str(), thousands(result.customers))
            } else {
                ("", String::new())
            };
            let _ = writeln!(
                out,
                "{:<38} {:>11}  {:<8} {:>26}  {:>12}  {:>+7.2}%  {}",
                label,
                customers,
                check.metric,
                simulated(check),
                value(check.theory, check.is_time),
                check.relative_error * 100.0,
                verdict(check.pass)
            );
        }
        let little = &result.little;
        let _ = writeln!(
            out,
            "{:<38} {:>11}  {:<8} {:>26}  {:>12}  {:>+7.2}%  {}",
            "",
            "",
            "Little",
            format!("L = {:.4}", little.l),
            format!("λW = {:.4}", little.lambda_w),
            (little.l - little.lambda_w) / little.lambda_w * 100.0,
            verdict(result.little_pass)
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.pass())
        .map(|r| r.label.as_str())
        .collect();
    let events: u64 = results.iter().map(|r| r.events).sum();
    let _ = writeln!(out);
    if failed.is_empty() {
        let _ = writeln!(
            out,
            "PASS: all {} cases agree with theory ({} events simulated).",
            results.len(),
            thousands(events)
        );
    } else {
        let _ = writeln!(
            out,
            "FAIL: {} of {} cases disagree with theory: {}",
            failed.len(),
            results.len(),
            failed.join("; ")
        );
    }
    out
}

fn simulated(check: &MetricCheck) -> String {
    let estimate = check.simulated;
    if check.is_time {
        format!(
            "{:.4} ± {:.4} ms",
            estimate.mean * 1e3,
            estimate.half_width_95() * 1e3
        )
    } else {
        format!("{:.5} ± {:.5}", estimate.mean, estimate.half_width_95())
    }
}

fn value(x: f64, is_time: bool) -> String {
    if is_time {
        format!("{:.4} ms", x * 1e3)
    } else {
        format!("{x:.5}")
    }
}

fn verdict(pass: bool) -> &'static str {
    if pass { "yes" } else { "NO" }
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}

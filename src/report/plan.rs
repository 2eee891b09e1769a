//! The plan's report: fleet sizes per layer, each strategy's rollout cost and the
//! advice, and the hours of a weekday at which each strategy can roll within the SLO;
//! as text or JSON.

use crate::stats::{Num, plus_minus};
use std::fmt::Write;

use crate::engine::SimDuration;
use crate::plan::capacity::{
    Evaluation, LayerPlan, MAX_GROWTH, PLAN_DURATION, PLAN_WARMUP, Target,
};
use crate::plan::recommend::Advice;
use crate::plan::windows::SafeHours;
use crate::scenario::Scenario;

/// Everything `rollsim plan` found.
pub struct PlanReport<'a> {
    /// The model as planned (flat at `hour` if one was given).
    pub model: &'a Scenario,
    /// The hour of a weekday planned for (`None`: the peak).
    pub hour: Option<f64>,
    /// The entry layer's SLO.
    pub target: Target,
    /// Runs per judgement.
    pub runs: usize,
    /// The sizing of every layer.
    pub plans: &'a [LayerPlan],
    /// Advice per rollout (empty without rollouts).
    pub advice: &'a [Advice],
    /// Per strategy, the start hours judged (`None` if not scanned), `step` apart.
    pub safe_hours: Option<&'a [SafeHours]>,
    /// Between scanned start hours.
    pub step: SimDuration,
}

impl PlanReport<'_> {
    /// The report as text.
    pub fn text(&self) -> String {
        self.render(Self::write_text)
    }

    /// The sizing part of the report (its first lines).
    pub fn sizing_text(&self) -> String {
        self.render(Self::write_sizing)
    }

    /// The rollout-cost part of the report (empty without advice).
    pub fn advice_text(&self) -> String {
        self.render(Self::write_advice)
    }

    /// The when-to-roll part of the report (empty if hours were not scanned).
    pub fn hours_text(&self) -> String {
        self.render(Self::write_hours)
    }

    fn render(&self, write: fn(&Self, &mut String) -> std::fmt::Result) -> String {
        let mut out = String::new();
        write(self, &mut out).expect("writing to a String cannot fail");
        out
    }

    fn write_text(&self, out: &mut String) -> std::fmt::Result {
        self.write_sizing(out)?;
        self.write_advice(out)?;
        self.write_hours(out)
    }

    fn write_sizing(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "{}: smallest steady fleet per layer at {} ({}), the entry layer within p99 ≤ {} and \
             availability ≥ {}%, each size judged by {} runs of {} (the first {} not measured) with 95% confidence.",
            self.model.name,
            self.hour.map_or("the peak".to_string(), |h| format!(
                "{h:04.1} h on a weekday"
            )),
            self.model.traffic.rate,
            self.target.latency_p99,
            100.0 * self.target.availability,
            self.runs,
            PLAN_DURATION,
            PLAN_WARMUP
        )?;
        writeln!(out)?;
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
        for plan in self.plans {
            let there = plan.smallest.and_then(|n| plan.at(n));
            let fewer = plan
                .smallest
                .and_then(|n| n.checked_sub(1))
                .and_then(|n| plan.at(n));
            let p99 = |e: Option<&Evaluation>| {
                e.map_or("-".into(), |e| {
                    format!("{} ms", plus_minus(&e.latency_p99_ms, 1))
                })
            };
            let avail = |e: Option<&Evaluation>| {
                e.map_or("-".into(), |e| {
                    format!("{:.3}%", Num(100.0 * e.availability.mean))
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
        write!(out, "{}", crate::report::text_table(&rows))?;
        writeln!(out)?;
        if let Some(hour) = self.hour {
            writeln!(
                out,
                "At {hour:04.1} h on a weekday ({}), the largest rolling batch without surge (max_unavailable) \
                 that keeps the SLO, counting warm instances only (a real batch's new instances start cold):",
                self.model.traffic.rate
            )?;
            for plan in self.plans {
                match plan.smallest {
                    Some(n) if n <= plan.current => writeln!(
                        out,
                        "  {}: {} of {} instances",
                        plan.layer,
                        plan.current - n,
                        plan.current
                    )?,
                    _ => writeln!(
                        out,
                        "  {}: none (the fleet misses the SLO even whole)",
                        plan.layer
                    )?,
                }
            }
            writeln!(out)?;
        }
        for plan in self.plans {
            match plan.smallest {
                Some(n) if n < plan.current => writeln!(
                    out,
                    "{}: {n} instances meet the SLO; the model's {} leave {} spare ({:.0}% headroom).",
                    plan.layer,
                    plan.current,
                    plan.current - n,
                    100.0 * f64::from(plan.current - n) / f64::from(n)
                )?,
                Some(n) if n == plan.current => writeln!(
                    out,
                    "{}: the model's {n} instances are the fewest that meet the SLO: no headroom for a rollout that removes capacity.",
                    plan.layer
                )?,
                Some(n) => writeln!(
                    out,
                    "{}: the model's {} instances miss the SLO; {n} meet it.",
                    plan.layer, plan.current
                )?,
                None => writeln!(
                    out,
                    "{}: no size up to {} meets the SLO with the other layers as they are.",
                    plan.layer,
                    plan.current * MAX_GROWTH
                )?,
            }
        }
        Ok(())
    }

    fn write_advice(&self, out: &mut String) -> std::fmt::Result {
        if !self.advice.is_empty() {
            writeln!(
                out,
                "\nRolling out (the model's rollouts, {} runs per strategy with common random numbers, at the model's own traffic):",
                self.runs
            )?;
            for a in self.advice {
                writeln!(out)?;
                let mut rows = vec![
                    [
                        "strategy",
                        "extra instances",
                        "extra instance-hours",
                        "failed vs baseline",
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
                        format!("{:.0}", Num(c.extra_instances.mean)),
                        plus_minus(&c.extra_instance_hours, 1),
                        plus_minus(&c.failed_requests, 0),
                        if c.unfinished_runs > 0 {
                            format!(
                                "{} of {} ({} unfinished)",
                                c.promoted_runs, c.runs, c.unfinished_runs
                            )
                        } else {
                            format!("{} of {}", c.promoted_runs, c.runs)
                        },
                        format!("{} of {}", c.rolled_back_runs, c.runs),
                        c.restore_time_s
                            .map_or("-".into(), |r| format!("{} s", plus_minus(&r, 0))),
                    ]);
                }
                writeln!(out, "Rollout of {}", a.layer)?;
                write!(out, "{}", crate::report::text_table(&rows))?;
                writeln!(out, "{}", a.words)?;
            }
        }
        Ok(())
    }

    fn write_hours(&self, out: &mut String) -> std::fmt::Result {
        let Some(safe) = self.safe_hours else {
            return Ok(());
        };
        let Some(first) = safe.first() else {
            return Ok(());
        };
        writeln!(
            out,
            "\nWhen to roll: a healthy release rolled out starting at each hour of a weekday, {} runs per \
             strategy and hour; ✓ = the entry layer kept p99 ≤ {} and availability ≥ {}% during the \
             rollout with 95% confidence and no run rolled back.\n",
            self.runs,
            self.target.latency_p99,
            100.0 * self.target.availability
        )?;
        let mut rows = vec![
            std::iter::once("hour".to_string())
                .chain(std::iter::once("traffic".to_string()))
                .chain(safe.iter().map(|s| s.strategy.to_string()))
                .collect::<Vec<_>>(),
        ];
        for (h, at) in first.hours.iter().enumerate() {
            let mut row = vec![clock(at.hour), format!("{:.0}/s", at.rate_per_second)];
            for strategy in safe {
                let j = &strategy.hours[h];
                let mark = if j.safe { "✓" } else { "✗" };
                let mut cell = format!(
                    "{mark} p99 {:.0} ms, {:.3}%",
                    Num(j.latency_p99_ms.mean),
                    Num(100.0 * j.availability.mean)
                );
                if j.rolled_back_runs > 0 {
                    cell.push_str(&format!(
                        ", rolled back {} of {}",
                        j.rolled_back_runs, j.runs
                    ));
                }
                row.push(cell);
            }
            rows.push(row);
        }
        write!(out, "{}", crate::report::text_table(&rows))?;
        for strategy in safe {
            let windows = strategy.windows(self.step);
            let said = if windows.is_empty() {
                "at none of the hours scanned".to_string()
            } else if windows == [(0.0, 24.0)] {
                "at any hour".to_string()
            } else {
                windows
                    .iter()
                    .map(|(from, to)| format!("{}–{}", clock(*from), clock(*to)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(out, "{} can roll within the SLO {said}.", strategy.strategy)?;
        }
        Ok(())
    }

    /// The report as JSON.
    pub fn json(&self) -> serde_json::Value {
        let safe_hours = self.safe_hours.map(|safe| {
            safe.iter()
                .map(|s| {
                    serde_json::json!({
                        "strategy": s.strategy.name(),
                        "windows": s.windows(self.step),
                        "hours": s.hours.iter().map(|h| serde_json::json!({
                            "hour": h.hour,
                            "rate_per_second": h.rate_per_second,
                            "latency_p99_ms": h.latency_p99_ms.mean,
                            "latency_p99_ms_ci95": h.latency_p99_ms.finite_half_width(),
                            "availability": h.availability.mean,
                            "availability_ci95": h.availability.finite_half_width(),
                            "rolled_back_runs": h.rolled_back_runs,
                            "runs": h.runs,
                            "safe": h.safe,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>()
        });
        serde_json::json!({
            "model": self.model.name,
            "hour": self.hour,
            "rate_per_second": self.model.traffic.rate.per_second(),
            "target": {"latency_p99_ms": self.target.latency_p99.as_millis_f64(), "availability": self.target.availability},
            "runs": self.runs,
            "layers": self.plans.iter().map(to_json).collect::<Vec<_>>(),
            "rollouts": self.advice.iter().map(advice_json).collect::<Vec<_>>(),
            "safe_hours": safe_hours,
            "safe_hours_step_h": self.step.as_secs_f64() / 3600.0,
        })
    }
}

/// `hour` (0–24) as HH:MM.
fn clock(hour: f64) -> String {
    let minutes = (hour * 60.0).round() as u32;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
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
                "extra_instance_hours_ci95": c.extra_instance_hours.finite_half_width(),
                "failed_requests": c.failed_requests.mean,
                "failed_requests_ci95": c.failed_requests.finite_half_width(),
                "promoted_runs": c.promoted_runs,
                "rolled_back_runs": c.rolled_back_runs,
                "unfinished_runs": c.unfinished_runs,
                "new_version_requests": (!a.defective).then_some(c.new_version_requests.mean),
                "bad_version_requests": a.defective.then_some(c.new_version_requests.mean),
                "restore_time_s": c.restore_time_s.map(|r| r.mean),
                "runs": c.runs,
            })
        })
        .collect();
    serde_json::json!({"layer": a.layer, "recommended": a.best.name(), "recommendation": a.words, "strategies": costs})
}

fn to_json(plan: &LayerPlan) -> serde_json::Value {
    let evaluations: Vec<serde_json::Value> = plan
        .evaluations
        .iter()
        .map(|e| {
            serde_json::json!({
                "instances": e.instances,
                "latency_p99_ms": e.latency_p99_ms.mean,
                "latency_p99_ms_ci95": e.latency_p99_ms.finite_half_width(),
                "availability": e.availability.mean,
                "availability_ci95": e.availability.finite_half_width(),
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

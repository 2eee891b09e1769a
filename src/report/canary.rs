//! The canary plan in words and as JSON (`rollsim plan canary`): the recommendation,
//! with what it catches, how often it fails a healthy release and what it costs; then
//! the power of each size rehearsed against each duration, for the layer's own judge
//! and the best one found.

use serde_json::{Value, json};

use crate::plan::canary::CanaryPlan;
use crate::plan::canary::power::{Candidate, Share};
use crate::plan::canary::regression::Regression;
use crate::stats::Num;

/// What `plan canary` prints.
pub struct CanaryReport<'a> {
    /// The plan.
    pub plan: &'a CanaryPlan,
    /// The hour of a weekday whose traffic was held (`None`: the model's rate).
    pub hour: Option<f64>,
    /// The first seed.
    pub seed: u64,
    /// The imported rollout whose analysis judges, and what it judges, if one was given.
    pub imported: Option<String>,
}

fn share(s: &Share) -> String {
    format!(
        "{}/{} runs (95% CI {:.0}–{:.0}%)",
        s.hits,
        s.runs,
        Num(100.0 * s.ci95.0),
        Num(100.0 * s.ci95.1)
    )
}

fn minutes(seconds: f64) -> String {
    format!(
        "{}m {:02}s",
        (seconds / 60.0).floor(),
        (seconds % 60.0).round() as u32 % 60
    )
}

impl CanaryReport<'_> {
    /// The plan as text.
    pub fn text(&self) -> String {
        let p = self.plan;
        let when = match self.hour {
            Some(h) => format!(
                "the traffic of {:02}:{:02} on a weekday",
                h.floor(),
                ((h % 1.0) * 60.0).round()
            ),
            None => "the model's traffic".to_string(),
        };
        let mut out = format!(
            "Canary plan for layer {} ({} instances) at {when}; {} judge{} weighed\n",
            p.layer,
            p.fleet,
            p.judges.len(),
            if p.judges.len() == 1 { "" } else { "s" }
        );
        if let Some(imported) = &self.imported {
            out += &format!("Judges: the imported analysis of {imported}\n");
        }
        out += &format!(
            "Regressions: {}. Targets: each caught in at least {}% of runs, a healthy release failed in at most {}%.\n\n",
            p.regressions.join(", "),
            Num(100.0 * p.targets.power),
            Num(100.0 * p.targets.false_alarm)
        );
        match p.recommended.map(|i| &p.candidates[i]) {
            Some(c) => {
                out += &format!("Recommended: {}\n", self.candidate_line(c));
                out += &self.candidate_detail(c);
            }
            None => {
                out += "No canary weighed meets the targets.\n";
                if let Some(c) = self.closest() {
                    out += &format!("Closest: {}\n", self.candidate_line(c));
                    out += &self.candidate_detail(c);
                }
            }
        }
        out += "\n";
        out += &self.power_table();
        out
    }

    fn candidate_line(&self, c: &Candidate) -> String {
        format!(
            "{} instance{} ({:.1}% of traffic) for {}, judged by {}",
            c.instances,
            if c.instances == 1 { "" } else { "s" },
            c.traffic_percent,
            c.duration,
            c.judge_name
        )
    }

    fn candidate_detail(&self, c: &Candidate) -> String {
        let mut out = String::new();
        for (name, r) in self.plan.regressions.iter().zip(&c.regressions) {
            let after = r
                .detection_time_s
                .map(|t| format!(", {} after the canary took traffic (mean)", minutes(t)))
                .unwrap_or_default();
            out += &format!("  {name}: caught in {}{after}", share(&r.caught));
            out += &self.not_judged(name, c.judge);
            out += "\n";
        }
        let fa = &c.false_alarms;
        out += &format!("  healthy release: failed in {}", share(fa));
        if fa.ci95.1 > self.plan.targets.false_alarm {
            let needed = (3.0 / self.plan.targets.false_alarm.max(1e-6)).ceil();
            out += &format!(
                "; {} runs bound the false-alarm rate only below {:.0}%: showing {}% takes about {needed} runs without one",
                fa.runs,
                Num(100.0 * fa.ci95.1),
                Num(100.0 * self.plan.targets.false_alarm)
            );
        }
        out += "\n";
        out += &format!(
            "  cost: {:.2} canary instance-hours; {:.0} requests on the new version (healthy){}\n",
            c.canary_instance_hours,
            c.new_version_requests,
            self.plan
                .regressions
                .iter()
                .zip(&c.regressions)
                .map(|(n, r)| format!(
                    "; {:.0} failed with {n} until the step ended",
                    r.failed_requests
                ))
                .collect::<String>()
        );
        out
    }

    /// `; the release is defective and nothing judged its slowness: …` where the judge
    /// cannot see the regression at all (e.g. latency under an error-rate-only analysis).
    fn not_judged(&self, regression: &str, judge: usize) -> String {
        let Ok(regression) = regression.parse::<Regression>() else {
            return String::new();
        };
        let analysis = &self.plan.judges[judge].analysis;
        match crate::scenario::judged::missed_defect(&regression.release(), analysis) {
            Some(why) if why.contains("nothing judged") => format!("; {why}"),
            _ => String::new(),
        }
    }

    /// The candidate closest to the targets: within the false-alarm rate, the most power
    /// against its hardest regression.
    fn closest(&self) -> Option<&Candidate> {
        self.plan
            .candidates
            .iter()
            .filter(|c| c.false_alarms.share <= self.plan.targets.false_alarm)
            .max_by(|a, b| a.weakest_power().total_cmp(&b.weakest_power()))
    }

    /// Per size rehearsed: the layer's own judge and the best one, against each duration.
    fn power_table(&self) -> String {
        let p = self.plan;
        let durations: Vec<_> = {
            let mut d: Vec<_> = p.candidates.iter().map(|c| c.duration).collect();
            d.sort_unstable();
            d.dedup();
            d
        };
        let mut header = vec!["canary".to_string()];
        header.extend(durations.iter().map(|d| d.to_string()));
        header.push("judge".to_string());
        let mut rows = vec![header];
        for (instances, j) in p.shown() {
            let line = p.line(instances, j);
            let mut row = vec![format!(
                "{} ({:.1}%)",
                instances,
                line.first().map_or(0.0, |c| c.traffic_percent)
            )];
            row.extend(durations.iter().map(|d| {
                line.iter()
                    .find(|c| c.duration == *d)
                    .map_or_else(String::new, |c| {
                        let caught: Vec<String> = c
                            .regressions
                            .iter()
                            .map(|r| format!("{}/{}", r.caught.hits, r.caught.runs))
                            .collect();
                        format!(
                            "{} · {}{}",
                            caught.join(" "),
                            c.false_alarms.hits,
                            if c.meets_targets { " ✓" } else { "" }
                        )
                    })
            }));
            let own = if Some(j) == p.own_judge && self.imported.is_none() {
                " (the layer's own)"
            } else {
                ""
            };
            row.push(format!("{}{own}", p.judges[j].name));
            rows.push(row);
        }
        let mut table = format!(
            "Caught / runs for {} · healthy runs failed (✓ meets the targets); `--json` has every judge:\n{}",
            p.regressions.join(", "),
            crate::report::text_table(&rows)
        );
        if !table.ends_with('\n') {
            table.push('\n');
        }
        table
    }

    /// The plan as JSON.
    pub fn json(&self) -> Value {
        json!({
            "hour": self.hour,
            "first_seed": self.seed,
            "imported": self.imported,
            "plan": self.plan,
        })
    }
}

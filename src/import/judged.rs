//! What a rehearsal of an imported rollout judges, read from the resulting analysis
//! section, never from the file: the header printed above the section, and the line
//! `run` prints, therefore cannot contradict what the rehearsal does.
//!
//! Each of rollsim's checks is either judged (with its limit, in words) or not judged
//! (opened so that it never fails, as the import does for checks the tool lacks).

use super::{NEVER_FAILING_CRASHES, NEVER_FAILING_P99_RATIO};
use crate::scenario::rollout::{AnalysisSpec, JudgeKind};

/// The checks of an analysis, judged and not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// Each check that can fail, with its limit: `error rate above 2%`.
    pub judged: Vec<String>,
    /// Each check that never fails: `latency`, `crashes`.
    pub not_judged: Vec<String>,
}

impl Judged {
    /// `Judged: …. Not judged: ….` in one sentence each.
    pub fn sentence(&self) -> String {
        let judged = if self.judged.is_empty() {
            "Judged: nothing (no check can fail; the rollout promotes on readiness alone)."
                .to_string()
        } else {
            format!("Judged: {}.", self.judged.join("; "))
        };
        if self.not_judged.is_empty() {
            judged
        } else {
            format!("{judged} Not judged: {}.", self.not_judged.join(", "))
        }
    }
}

/// What `analysis` judges.
pub fn judged(analysis: &AnalysisSpec) -> Judged {
    let mut judged = Vec::new();
    let mut not_judged = Vec::new();
    if analysis.judge == JudgeKind::MannWhitney {
        judged.push(format!(
            "error rate and latency against the old version by Mann-Whitney (pass score {}, \
             tolerance {}%)",
            analysis.pass_score,
            analysis.tolerance * 100.0
        ));
    } else {
        let mut errors = Vec::new();
        if analysis.max_error_rate < 1.0 {
            errors.push(format!(
                "error rate above {}%",
                percent(analysis.max_error_rate)
            ));
        }
        if analysis.max_error_rate_increase < 1.0 {
            errors.push(format!(
                "error rate more than {} points above the old version's",
                percent(analysis.max_error_rate_increase)
            ));
        }
        if errors.is_empty() {
            not_judged.push("errors".to_string());
        } else {
            judged.extend(errors);
        }
        if analysis.max_latency_p99_ratio < NEVER_FAILING_P99_RATIO {
            judged.push(format!(
                "p99 latency above {} × the old version's",
                analysis.max_latency_p99_ratio
            ));
        } else {
            not_judged.push("latency".to_string());
        }
    }
    if analysis.max_crashes < NEVER_FAILING_CRASHES {
        judged.push(format!(
            "{} crash{} of new instances",
            analysis.max_crashes,
            if analysis.max_crashes == 1 { "" } else { "es" }
        ));
    } else {
        not_judged.push("crashes".to_string());
    }
    if !judged.is_empty() {
        let checks = analysis.failure_limit;
        judged.push(format!(
            "{checks} failed check{} in a row abort{}",
            if checks == 1 { "" } else { "s" },
            if checks == 1 { "s" } else { "" }
        ));
    }
    Judged { judged, not_judged }
}

/// `0.015` as `1.5`.
fn percent(share: f64) -> String {
    let value = (share * 1e6).round() / 1e4;
    format!("{value}")
}

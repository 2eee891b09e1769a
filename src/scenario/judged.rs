//! What a rollout's analysis judges, in words, read from the analysis section itself:
//! the header `import` prints above a section, the line `run --rollout` prints, and the
//! report of a defective release that was promoted therefore cannot contradict what the
//! rehearsal does.
//!
//! Each of rollsim's checks is either judged (with its limit) or not judged: opened so
//! that it never fails (an error rate limit of 100%, a p99 ratio of
//! [`NEVER_FAILING_P99_RATIO`], [`NEVER_FAILING_CRASHES`] crashes), as the import does
//! for checks the other tool does not make. [`missed_defect`] then says, for a defective
//! release that was promoted, which check could have caught it.

use super::rollout::{AnalysisSpec, FailureCounting, JudgeKind, ReleaseSpec};

/// A p99 ratio that no version reaches: "latency is not judged".
pub const NEVER_FAILING_P99_RATIO: f64 = 1000.0;
/// Crashes that no rehearsal reaches: "crashes are not judged".
pub const NEVER_FAILING_CRASHES: u32 = 1_000_000;

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
        // One failed check is one whichever way they count.
        let counted = match analysis.failure_counting {
            _ if checks == 1 => " in a row",
            FailureCounting::Consecutive => " in a row",
            FailureCounting::Total => " in all",
        };
        judged.push(format!(
            "{checks} failed check{}{counted} abort{}",
            if checks == 1 { "" } else { "s" },
            if checks == 1 { "s" } else { "" }
        ));
    }
    Judged { judged, not_judged }
}

/// Why a defective `release` got past `analysis`: each of its defects whose check is
/// not judged, with the field that would judge it; or, if every such check is judged,
/// that the defect stayed within their limits. `None` for a healthy release.
pub fn missed_defect(release: &ReleaseSpec, analysis: &AnalysisSpec) -> Option<String> {
    if release.is_healthy() {
        return None;
    }
    let checks = judged(analysis);
    let not = |what: &str| checks.not_judged.iter().any(|n| n == what);
    let mut unjudged = Vec::new();
    if (release.error_rate > 0.0 || release.leak.is_some()) && not("errors") {
        unjudged.push("its errors: errors are not judged (set analysis.max_error_rate)");
    }
    if (release.latency_factor > 1.0 || release.capacity_factor < 1.0) && not("latency") {
        unjudged.push("its slowness: latency is not judged (set analysis.max_latency_p99_ratio)");
    }
    if release.crash_after.is_some() && not("crashes") {
        unjudged.push("its crashes: crashes are not judged (set analysis.max_crashes)");
    }
    Some(if unjudged.is_empty() {
        "the release is defective but stayed within every limit that judges its defects \
         (or was judged before they showed)"
            .to_string()
    } else {
        format!(
            "the release is defective and nothing judged {}",
            unjudged.join("; nor ")
        )
    })
}

/// `0.015` as `1.5`.
fn percent(share: f64) -> String {
    let value = (share * 1e6).round() / 1e4;
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opened_check_is_said_not_judged() {
        let mut analysis = AnalysisSpec::default();
        let all = judged(&analysis);
        assert!(all.not_judged.is_empty(), "{all:?}");
        assert!(
            all.sentence().contains("error rate above 1%"),
            "{}",
            all.sentence()
        );
        analysis.max_latency_p99_ratio = NEVER_FAILING_P99_RATIO;
        analysis.max_crashes = NEVER_FAILING_CRASHES;
        let some = judged(&analysis);
        assert_eq!(some.not_judged, ["latency", "crashes"]);
        analysis.max_error_rate = 1.0;
        analysis.max_error_rate_increase = 1.0;
        let none = judged(&analysis);
        assert!(none.judged.is_empty());
        assert!(
            none.sentence().starts_with("Judged: nothing"),
            "{}",
            none.sentence()
        );
    }

    #[test]
    fn a_missed_defect_names_the_check_that_was_open() {
        let mut analysis = AnalysisSpec {
            max_latency_p99_ratio: NEVER_FAILING_P99_RATIO,
            ..AnalysisSpec::default()
        };
        let slow = ReleaseSpec {
            latency_factor: 3.0,
            ..ReleaseSpec::default()
        };
        assert_eq!(missed_defect(&ReleaseSpec::default(), &analysis), None);
        let why = missed_defect(&slow, &analysis).unwrap();
        assert!(why.contains("latency is not judged"), "{why}");
        analysis.max_latency_p99_ratio = 1.5;
        let why = missed_defect(&slow, &analysis).unwrap();
        assert!(why.contains("stayed within every limit"), "{why}");
    }
}

//! From replayed decisions to answers: per candidate canary (its size, its judge, its
//! duration), the share of rehearsals in which each regression was caught (its power)
//! and in which a healthy release was failed (its false-alarm rate), each with a 95%
//! Wilson interval, what the canary costs, and whether it meets the targets.

use serde::Serialize;

use crate::engine::SimDuration;
use crate::stats::wilson;

use super::replay::Decided;

/// `hits` of `n` rehearsals, with the 95% Wilson interval of the share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    /// Rehearsals in which it happened.
    pub hits: usize,
    /// Rehearsals.
    pub runs: usize,
    /// `hits ÷ runs`.
    pub share: f64,
    /// The 95% Wilson interval of the share.
    pub ci95: (f64, f64),
}

impl Share {
    /// The share of `decided` whose step failed.
    pub(crate) fn failed(decided: &[Decided]) -> Share {
        let hits = decided.iter().filter(|d| d.failed_after.is_some()).count();
        let runs = decided.len();
        Share {
            hits,
            runs,
            share: if runs == 0 {
                0.0
            } else {
                hits as f64 / runs as f64
            },
            ci95: if runs == 0 {
                (0.0, 1.0)
            } else {
                wilson(hits, runs)
            },
        }
    }
}

/// How a candidate fared against one regression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Against {
    /// Rehearsals in which the step failed: the regression was caught.
    pub caught: Share,
    /// Mean time from the canary taking traffic to the step failing, over the caught
    /// rehearsals (seconds).
    pub detection_time_s: Option<f64>,
    /// Mean requests the canary served, and mean failed, until the step ended.
    pub bad_version_requests: f64,
    pub failed_requests: f64,
}

impl Against {
    pub(crate) fn of(decided: &[Decided]) -> Against {
        let caught: Vec<f64> = decided
            .iter()
            .filter_map(|d| d.failed_after.map(|t| t.as_secs_f64()))
            .collect();
        let mean = |f: fn(&Decided) -> u64| {
            decided.iter().map(|d| f(d) as f64).sum::<f64>() / decided.len().max(1) as f64
        };
        Against {
            caught: Share::failed(decided),
            detection_time_s: (!caught.is_empty())
                .then(|| caught.iter().sum::<f64>() / caught.len() as f64),
            bad_version_requests: mean(|d| d.canary_requests),
            failed_requests: mean(|d| d.canary_errors),
        }
    }
}

/// One candidate canary and what the rehearsals say of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Instances of the canary, and the share of traffic they take (percent).
    pub instances: u32,
    pub traffic_percent: f64,
    /// The judge (index into the question's judges) and its name.
    pub judge: usize,
    pub judge_name: String,
    /// How long the canary step lasts (its judge's warm-up delay included).
    pub duration: SimDuration,
    /// Per regression, in the order asked.
    pub regressions: Vec<Against>,
    /// Healthy rehearsals whose step failed: false alarms.
    pub false_alarms: Share,
    /// Requests a healthy canary serves over the step (mean).
    pub new_version_requests: f64,
    /// Instance-hours of the canary's instances over the step.
    pub canary_instance_hours: f64,
    /// Whether every regression is caught with at least the power asked and a healthy
    /// release is failed at most at the false-alarm rate allowed (shares of the runs).
    pub meets_targets: bool,
}

impl Candidate {
    /// Its power against the regression it catches least often (1 without regressions).
    pub fn weakest_power(&self) -> f64 {
        self.regressions
            .iter()
            .map(|r| r.caught.share)
            .fold(1.0, f64::min)
    }
}

/// The targets a candidate must meet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    /// Least share of defective rehearsals caught, for every regression.
    pub power: f64,
    /// Largest share of healthy rehearsals failed.
    pub false_alarm: f64,
}

impl Targets {
    pub(crate) fn met(&self, regressions: &[Against], false_alarms: &Share) -> bool {
        regressions.iter().all(|r| r.caught.share >= self.power)
            && false_alarms.share <= self.false_alarm
    }

    /// Whether more rehearsals could still make it meet the targets: every regression's
    /// interval reaches the power and the false alarms' reaches the allowed rate.
    pub(crate) fn reachable(&self, regressions: &[Against], false_alarms: &Share) -> bool {
        regressions.iter().all(|r| r.caught.ci95.1 >= self.power)
            && false_alarms.ci95.0 <= self.false_alarm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(failed_s: Option<u64>) -> Decided {
        Decided {
            failed_after: failed_s.map(SimDuration::from_secs),
            canary_requests: 1000,
            canary_errors: 10,
        }
    }

    #[test]
    fn power_is_the_share_caught_with_its_interval_and_detection_time() {
        let runs = [
            decided(Some(60)),
            decided(Some(120)),
            decided(None),
            decided(None),
        ];
        let against = Against::of(&runs);
        assert_eq!((against.caught.hits, against.caught.runs), (2, 4));
        assert_eq!(against.caught.share, 0.5);
        assert!(against.caught.ci95.0 < 0.5 && against.caught.ci95.1 > 0.5);
        assert_eq!(against.detection_time_s, Some(90.0));
        assert_eq!(against.failed_requests, 10.0);
    }

    #[test]
    fn targets_are_met_by_shares_and_reachable_by_intervals() {
        let targets = Targets {
            power: 0.95,
            false_alarm: 0.01,
        };
        let all_caught = Against::of(&vec![decided(Some(60)); 20]);
        let none_failed = Share::failed(&vec![decided(None); 20]);
        assert!(targets.met(std::slice::from_ref(&all_caught), &none_failed));
        let mut nine_of_ten = vec![decided(Some(60)); 9];
        nine_of_ten.push(decided(None));
        let nine_of_ten = Against::of(&nine_of_ten);
        assert!(!targets.met(std::slice::from_ref(&nine_of_ten), &none_failed));
        assert!(targets.reachable(std::slice::from_ref(&nine_of_ten), &none_failed));
        let none_caught = Against::of(&vec![decided(None); 20]);
        assert!(!targets.reachable(&[none_caught], &none_failed));
    }
}

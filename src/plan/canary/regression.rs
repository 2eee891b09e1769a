//! The regressions a canary is asked to catch, as a user names them on the command line
//! (`--detect`), and the defective release each stands for in the model.
//!
//! - `errors+0.5%`: the new version fails 0.5% of its requests on top of whatever the
//!   layer's background noise already fails (`release.error_rate`).
//! - `p99x1.5` (or `latency x1.5`): the new version's service time is 1.5× the old
//!   one's (`release.latency_factor`); its own p99 grows by about that factor where
//!   queueing and the calls it makes below are small beside its own work, by less where
//!   they are not.
//! - `leak after 20m`: errors that begin once an instance has been up 20 minutes and
//!   grow over 5 minutes to 50% (`release.leak`, as the bake-time study's leak).

use std::fmt;
use std::str::FromStr;

use crate::engine::SimDuration;
use crate::scenario::rollout::{LeakSpec, ReleaseSpec};

/// A regression to catch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regression {
    /// This many more failed requests, in percent of its requests (0.5 = half a percent).
    Errors(f64),
    /// Service time multiplied by this factor.
    Latency(f64),
    /// Errors from this much instance uptime on.
    Leak(SimDuration),
}

/// How long a leak takes from its onset to its full error rate.
pub const LEAK_RAMP: SimDuration = SimDuration::from_mins(5);

/// A leak's error rate once full-blown.
pub const LEAK_MAX_ERROR_RATE: f64 = 0.5;

impl Regression {
    /// The defective release that has this regression.
    pub fn release(&self) -> ReleaseSpec {
        match *self {
            Regression::Errors(percent) => ReleaseSpec {
                error_rate: percent / 100.0,
                ..ReleaseSpec::default()
            },
            Regression::Latency(factor) => ReleaseSpec {
                latency_factor: factor,
                ..ReleaseSpec::default()
            },
            Regression::Leak(onset) => ReleaseSpec {
                leak: Some(LeakSpec {
                    onset,
                    ramp: LEAK_RAMP,
                    max_error_rate: LEAK_MAX_ERROR_RATE,
                }),
                ..ReleaseSpec::default()
            },
        }
    }
}

impl fmt::Display for Regression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Regression::Errors(percent) => write!(f, "errors+{percent}%"),
            Regression::Latency(factor) => write!(f, "p99x{factor}"),
            Regression::Leak(onset) => write!(f, "leak after {onset}"),
        }
    }
}

const ALLOWED: &str = "allowed: `errors+P%` (0 < P ≤ 100), `p99xF` or `latency xF` (1 < F ≤ 100), \
                       `leak after DURATION`";

impl FromStr for Regression {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let spec = text.trim().to_ascii_lowercase();
        let bad = |why: &str| format!("--detect {text:?}: {why}; {ALLOWED}");
        if let Some(rest) = spec.strip_prefix("errors+") {
            let number = rest
                .strip_suffix('%')
                .ok_or_else(|| bad("an error rate ends in %"))?;
            let pct: f64 = number.trim().parse().map_err(|_| bad("not a percentage"))?;
            if !(pct > 0.0 && pct <= 100.0) {
                return Err(bad("the percentage is out of range"));
            }
            return Ok(Regression::Errors(pct));
        }
        let latency = spec
            .strip_prefix("p99x")
            .or_else(|| spec.strip_prefix("latency x"))
            .or_else(|| spec.strip_prefix("latencyx"));
        if let Some(rest) = latency {
            let factor: f64 = rest.trim().parse().map_err(|_| bad("not a factor"))?;
            if !(factor > 1.0 && factor <= 100.0) {
                return Err(bad("the factor is out of range"));
            }
            return Ok(Regression::Latency(factor));
        }
        if let Some(rest) = spec.strip_prefix("leak after") {
            let onset: SimDuration = rest.trim().parse().map_err(|e| bad(&format!("{e}")))?;
            if onset.is_zero() || onset > SimDuration::from_hours(24 * 7) {
                return Err(bad("the onset must be within a week"));
            }
            return Ok(Regression::Leak(onset));
        }
        Err(bad("not a regression"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regressions_read_as_users_write_them_and_print_back() {
        for (text, expected) in [
            ("errors+0.5%", Regression::Errors(0.5)),
            ("Errors+2%", Regression::Errors(2.0)),
            ("p99x1.5", Regression::Latency(1.5)),
            ("latency x2", Regression::Latency(2.0)),
            (
                "leak after 20m",
                Regression::Leak(SimDuration::from_mins(20)),
            ),
        ] {
            let parsed: Regression = text.parse().unwrap();
            assert_eq!(parsed, expected, "{text}");
            assert_eq!(parsed.to_string().parse::<Regression>().unwrap(), expected);
        }
    }

    #[test]
    fn a_wrong_regression_says_what_is_allowed() {
        for text in [
            "errors+0%",
            "errors+5",
            "p99x0.5",
            "leak after soon",
            "slower",
        ] {
            let error = text.parse::<Regression>().unwrap_err();
            assert!(error.contains(text) && error.contains("allowed"), "{error}");
        }
    }

    #[test]
    fn each_regression_is_a_defective_release() {
        assert!(!Regression::Errors(1.0).release().is_healthy());
        assert!(!Regression::Latency(1.5).release().is_healthy());
        assert!(
            !Regression::Leak(SimDuration::from_mins(5))
                .release()
                .is_healthy()
        );
    }
}

//! Rates of events (arrivals, requests) per unit of virtual time.
//!
//! A [`Rate`] is a number of events per second between [`MIN_PER_SECOND`] (one per
//! ~32 years) and 10^12. It parses from the forms people write: `"1200/s"`, `"50/ms"`,
//! `"6000/min"`, `"3/h"`, or a bare number meaning per second; like durations, the
//! text takes no exponent (`1e-3/s`: write `0.001/s` or `3.6/h`). Zero, negative,
//! infinite, NaN and vanishingly small rates are errors, so a model can never divide by
//! a zero rate or print a rate with hundreds of digits.
//!
//! ```
//! use rollsim::engine::Rate;
//! let rate: Rate = "6000/min".parse().unwrap();
//! assert_eq!(rate.per_second(), 100.0);
//! assert_eq!(rate.mean_interval().to_string(), "10ms");
//! assert!("0/s".parse::<Rate>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use super::time::SimDuration;

/// The smallest rate, per second: one event per ~32 years.
pub const MIN_PER_SECOND: f64 = 1e-9;

/// Events per second; always positive and finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Rate(f64);

/// Why a rate was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "invalid rate {input:?}: {reason}; write a positive number per unit, e.g. \"1200/s\", \"50/ms\", \"6000/min\", \"3/h\""
)]
pub struct RateError {
    /// The text or number as given.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

impl Rate {
    /// `per_second` events per second; must be positive and finite.
    pub fn per_second_checked(per_second: f64) -> Result<Rate, RateError> {
        if per_second.is_nan() || per_second <= 0.0 {
            return Err(RateError {
                input: per_second.to_string(),
                reason: "a rate must be positive".into(),
            });
        }
        if per_second < MIN_PER_SECOND {
            return Err(RateError {
                // Not in full: that could be hundreds of digits.
                input: format!("{per_second:e}"),
                reason: "a rate must be at least one per ~32 years (0.000000001/s)".into(),
            });
        }
        if !per_second.is_finite() || per_second > 1e12 {
            return Err(RateError {
                input: per_second.to_string(),
                reason: "a rate must be at most 10^12 per second".into(),
            });
        }
        Ok(Rate(per_second))
    }

    /// Events per second.
    pub fn per_second(self) -> f64 {
        self.0
    }

    /// The mean time between events, 1 / rate.
    pub fn mean_interval(self) -> SimDuration {
        SimDuration::from_secs_f64(1.0 / self.0)
    }

    /// This rate multiplied by `factor` (e.g. a daily shape), if the result is a valid rate.
    pub fn scaled(self, factor: f64) -> Result<Rate, RateError> {
        Rate::per_second_checked(self.0 * factor)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| RateError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let text = input.trim();
        let (number, unit) = text.split_once('/').unwrap_or((text, "s"));
        let seconds_per_unit = match unit.trim() {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" | "hr" => 3600.0,
            "d" | "day" => 86_400.0,
            _ => return Err(fail("unknown unit after '/'")),
        };
        let count: f64 = number.trim().parse().map_err(|_| fail("not a number"))?;
        if number.contains(['e', 'E']) {
            return Err(fail(
                "a rate takes no exponent (as durations do not); write the number in full \
                 or use a larger unit, e.g. 0.001/s or 3.6/h",
            ));
        }
        Rate::per_second_checked(count / seconds_per_unit).map_err(|e| fail(&e.reason))
    }
}

impl serde::Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Rate {
    /// Accepts `"1200/s"`-style strings and bare numbers (per second).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Rate::per_second_checked(n),
            Raw::Text(t) => t.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_in_any_unit() {
        assert_eq!("1200/s".parse::<Rate>().unwrap().per_second(), 1200.0);
        assert_eq!("50/ms".parse::<Rate>().unwrap().per_second(), 50_000.0);
        assert_eq!("3600/h".parse::<Rate>().unwrap().per_second(), 1.0);
        assert_eq!("250".parse::<Rate>().unwrap().per_second(), 250.0);
        assert_eq!(
            Rate::per_second_checked(4.0)
                .unwrap()
                .mean_interval()
                .to_string(),
            "250ms"
        );
    }

    #[test]
    fn non_positive_rates_are_refused_with_the_reason() {
        for input in ["0/s", "-5/s", "0", "-0.1"] {
            let err = input.parse::<Rate>().unwrap_err().to_string();
            assert!(err.contains("must be positive"), "{input}: {err}");
        }
        assert!(
            "NaN/s"
                .parse::<Rate>()
                .unwrap_err()
                .to_string()
                .contains("must be positive")
        );
        assert!(
            "inf/s"
                .parse::<Rate>()
                .unwrap_err()
                .to_string()
                .contains("at most")
        );
        assert!(
            "fast"
                .parse::<Rate>()
                .unwrap_err()
                .to_string()
                .contains("not a number")
        );
        assert!(
            "5/week"
                .parse::<Rate>()
                .unwrap_err()
                .to_string()
                .contains("unknown unit")
        );
        assert!(Rate::per_second_checked(0.0).is_err());
        for input in ["1e-300/s", "1E3/s", "2.5e2"] {
            let err = input.parse::<Rate>().unwrap_err().to_string();
            assert!(err.contains("no exponent"), "{input}: {err}");
        }
        let err = Rate::per_second_checked(1e-300).unwrap_err().to_string();
        assert!(err.contains("at least one per ~32 years"), "{err}");
        assert!(format!("{}", "1/day".parse::<Rate>().unwrap()).len() < 30);
        assert!(Rate::per_second_checked(10.0).unwrap().scaled(0.0).is_err());
    }
}

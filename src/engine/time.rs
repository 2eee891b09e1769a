//! Virtual time: integer nanoseconds, so that sums are exact and ties are real ties.
//!
//! - [`SimTime`] is an instant on the virtual clock (nanoseconds since the run began).
//! - [`SimDuration`] is a span between two instants.
//!
//! Both are plain `u64` nanoseconds (up to ~584 years). Arithmetic saturates instead of
//! wrapping, so a pathological heavy-tail sample can never move time backwards.
//!
//! Durations parse from and print to the form people write: `"250ms"`, `"5m"`,
//! `"1h30m"`, `"1.5s"`. Printing is exact and round-trips through parsing.
//!
//! ```
//! use rollsim::engine::SimDuration;
//! let d: SimDuration = "1h30m".parse().unwrap();
//! assert_eq!(d.as_secs_f64(), 5400.0);
//! assert_eq!(d.to_string(), "1h30m");
//! assert_eq!("1.5s".parse::<SimDuration>().unwrap().to_string(), "1s500ms");
//! assert!("5 parsecs".parse::<SimDuration>().is_err());
//! ```

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

/// Nanoseconds in one unit, for every unit a duration may be written in, largest first.
const UNITS: [(&str, u64); 7] = [
    ("d", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

/// A span of virtual time, in whole nanoseconds.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

/// An instant of virtual time: nanoseconds since the start of the run.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span (~584 years).
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A span of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }
    /// A span of `micros` microseconds (saturating).
    pub const fn from_micros(micros: u64) -> Self {
        SimDuration(micros.saturating_mul(1_000))
    }
    /// A span of `millis` milliseconds (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        SimDuration(millis.saturating_mul(1_000_000))
    }
    /// A span of `secs` seconds (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs.saturating_mul(1_000_000_000))
    }
    /// A span of `mins` minutes (saturating).
    pub const fn from_mins(mins: u64) -> Self {
        SimDuration(mins.saturating_mul(60_000_000_000))
    }
    /// A span of `hours` hours (saturating).
    pub const fn from_hours(hours: u64) -> Self {
        SimDuration(hours.saturating_mul(3_600_000_000_000))
    }
    /// The span nearest to `nanos` nanoseconds; negative or NaN gives zero, huge saturates.
    pub fn from_nanos_f64(nanos: f64) -> Self {
        // `as` saturates for out-of-range floats and maps NaN to 0.
        SimDuration(nanos.round() as u64)
    }
    /// The span nearest to `secs` seconds; negative or NaN gives zero, huge saturates.
    pub fn from_secs_f64(secs: f64) -> Self {
        Self::from_nanos_f64(secs * 1e9)
    }
    /// Whole nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Nanoseconds as a float (for statistics).
    pub fn as_nanos_f64(self) -> f64 {
        self.0 as f64
    }
    /// Seconds as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Milliseconds as a float.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// Whether the span is empty.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_add(other.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }
    /// `self - other`, or zero if `other` is longer.
    pub const fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
    /// `self × k`, saturating.
    pub const fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
}

impl SimTime {
    /// The instant the run begins.
    pub const ZERO: SimTime = SimTime(0);
    /// The last representable instant; "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }
    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds since the start, as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// The span from the start of the run to this instant.
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }
    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// The span between two instants; saturates at zero if `earlier` is later.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.saturating_since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, other: SimDuration) {
        *self = *self + other;
    }
}

impl fmt::Display for SimDuration {
    /// Exact, compact, largest unit first: `1h30m`, `250ms`, `1s500ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit, nanos) in UNITS {
            let count = rest / nanos;
            if count > 0 {
                write!(f, "{count}{unit}")?;
                rest -= count * nanos;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for SimTime {
    /// The instant as the span since the start, prefixed with `t=`: `t=1h30m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", self.since_start())
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {input:?}: {reason}; write a number and a unit (ns, us, ms, s, m, h, d), e.g. \"250ms\", \"5m\", \"1h30m\", \"1.5s\""
)]
pub struct ParseDurationError {
    /// The text as given.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

impl FromStr for SimDuration {
    type Err = ParseDurationError;

    /// Parses one or more `<number><unit>` parts, optionally separated by spaces.
    /// Numbers may have a fraction (`1.5s`) as long as the result is whole nanoseconds.
    /// A bare `0` is zero.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| ParseDurationError {
            input: input.to_string(),
            reason,
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail("it is empty".into()));
        }
        if text == "0" {
            return Ok(SimDuration::ZERO);
        }
        if text.starts_with('-') {
            return Err(fail("durations cannot be negative".into()));
        }
        let mut total: u128 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            rest = rest.trim_start();
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let number = &rest[..number_len];
            rest = &rest[number_len..];
            let unit_len = rest
                .find(|c: char| !c.is_ascii_alphabetic() && c != 'µ')
                .unwrap_or(rest.len());
            let unit = &rest[..unit_len];
            rest = &rest[unit_len..];
            if number.is_empty() && unit.is_empty() {
                let c = rest.chars().next().unwrap_or(' ');
                return Err(fail(format!("unexpected character {c:?}")));
            }
            if number.is_empty() {
                return Err(fail(format!("expected a number before {unit:?}")));
            }
            if unit.is_empty() {
                return Err(fail(format!("the number {number} has no unit")));
            }
            let unit_nanos =
                unit_nanos(unit).ok_or_else(|| fail(format!("unknown unit {unit:?}")))?;
            total += part_nanos(number, unit_nanos).map_err(&fail)?;
            if total > u64::MAX as u128 {
                return Err(fail(
                    "it is longer than the longest duration (~584 years)".into(),
                ));
            }
        }
        Ok(SimDuration(total as u64))
    }
}

/// Nanoseconds in `unit`, accepting the usual spellings.
fn unit_nanos(unit: &str) -> Option<u64> {
    let canonical = match unit {
        "ns" | "nsec" => "ns",
        "us" | "µs" | "usec" => "us",
        "ms" | "msec" => "ms",
        "s" | "sec" | "secs" => "s",
        "m" | "min" | "mins" => "m",
        "h" | "hr" | "hrs" => "h",
        "d" | "day" | "days" => "d",
        _ => return None,
    };
    UNITS.iter().find(|(u, _)| *u == canonical).map(|(_, n)| *n)
}

/// Exact nanoseconds in `number` (decimal, maybe with a fraction) of a unit of `unit_nanos`.
fn part_nanos(number: &str, unit_nanos: u64) -> Result<u128, String> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
        return Err(format!("{number:?} is not a number"));
    }
    if whole.len() > 20 || fraction.len() > 18 {
        return Err(format!("{number:?} has too many digits"));
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("{number:?} is not a number"))?
    };
    let mut nanos = whole * unit_nanos as u128;
    if !fraction.is_empty() {
        let digits: u128 = fraction
            .parse()
            .map_err(|_| format!("{number:?} is not a number"))?;
        let scale = 10u128.pow(fraction.len() as u32);
        let scaled = digits * unit_nanos as u128;
        if !scaled.is_multiple_of(scale) {
            return Err(format!("{number:?} is finer than one nanosecond"));
        }
        nanos += scaled / scale;
    }
    Ok(nanos)
}

super::serde_via_str!(SimDuration);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> SimDuration {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_forms_people_write() {
        assert_eq!(parse("250ms"), SimDuration::from_millis(250));
        assert_eq!(parse("5m"), SimDuration::from_mins(5));
        assert_eq!(parse("1h30m"), SimDuration::from_mins(90));
        assert_eq!(parse("1h 30m"), SimDuration::from_mins(90));
        assert_eq!(parse("1.5s"), SimDuration::from_millis(1500));
        assert_eq!(parse("0.25ms"), SimDuration::from_micros(250));
        assert_eq!(parse("2d"), SimDuration::from_hours(48));
        assert_eq!(parse("10us"), SimDuration::from_micros(10));
        assert_eq!(parse("10µs"), SimDuration::from_micros(10));
        assert_eq!(parse("0"), SimDuration::ZERO);
        assert_eq!(parse("0s"), SimDuration::ZERO);
        assert_eq!(parse(" 30s "), SimDuration::from_secs(30));
    }

    #[test]
    fn prints_exactly_and_compactly() {
        assert_eq!(SimDuration::from_mins(90).to_string(), "1h30m");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1s500ms");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
        assert_eq!(SimDuration::from_nanos(1).to_string(), "1ns");
        assert_eq!(SimTime::from_nanos(5_000_000_000).to_string(), "t=5s");
    }

    #[test]
    fn rejects_bad_durations_with_the_reason() {
        let cases = [
            ("", "empty"),
            ("5", "no unit"),
            ("5x", "unknown unit \"x\""),
            ("ms", "expected a number"),
            ("-5s", "negative"),
            ("1.2.3s", "not a number"),
            ("0.5ns", "finer than one nanosecond"),
            ("600y", "unknown unit"),
            ("100000000d", "longest duration"),
            ("5s!", "unexpected character '!'"),
        ];
        for (input, reason) in cases {
            let err = input.parse::<SimDuration>().unwrap_err();
            let message = err.to_string();
            assert!(message.contains(reason), "{input:?}: {message}");
            assert!(message.contains("e.g. \"250ms\""), "{input:?}: {message}");
        }
    }

    proptest::proptest! {
        /// Every duration prints to text that parses back to exactly it.
        #[test]
        fn printing_round_trips_through_parsing(nanos in proptest::prelude::any::<u64>()) {
            let d = SimDuration::from_nanos(nanos);
            proptest::prop_assert_eq!(d.to_string().parse::<SimDuration>().unwrap(), d);
        }

        /// Arbitrary text never panics the parser.
        #[test]
        fn parsing_never_panics(text in "\\PC{0,24}") {
            let _ = text.parse::<SimDuration>();
        }
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!(SimTime::ZERO - SimTime::from_nanos(5), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(1e30), SimDuration::MAX);
    }
}

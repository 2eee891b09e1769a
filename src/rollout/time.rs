//! The controller's clock: an [`Instant`] is whole nanoseconds since the run's time
//! zero, on whichever clock drives the controller. The simulator's driver fills it
//! from the virtual clock, the live driver from real time (to the millisecond); the
//! controller cannot tell which, and never reads a clock itself.
//!
//! Spans between instants are [`SimDuration`]s, the model file's durations (the
//! settings a controller is given are written in them). Arithmetic saturates, as the
//! engine's does, and an instant prints as the span since time zero: `t=1h30m`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use crate::engine::{SimDuration, SimTime};

/// An instant on the controller's clock: nanoseconds since the run's time zero.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The run's time zero.
    pub const ZERO: Instant = Instant(0);
    /// The last representable instant; "never".
    pub const MAX: Instant = Instant(u64::MAX);

    /// The instant `nanos` nanoseconds after time zero.
    pub const fn from_nanos(nanos: u64) -> Self {
        Instant(nanos)
    }

    /// The instant `millis` milliseconds after time zero (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Instant(millis.saturating_mul(1_000_000))
    }

    /// Nanoseconds since time zero.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since time zero, as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// The span from time zero to this instant.
    pub const fn since_start(self) -> SimDuration {
        SimDuration::from_nanos(self.0)
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> SimDuration {
        SimDuration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<SimDuration> for Instant {
    type Output = Instant;
    fn add(self, d: SimDuration) -> Instant {
        Instant(self.0.saturating_add(d.as_nanos()))
    }
}

impl AddAssign<SimDuration> for Instant {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<Instant> for Instant {
    type Output = SimDuration;
    /// The span between two instants; saturates at zero if `earlier` is later.
    fn sub(self, earlier: Instant) -> SimDuration {
        self.saturating_since(earlier)
    }
}

/// The simulator's driver reads the controller's time off the virtual clock.
impl From<SimTime> for Instant {
    fn from(t: SimTime) -> Instant {
        Instant(t.as_nanos())
    }
}

/// A controller's instant placed on the simulated world's timeline (reports and
/// metrics line the rollout's times up with the world's series).
impl From<Instant> for SimTime {
    fn from(t: Instant) -> SimTime {
        SimTime::from_nanos(t.0)
    }
}

impl fmt::Display for Instant {
    /// The instant as the span since time zero, prefixed with `t=`: `t=1h30m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", self.since_start())
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_prints_as_the_virtual_clock_does() {
        let at = Instant::ZERO + SimDuration::from_mins(90);
        assert_eq!(at.to_string(), SimTime::from(at).to_string());
        assert_eq!(Instant::from_millis(20_002).to_string(), "t=20s2ms");
    }

    #[test]
    fn spans_between_instants_saturate_at_zero() {
        let (early, late) = (Instant::from_millis(1_000), Instant::from_millis(3_000));
        assert_eq!(late - early, SimDuration::from_secs(2));
        assert_eq!(early - late, SimDuration::ZERO);
        assert_eq!(
            Instant::from_nanos(u64::MAX) + SimDuration::from_secs(1),
            Instant::from_nanos(u64::MAX)
        );
    }
}

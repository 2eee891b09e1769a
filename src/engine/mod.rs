//! The discrete-event engine: virtual time, the event queue, seeded randomness and
//! duration distributions. It knows nothing of clouds, instances or rollouts.
//!
//! # How the pieces move
//! 1. A model draws a [`RngStreams`] from its seed and takes one [`SimRng`] per consumer.
//! 2. It schedules its first events on a [`Scheduler`] (a clock over an [`EventQueue`]).
//! 3. Its loop pops the earliest event, the clock jumps to that [`SimTime`], and the
//!    handler samples [`DurationDist`]s to schedule what happens next.
//!
//! Time is integer nanoseconds; ties pop in scheduling order; so the same seed gives
//! the same run, byte for byte.

/// Implements serde for a type through its `FromStr` and `Display`, so model files
/// write it as the same text the CLI accepts (`"250ms"`, `"exp(10ms)"`).
macro_rules! serde_via_str {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_str;

mod dist;
mod queue;
mod rate;
mod rng;
mod scheduler;
#[cfg(test)]
mod schema;
mod time;

pub use dist::{DistError, DurationDist, DurationDistSpec, LogNormalSpread};
pub use queue::EventQueue;
pub use rate::{Rate, RateError};
pub use rng::{RngStreams, SimRng};
pub use scheduler::Scheduler;
pub use time::{ParseDurationError, SimDuration, SimTime};

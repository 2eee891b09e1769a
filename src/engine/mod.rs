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

mod dist;
mod queue;
mod rate;
mod rng;
mod scheduler;
mod time;

pub use dist::{DistError, DurationDist, DurationDistSpec, LogNormalSpread};
pub use queue::EventQueue;
pub use rate::{Rate, RateError};
pub use rng::{RngStreams, SimRng};
pub use scheduler::Scheduler;
pub use time::{ParseDurationError, SimDuration, SimTime};

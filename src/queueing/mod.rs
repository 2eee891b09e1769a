//! Queueing: the station (c servers, bounded FCFS queue) that instances are built
//! from, a driver that runs one station under Poisson arrivals, and the theory
//! (Erlang C, Pollaczek–Khinchine) the driver is held against.
//!
//! # How the pieces move
//! [`simulate`] feeds a [`Station`] from a [`Scheduler`](crate::engine::Scheduler):
//! arrivals are admitted, queued or shed; completions pull the next customer; waits
//! and sojourns go into batch means, and the station's exact areas give Little's law.
//! [`theory`] says what the answers should be.

mod simulate;
mod station;
pub mod theory;

pub use simulate::{LittleCheck, PoissonStation, StationReport, simulate};
pub use station::{Admission, Started, Station, StationStats, UNBOUNDED};

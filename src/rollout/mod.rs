//! The rollout controller: strategies (red/black, highlander, rolling, canary, rolling
//! red/black) and analysis.
//!
//! It talks to the world only through [`platform`]: observations in, commands out, and
//! a wake-up time. It never reads a clock and never sees the simulator, so the same
//! code can drive real infrastructure.
//!
//! - [`platform`]: what the controller sees and can do.
//! - [`controller`]: the state machines (one file per family of strategies).
//! - [`analysis`]: threshold checks and how phases pass or fail.
//! - [`statistical_judge`]: the statistical canary judge, as Kayenta's (Mann–Whitney per
//!   metric, weighted score).
//! - [`record`]: what a rollout did (times, outcome, timeline).

pub mod analysis;
pub mod controller;
pub mod platform;
pub mod record;
pub mod statistical_judge;

pub use controller::{Controller, TimeLeft};
pub use platform::{Command, Decision, Observation, VersionMetrics, VersionState};
pub use record::{Outcome, RollbackPath, RolloutRecord};

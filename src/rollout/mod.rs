//! The rollout controller: strategies (red/black, highlander, rolling, canary, rolling
//! red/black) and analysis.
//!
//! It talks to the world only through [`platform`]: observations in, commands out, and
//! a wake-up time. It never reads a clock, never sees the simulator, and is never told
//! what the release it rolls out is like (its [`spec`] has no release), so the same
//! code can drive real infrastructure and must judge what it observes.
//!
//! - [`platform`]: what the controller sees and can do.
//! - [`spec`]: what it is told to do (strategy, settings, judging), without the release.
//! - [`controller`]: the state machines (one file per family of strategies).
//! - [`analysis`]: threshold checks and how phases pass or fail.
//! - [`statistical_judge`]: the statistical canary judge, as Kayenta's (Mann–Whitney per
//!   metric, weighted score).
//! - [`record`]: what a rollout did (times, outcome, timeline).
//! - [`time`]: the controller's clock ([`Instant`]), filled by whichever driver runs it.

pub mod analysis;
pub mod controller;
pub mod platform;
pub mod record;
pub mod spec;
pub mod statistical_judge;
pub mod time;

pub use controller::{Controller, TimeLeft};
pub use platform::{Command, Decision, Observation, VersionMetrics, VersionState};
pub use record::{CheckResult, Outcome, RollbackPath, RolloutRecord};
pub use spec::ControllerSpec;
pub use time::Instant;

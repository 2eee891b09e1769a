//! Rehearsing rollouts: the simulated world and the rollout controllers run together
//! ([`driver`]), and the rollout metrics ([`crate::metrics`]) measured from what happened
//! against a run of the same model and seed without the rollouts ([`metrics`]).
//!
//! Every consumer that wants metrics sets up the same pair: [`rehearse_with_baseline`]
//! (a rehearsal and its baseline, in parallel), or [`baseline`] once per seed beside
//! several [`rehearse`]s of that seed (a comparison of strategies); then
//! [`Rehearsal::rollout_metrics`]; a run with a release calendar, [`Rehearsal::week_metrics`]
//! ([`week`]).

pub mod calendar;
pub mod driver;
pub mod metrics;
mod policy;
pub mod week;

pub use driver::{
    OnAdvance, Rehearsal, rehearse, rehearse_reporting, rehearse_until_done, rehearse_with_baseline,
};
pub(crate) use driver::{baseline, baseline_reporting};

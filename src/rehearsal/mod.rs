//! Rehearsing rollouts: the simulated world and the rollout controllers run together
//! ([`driver`]), and the rollout metrics of DESIGN.md §2 computed from what happened,
//! against a run of the same model and seed without the rollouts ([`metrics`]).

pub mod driver;
pub mod metrics;

pub use driver::{Rehearsal, rehearse, rehearse_until_done, rehearse_with_baseline};

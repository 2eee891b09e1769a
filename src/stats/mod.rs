//! Statistics: one mean with its 95% interval ([`Estimate`]: Student's t, a share's
//! Wilson interval, or a seeded bootstrap that keeps within the metric's [`Scale`]),
//! batch means that make such intervals honest for correlated sequences, the special
//! functions behind them, the Mann–Whitney test, compact latency histograms, and
//! numbers as reports show them (`Num`: never a negative zero). Nearly a leaf: it depends only on
//! the engine's [`SimDuration`](crate::engine::SimDuration).

mod batch_means;
mod estimate;
pub mod histogram;
pub mod mann_whitney;
mod shown;
pub mod special;

pub use batch_means::BatchMeans;
pub(crate) use estimate::wilson;
pub use estimate::{BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, Estimate, Interval, Scale};
pub use histogram::LatencyHistogram;
pub(crate) use shown::{Num, plus_minus, without_negative_zero};

//! Statistics: one mean with its Student-t 95% interval ([`Estimate`]), batch means
//! that make such intervals honest for correlated sequences, the special functions
//! behind them, the Mann–Whitney test, and compact latency histograms. Nearly a leaf: it
//! depends only on the engine's [`SimDuration`](crate::engine::SimDuration).

mod batch_means;
mod estimate;
pub mod histogram;
pub mod mann_whitney;
pub mod special;

pub use batch_means::BatchMeans;
pub use estimate::Estimate;
pub use histogram::LatencyHistogram;

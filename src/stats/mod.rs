//! Statistics: batch-means confidence intervals, the special functions behind them,
//! and compact latency histograms. Nearly a leaf: it depends only on the engine's
//! [`SimDuration`](crate::engine::SimDuration).

mod batch_means;
pub mod histogram;
pub mod mann_whitney;
pub mod special;

pub use batch_means::{BatchMeans, Estimate};
pub use histogram::LatencyHistogram;

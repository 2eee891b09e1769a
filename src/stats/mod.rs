//! Statistics: batch-means confidence intervals and the special functions behind
//! them. A leaf module: it depends on nothing else in the crate.

mod batch_means;
pub mod special;

pub use batch_means::{BatchMeans, Estimate};

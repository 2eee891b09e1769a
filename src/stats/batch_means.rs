//! Batch means: a confidence interval for the mean of a correlated sequence.
//!
//! Successive waits in a queue are strongly correlated, so the naive standard error
//! is far too small. Batch means splits the sequence into consecutive batches of
//! equal size; with batches much longer than the correlation time, the batch means
//! are nearly independent, and a Student t interval over them is honest.
//!
//! ```
//! use rollsim::stats::BatchMeans;
//! let mut means = BatchMeans::new(10);
//! for i in 0..100 { means.record((i % 10) as f64); }
//! let estimate = means.estimate();
//! assert_eq!((estimate.mean, estimate.n), (4.5, 10));
//! assert_eq!(estimate.half_width_95(), 0.0);
//! ```

use super::{Estimate, Interval};

/// Accumulates observations into consecutive batches of a fixed size.
#[derive(Debug, Clone)]
pub struct BatchMeans {
    batch_size: u64,
    sum: f64,
    count: u64,
    means: Vec<f64>,
}

impl BatchMeans {
    /// Batches of `batch_size` observations (at least one).
    pub fn new(batch_size: u64) -> Self {
        BatchMeans {
            batch_size: batch_size.max(1),
            sum: 0.0,
            count: 0,
            means: Vec::new(),
        }
    }

    /// Adds one observation.
    #[inline]
    pub fn record(&mut self, x: f64) {
        self.sum += x;
        self.count += 1;
        if self.count == self.batch_size {
            self.means.push(self.sum / self.batch_size as f64);
            self.sum = 0.0;
            self.count = 0;
        }
    }

    /// The mean over complete batches and its 95% interval (an incomplete last batch is
    /// left out, so every batch weighs the same).
    /// Without a complete batch: a mean of 0 with an infinite interval, over 0 batches.
    pub fn estimate(&self) -> Estimate {
        Estimate::of(&self.means).unwrap_or(Estimate {
            mean: 0.0,
            n: 0,
            interval: Interval::None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_shrinks_with_more_batches() {
        let mut few = BatchMeans::new(1);
        let mut many = BatchMeans::new(1);
        for i in 0..10 {
            few.record((i % 2) as f64);
        }
        for i in 0..1000 {
            many.record((i % 2) as f64);
        }
        assert!(many.estimate().half_width_95() < few.estimate().half_width_95() / 5.0);
        assert!(few.estimate().covers(0.5));
    }
}

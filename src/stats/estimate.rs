//! One mean with its 95% confidence interval: Student's t over independent values,
//! whether they are batch means of one long run ([`super::BatchMeans`]) or one value per
//! seeded run (the comparisons, sweep summaries and fleet plans); and a share's 95%
//! interval, Wilson's (`wilson`).

use super::special::student_t_975;

/// A mean with the half-width of its 95% confidence interval, over `n` values.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Half-width of the 95% interval (infinite with fewer than 2 values).
    pub half_width_95: f64,
    /// Values behind it (batches, or independent runs).
    #[serde(rename = "batches")]
    pub n: usize,
}

impl Estimate {
    /// The mean and Student-t interval of independent `values`; `None` without any.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let half_width_95 = if n < 2 {
            f64::INFINITY
        } else {
            let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            student_t_975(n as u64 - 1) * (variance / n as f64).sqrt()
        };
        Some(Estimate {
            mean,
            half_width_95,
            n,
        })
    }

    /// The half-width where there is one (2 values or more), else 0: the interval drawn
    /// or tabled as the mean alone.
    pub fn finite_half_width(&self) -> f64 {
        if self.half_width_95.is_finite() {
            self.half_width_95
        } else {
            0.0
        }
    }

    /// Whether `value` lies inside the 95% interval.
    pub fn covers(&self, value: f64) -> bool {
        (self.mean - value).abs() <= self.half_width_95
    }

    /// (mean − truth) / truth.
    pub fn relative_error(&self, truth: f64) -> f64 {
        (self.mean - truth) / truth
    }
}

/// Wilson's 95% score interval of the share `hits` of `n` (`n` > 0): a share near 0 or 1
/// keeps a sensible interval within 0–1 with few runs, where Student's t would give
/// ± 0 for 0 of 4 and run past 1.
pub(crate) fn wilson(hits: usize, n: usize) -> (f64, f64) {
    let z = 1.959_964;
    let (n, p) = (n as f64, hits as f64 / n as f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    // Exactly 0 for none and 1 for all, where rounding would leave 5.6e-17 or 1 − 1.1e-16.
    let low = if hits == 0 { 0.0 } else { centre - half };
    let high = if p == 1.0 { 1.0 } else { centre + half };
    (low.max(0.0), high.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shares_interval_is_wilsons_and_stays_within_zero_and_one() {
        let (low, high) = wilson(0, 10);
        assert_eq!(low, 0.0);
        // z² / (n + z²) = 3.8415 / 13.8415.
        assert!((high - 0.2775).abs() < 1e-4, "{high}");
        let (low, high) = wilson(2, 4);
        assert!((low - 0.1500).abs() < 1e-4 && (high - 0.8500).abs() < 1e-4);
        assert_eq!(wilson(4, 4).1, 1.0);
        assert_eq!(wilson(0, 4).0, 0.0);
    }

    #[test]
    fn intervals_follow_student_t() {
        let i = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(i.mean, 3.0);
        // sd = 1.5811, t(4) = 2.776: half-width = 2.776 × 1.5811 / √5 = 1.963.
        assert!(
            (i.half_width_95 - 1.963).abs() < 1e-3,
            "{}",
            i.half_width_95
        );
        assert!(Estimate::of(&[]).is_none());
    }

    #[test]
    fn one_value_has_no_interval() {
        let estimate = Estimate::of(&[3.0]).unwrap();
        assert_eq!(estimate.mean, 3.0);
        assert!(estimate.half_width_95.is_infinite());
        assert_eq!(estimate.finite_half_width(), 0.0);
    }
}

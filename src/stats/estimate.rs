//! One mean with its 95% confidence interval ([`Estimate`]), drawn as fits the values:
//! Student's t over independent values, whether they are batch means of one long run
//! ([`super::BatchMeans`]) or one value per seeded run (the comparisons and fleet plans);
//! Wilson's score interval for a share of 0/1 outcomes (`wilson`); and, for a metric
//! whose values are bounded ([`Scale`]), a seeded percentile bootstrap of the mean that
//! never leaves the metric's range (the sweep summaries).
//!
//! # Which interval a metric gets ([`Estimate::of_scale`])
//! - [`Scale::Outcome`] (one 0 or 1 per run: rolled back or not): Wilson's score
//!   interval of the count of runs, within 0–1 however few the runs.
//! - [`Scale::Fraction`], [`Scale::NonNegative`], [`Scale::Signed`] (availability;
//!   counts, durations and latencies; differences with a baseline): the percentile
//!   bootstrap of the mean, [`BOOTSTRAP_RESAMPLES`] resamples drawn by a generator
//!   seeded with [`BOOTSTRAP_SEED`] from the values sorted, so the same values give the
//!   same interval in any order and on any machine. A resampled mean lies between the
//!   smallest and the largest value, so the interval does too: a count that never went
//!   below zero never gets a negative bound, a share never leaves 0–1. It is then clipped
//!   to the scale's range all the same.
//! - Fewer than 2 values: no interval ([`Interval::None`]), never an invented one.
//!
//! With few values the bootstrap interval is narrow: it cannot reach past the values
//! seen, so with 2–5 seeds it is close to their range and covers the true mean less
//! often than 95%. With 30 values it covers it in 95% of samples of counts and 92% of
//! samples of a skewed (exponential) duration (see the tests). Values that are all
//! equal give that value as the interval: the seeds did not vary.

use rand::{RngExt, SeedableRng};

use super::special::student_t_975;

/// Resamples of a bootstrap interval: Efron and Tibshirani's figure for percentile
/// intervals.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// The seed of every bootstrap's generator (ChaCha8): fixed, so an interval is the same
/// bytes on every run.
pub const BOOTSTRAP_SEED: u64 = 20;

/// A mean with its 95% interval, over `n` values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Values behind it (batches, or independent runs).
    pub n: usize,
    /// Its 95% interval, and how it was drawn.
    pub interval: Interval,
}

/// A 95% interval and how it was drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interval {
    /// None: fewer than 2 values.
    None,
    /// Student's t: the mean ± this half-width.
    StudentT {
        /// Half-width.
        half_width: f64,
    },
    /// Wilson's score interval of a share of 0/1 outcomes.
    Wilson {
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
    },
    /// The percentile bootstrap of the mean, within the metric's range.
    Bootstrap {
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
    },
}

impl Interval {
    /// How it was drawn, as a summary's `ci95_method` column says it.
    pub fn method(&self) -> &'static str {
        match self {
            Interval::None => "none",
            Interval::StudentT { .. } => "student-t",
            Interval::Wilson { .. } => "wilson",
            Interval::Bootstrap { .. } => "bootstrap",
        }
    }
}

/// The values a metric can take, which decide its interval (see the module's docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// One 0 or 1 per run (an outcome: rolled back or not); its mean is a share of runs.
    Outcome,
    /// Within 0–1 (availability, a share of the fleet).
    Fraction,
    /// Not below zero (counts of requests, durations, latencies, ratios).
    NonNegative,
    /// Either sign (a difference with a baseline run).
    Signed,
}

impl Scale {
    /// The smallest and largest value it allows.
    pub fn range(self) -> (f64, f64) {
        match self {
            Scale::Outcome | Scale::Fraction => (0.0, 1.0),
            Scale::NonNegative => (0.0, f64::INFINITY),
            Scale::Signed => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// The scale `values` show, for a metric no registry names: all within 0–1 →
    /// [`Scale::Fraction`] (never [`Scale::Outcome`]: values that happen to be 0 and 1
    /// may still be counts), all ≥ 0 → [`Scale::NonNegative`], else [`Scale::Signed`].
    pub fn of_values(values: &[f64]) -> Scale {
        if values.iter().all(|v| (0.0..=1.0).contains(v)) {
            Scale::Fraction
        } else if values.iter().all(|v| *v >= 0.0) {
            Scale::NonNegative
        } else {
            Scale::Signed
        }
    }
}

impl Estimate {
    /// The mean and Student-t interval of independent `values`; `None` without any.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let interval = if n < 2 {
            Interval::None
        } else {
            let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            Interval::StudentT {
                half_width: student_t_975(n as u64 - 1) * (variance / n as f64).sqrt(),
            }
        };
        Some(Estimate { mean, n, interval })
    }

    /// The share `hits` of `n` runs with Wilson's interval; `None` without runs. One run
    /// has no interval.
    pub fn share(hits: usize, n: usize) -> Option<Estimate> {
        if n == 0 {
            return None;
        }
        let (low, high) = wilson(hits, n);
        Some(Estimate {
            mean: hits as f64 / n as f64,
            n,
            interval: if n < 2 {
                Interval::None
            } else {
                Interval::Wilson { low, high }
            },
        })
    }

    /// The mean of `values` with the percentile bootstrap interval, within `scale`'s
    /// range; `None` without values.
    pub fn bootstrap(values: &[f64], scale: Scale) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Some(Estimate {
                mean,
                n,
                interval: Interval::None,
            });
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (low, high) = if sorted[0] == sorted[n - 1] {
            (sorted[0], sorted[0])
        } else {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
            let mut means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
                .map(|_| (0..n).map(|_| sorted[rng.random_range(0..n)]).sum::<f64>() / n as f64)
                .collect();
            means.sort_by(f64::total_cmp);
            // Nearest rank: the 50th and 1 950th of 2 000.
            let rank = |p: f64| ((p * BOOTSTRAP_RESAMPLES as f64).ceil() as usize).max(1) - 1;
            (means[rank(0.025)], means[rank(0.975)])
        };
        let (floor, ceiling) = scale.range();
        Some(Estimate {
            mean,
            n,
            interval: Interval::Bootstrap {
                low: low.min(mean).max(floor),
                high: high.max(mean).min(ceiling),
            },
        })
    }

    /// The mean of `values` with the interval their `scale` calls for (the module's
    /// rule): Wilson's for outcomes (values 0 or 1), the bootstrap otherwise.
    pub fn of_scale(values: &[f64], scale: Scale) -> Option<Estimate> {
        match scale {
            Scale::Outcome => {
                let hits = values.iter().filter(|v| **v >= 0.5).count();
                Estimate::share(hits, values.len())
            }
            _ => Estimate::bootstrap(values, scale),
        }
    }

    /// The interval's ends, if it has one (2 values or more).
    pub fn bounds(&self) -> Option<(f64, f64)> {
        match self.interval {
            Interval::None => None,
            Interval::StudentT { half_width } if half_width.is_finite() => {
                Some((self.mean - half_width, self.mean + half_width))
            }
            Interval::StudentT { .. } => None,
            Interval::Wilson { low, high } | Interval::Bootstrap { low, high } => Some((low, high)),
        }
    }

    /// Half-width of the 95% interval: Student's as it is, the larger side of an
    /// asymmetric one; infinite without an interval (fewer than 2 values).
    pub fn half_width_95(&self) -> f64 {
        match self.interval {
            Interval::None => f64::INFINITY,
            Interval::StudentT { half_width } => half_width,
            Interval::Wilson { low, high } | Interval::Bootstrap { low, high } => {
                (self.mean - low).max(high - self.mean)
            }
        }
    }

    /// The half-width where there is one (2 values or more), else 0: the interval drawn
    /// or tabled as the mean alone.
    pub fn finite_half_width(&self) -> f64 {
        let half = self.half_width_95();
        if half.is_finite() { half } else { 0.0 }
    }

    /// Whether `value` lies inside the 95% interval (anywhere without one).
    pub fn covers(&self, value: f64) -> bool {
        match self.bounds() {
            Some((low, high)) => (low..=high).contains(&value),
            None => true,
        }
    }

    /// (mean − truth) / truth.
    pub fn relative_error(&self, truth: f64) -> f64 {
        (self.mean - truth) / truth
    }

    /// The estimate of `factor` × the values: mean and interval scaled (a negative
    /// factor swaps an interval's ends).
    pub fn scaled(&self, factor: f64) -> Estimate {
        let ends = |low: f64, high: f64| {
            let (a, b) = (low * factor, high * factor);
            (a.min(b), a.max(b))
        };
        let interval = match self.interval {
            Interval::None => Interval::None,
            Interval::StudentT { half_width } => Interval::StudentT {
                half_width: half_width * factor.abs(),
            },
            Interval::Wilson { low, high } => {
                let (low, high) = ends(low, high);
                Interval::Wilson { low, high }
            }
            Interval::Bootstrap { low, high } => {
                let (low, high) = ends(low, high);
                Interval::Bootstrap { low, high }
            }
        };
        Estimate {
            mean: self.mean * factor,
            n: self.n,
            interval,
        }
    }
}

/// As JSON: `mean`, `half_width_95` ([`Estimate::half_width_95`], `null` where
/// infinite) and `batches` (`n`), as the validation and queue reports have always
/// written it.
impl serde::Serialize for Estimate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Estimate", 3)?;
        s.serialize_field("mean", &self.mean)?;
        s.serialize_field("half_width_95", &self.half_width_95())?;
        s.serialize_field("batches", &self.n)?;
        s.end()
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
            (i.half_width_95() - 1.963).abs() < 1e-3,
            "{}",
            i.half_width_95()
        );
        assert!(Estimate::of(&[]).is_none());
    }

    #[test]
    fn one_value_has_no_interval() {
        for estimate in [
            Estimate::of(&[3.0]).unwrap(),
            Estimate::bootstrap(&[3.0], Scale::NonNegative).unwrap(),
            Estimate::share(1, 1).unwrap(),
        ] {
            assert!(estimate.half_width_95().is_infinite());
            assert_eq!(estimate.finite_half_width(), 0.0);
            assert_eq!(estimate.bounds(), None);
            assert_eq!(estimate.interval.method(), "none");
        }
        assert_eq!(Estimate::of(&[3.0]).unwrap().mean, 3.0);
    }

    /// The summary of red/black at 10 instances and 80% load in rolling-vs-red-black:
    /// 0, 0 and 8 failed requests, whose Student-t interval was −8.8 to 14.1.
    #[test]
    fn count_intervals_never_go_below_zero() {
        let failed = [0.0, 0.0, 8.0];
        let t = Estimate::of(&failed).unwrap().bounds().unwrap();
        assert!(t.0 < -8.0, "Student's t: {t:?}");
        for scale in [Scale::NonNegative, Scale::Signed] {
            let (low, high) = Estimate::of_scale(&failed, scale)
                .unwrap()
                .bounds()
                .unwrap();
            assert!(low >= 0.0 && high <= 8.0, "{scale:?}: {low} {high}");
        }
        // Many small skewed counts, most of them zero.
        for k in 2..40 {
            let counts: Vec<f64> = (0..k)
                .map(|i| if i % 7 == 3 { 50.0 } else { 0.0 })
                .collect();
            let (low, _) = Estimate::of_scale(&counts, Scale::NonNegative)
                .unwrap()
                .bounds()
                .unwrap();
            assert!(low >= 0.0, "{k} values: {low}");
        }
    }

    #[test]
    fn share_intervals_stay_within_zero_and_one() {
        for n in 2..30 {
            for hits in 0..=n {
                let outcomes: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i < hits))).collect();
                let e = Estimate::of_scale(&outcomes, Scale::Outcome).unwrap();
                assert_eq!(e.interval.method(), "wilson");
                assert_eq!(e.mean, hits as f64 / n as f64);
                let (low, high) = e.bounds().unwrap();
                assert!((0.0..=1.0).contains(&low) && (0.0..=1.0).contains(&high));
                assert!(low <= e.mean && e.mean <= high, "{hits}/{n}: {low} {high}");
            }
        }
        // Availability near 1: Student's t runs past 1, the bootstrap does not.
        let availability = [0.9999, 1.0, 1.0, 0.97];
        let (_, t_high) = Estimate::of(&availability).unwrap().bounds().unwrap();
        assert!(t_high > 1.0, "{t_high}");
        let (low, high) = Estimate::of_scale(&availability, Scale::Fraction)
            .unwrap()
            .bounds()
            .unwrap();
        assert!(low >= 0.97 && high <= 1.0, "{low} {high}");
    }

    #[test]
    fn bootstrap_interval_is_deterministic() {
        let values = [3.0, 9.5, 1.25, 40.0, 7.0, 0.0, 12.0];
        let once = Estimate::bootstrap(&values, Scale::NonNegative).unwrap();
        let again = Estimate::bootstrap(&values, Scale::NonNegative).unwrap();
        assert_eq!(once, again);
        let mut reversed = values;
        reversed.reverse();
        assert_eq!(
            Estimate::bootstrap(&reversed, Scale::NonNegative)
                .unwrap()
                .bounds(),
            once.bounds(),
            "the order of the values does not matter"
        );
        let (low, high) = once.bounds().unwrap();
        assert!(low < once.mean && once.mean < high);
        assert_eq!(once.interval.method(), "bootstrap");
        // Equal values: the interval is the value.
        let same = Estimate::bootstrap(&[5.0; 4], Scale::NonNegative).unwrap();
        assert_eq!(same.bounds(), Some((5.0, 5.0)));
    }

    /// The share of `samples` samples of `size` values drawn by `draw` whose bootstrap
    /// interval covers `truth`.
    fn coverage(
        size: usize,
        truth: f64,
        draw: impl Fn(&mut rand_chacha::ChaCha8Rng) -> f64,
    ) -> f64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let samples = 1000;
        let covered = (0..samples)
            .filter(|_| {
                let values: Vec<f64> = (0..size).map(|_| draw(&mut rng)).collect();
                Estimate::bootstrap(&values, Scale::NonNegative)
                    .unwrap()
                    .covers(truth)
            })
            .count();
        covered as f64 / samples as f64
    }

    /// Over 1 000 samples of 30 values, the interval covers the true mean about 95% of
    /// the time: for counts (binomial, 20 trials of 0.1: mean 2, a zero in one value of
    /// eight) close to 95%; for a skewed exponential distribution of mean 1 (durations)
    /// a little less, as percentile bootstraps do.
    #[test]
    fn bootstrap_covers_the_true_mean_about_95_percent_of_the_time() {
        let counts = coverage(30, 2.0, |rng| {
            (0..20).filter(|_| rng.random::<f64>() < 0.1).count() as f64
        });
        assert!((0.93..=0.97).contains(&counts), "counts: {counts}");
        let durations = coverage(30, 1.0, |rng| -(1.0 - rng.random::<f64>()).ln());
        assert!((0.90..=0.96).contains(&durations), "durations: {durations}");
    }

    #[test]
    fn a_scaled_estimate_scales_its_interval() {
        let e = Estimate::of(&[1.0, 2.0, 3.0]).unwrap().scaled(10.0);
        assert_eq!(e.mean, 20.0);
        let (low, high) = e.bounds().unwrap();
        assert!((high - low - 2.0 * 24.84).abs() < 0.01, "{low} {high}");
        let b = Estimate::bootstrap(&[1.0, 2.0, 3.0], Scale::Signed)
            .unwrap()
            .scaled(-1.0);
        let (low, high) = b.bounds().unwrap();
        assert!(low <= -2.0 && -2.0 <= high);
    }

    #[test]
    fn a_metric_without_a_registry_entry_is_scaled_by_its_values() {
        assert_eq!(Scale::of_values(&[0.0, 1.0, 0.5]), Scale::Fraction);
        assert_eq!(Scale::of_values(&[0.0, 3.0]), Scale::NonNegative);
        assert_eq!(Scale::of_values(&[-1.0, 3.0]), Scale::Signed);
    }
}

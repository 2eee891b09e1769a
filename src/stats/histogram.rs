//! A compact log-linear latency histogram, small enough to keep one per layer per
//! simulated second.
//!
//! # Bucket layout
//! Durations are bucketed in whole microseconds (`ns / 1000`, so anything below 1 µs
//! lands in bucket 0), in the manner of HdrHistogram with 16 sub-buckets per power of
//! two:
//! - below 32 µs every microsecond has its own bucket (bucket `b` holds `b` µs);
//! - from 32 µs on, the octave `[2^e, 2^(e+1))` µs is split into 16 equal buckets of
//!   width `2^(e-4)` µs, so a bucket is never wider than 1/16 of its lower bound.
//!
//! The index is `16·(e − 3) + (µs >> (e − 4) & 15)` for `e = ⌊log2 µs⌋ ≥ 4`, and the
//! layout runs to the top of `u64` microseconds: 976 buckets (`NUM_BUCKETS`), index
//! at most 975, so it fits in a `u16` and no [`SimDuration`] is ever clamped (the
//! largest, ~584 years, is bucket 815). `bucket_of` still accepts any `u64`.
//!
//! # Error bound
//! A quantile is reported as the midpoint of its bucket (in nanoseconds), clamped to the
//! exact observed minimum and maximum. For a true value `x` the reported value is off by
//! at most `max(500 ns, x / 32)`: at most 3.125% relative error from 16 µs upwards, and
//! at most half a microsecond below that, where the microsecond grid, not the
//! sub-bucketing, sets the resolution. Clamping to min/max can only reduce the error,
//! and the first and last ranks (`quantile(0.0)`, `quantile(1.0)`) are exact. Count,
//! min, max and mean are exact (the sum is kept in `u128` nanoseconds).
//!
//! # Storage: sparse, one packed `u64` per touched bucket
//! Each touched bucket is one `u64` word, `(bucket << 48) | count`, in a `Vec` sorted by
//! bucket; since the bucket sits in the high bits, sorted words are sorted buckets.
//! That is the size of a `(u16, u32)` pair (8 bytes with padding) but with 48-bit
//! counts (≈2.8·10¹⁴ per bucket), so merging a whole day of windows cannot overflow.
//!
//! Why not dense: a per-second window touches ~10–30 buckets, so a sparse window
//! costs 64 bytes inline plus ~80–250 bytes of heap, where a dense array of 976 `u32`
//! counts costs 3.9 KB (2.1 KB even if cut off at 2^36 µs) as soon as anything is
//! recorded — at 86 400 windows per layer per simulated day, a few hundred MB against
//! a few tens. Recording stays cheap: a binary search over those few dozen words (five
//! or six compares, one or two cache lines) and an in-place add; a new bucket is an
//! insert that shifts at most a few dozen words, and only happens a few dozen times
//! per window. [`LatencyHistogram::shrink_to_fit`] drops the `Vec`'s growth slack once a
//! window is closed.
//!
//! ```
//! use rollsim::engine::SimDuration;
//! use rollsim::stats::LatencyHistogram;
//! let mut window = LatencyHistogram::default();
//! for ms in 1..=100 {
//!     window.record(SimDuration::from_millis(ms));
//! }
//! assert_eq!(window.count(), 100);
//! assert_eq!(window.min(), Some(SimDuration::from_millis(1)));
//! assert_eq!(window.mean(), Some(SimDuration::from_micros(50_500)));
//! let p99 = window.quantile(0.99).unwrap().as_millis_f64();
//! assert!((p99 - 99.0).abs() <= 99.0 / 32.0);
//! assert_eq!(LatencyHistogram::default().quantile(0.5), None);
//! ```

use crate::engine::SimDuration;

/// Sub-buckets per power of two, as a power of two (16 = 2^4).
const SUB_BUCKET_BITS: u32 = 4;
/// Sub-buckets per power of two.
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;
/// Buckets in the layout: exact ones for 0..32 µs, then 16 per octave up to 2^64 µs.
pub(crate) const NUM_BUCKETS: usize = ((64 - SUB_BUCKET_BITS as usize) + 1) * SUB_BUCKETS as usize;
const _: () = assert!(NUM_BUCKETS - 1 <= u16::MAX as usize);

/// Bits of a packed entry that hold the count; the bucket index sits above them.
const COUNT_BITS: u32 = 48;
/// The largest count one bucket can hold, and the mask of the count bits.
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;

/// The bucket holding a duration of `micros` whole microseconds.
#[inline]
pub(crate) fn bucket_of(micros: u64) -> u16 {
    if micros < SUB_BUCKETS {
        return micros as u16;
    }
    let exponent = u64::BITS - 1 - micros.leading_zeros(); // ≥ SUB_BUCKET_BITS
    let shift = exponent - SUB_BUCKET_BITS;
    let sub = (micros >> shift) & (SUB_BUCKETS - 1);
    (((shift + 1) as u64) << SUB_BUCKET_BITS | sub) as u16
}

/// The smallest duration, in whole microseconds, that falls in `bucket`.
#[inline]
pub(crate) fn bucket_low(bucket: u16) -> u64 {
    let bucket = u64::from(bucket);
    if bucket < SUB_BUCKETS {
        return bucket;
    }
    let shift = (bucket >> SUB_BUCKET_BITS) - 1;
    (SUB_BUCKETS | (bucket & (SUB_BUCKETS - 1))) << shift
}

/// The largest duration, in whole microseconds, that falls in `bucket` (inclusive, so
/// that the top bucket's bound, `u64::MAX`, is representable).
#[inline]
pub(crate) fn bucket_high(bucket: u16) -> u64 {
    let low = bucket_low(bucket);
    let width_minus_one = if u64::from(bucket) < SUB_BUCKETS {
        0
    } else {
        (1u64 << ((u64::from(bucket) >> SUB_BUCKET_BITS) - 1)) - 1
    };
    low + width_minus_one
}

/// The midpoint of `bucket` in nanoseconds: halfway between `low · 1000` and
/// `(high + 1) · 1000`. May exceed `u64` for the topmost buckets.
#[inline]
fn bucket_midpoint_nanos(bucket: u16) -> u128 {
    500 * (u128::from(bucket_low(bucket)) + u128::from(bucket_high(bucket)) + 1)
}

/// The 1-based rank of the `q` quantile among `count` values: `ceil(q · count)`, at
/// least 1. `q` is clamped to `[0, 1]`; NaN counts as 0.
#[inline]
pub(crate) fn rank_of(q: f64, count: u64) -> u64 {
    let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
    ((q * count as f64).ceil() as u64).clamp(1, count.max(1))
}

/// A recorder for the histogram being filled right now: dense counts, so recording is
/// an index and an add (no search), turned into a compact [`LatencyHistogram`] by
/// [`HistogramRecorder::take`] when its window closes. One per layer, reused.
#[derive(Debug, Clone)]
pub(crate) struct HistogramRecorder {
    counts: Box<[u32]>,
    touched: Vec<u16>,
    count: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl Default for HistogramRecorder {
    fn default() -> Self {
        HistogramRecorder {
            counts: vec![0; NUM_BUCKETS].into_boxed_slice(),
            touched: Vec::new(),
            count: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }
}

impl HistogramRecorder {
    /// Records one duration.
    #[inline]
    pub(crate) fn record(&mut self, d: SimDuration) {
        let nanos = d.as_nanos();
        let bucket = bucket_of(nanos / 1000);
        let slot = &mut self.counts[bucket as usize];
        if *slot == 0 {
            self.touched.push(bucket);
        }
        *slot += 1;
        self.count += 1;
        self.min = self.min.min(nanos);
        self.max = self.max.max(nanos);
        self.sum += u128::from(nanos);
    }

    /// The histogram recorded since the last take.
    pub(crate) fn snapshot(&self) -> LatencyHistogram {
        let mut touched = self.touched.clone();
        touched.sort_unstable();
        LatencyHistogram {
            entries: touched
                .iter()
                .map(|&b| (u64::from(b) << COUNT_BITS) | u64::from(self.counts[b as usize]))
                .collect(),
            count: self.count,
            min: if self.count == 0 { 0 } else { self.min },
            max: self.max,
            sum: self.sum,
        }
    }

    /// The histogram recorded since the last take; the recorder starts empty again.
    pub(crate) fn take(&mut self) -> LatencyHistogram {
        let histogram = self.snapshot();
        for &b in &self.touched {
            self.counts[b as usize] = 0;
        }
        self.touched.clear();
        *self = HistogramRecorder {
            counts: std::mem::take(&mut self.counts),
            touched: std::mem::take(&mut self.touched),
            ..HistogramRecorder::default_without_counts()
        };
        histogram
    }

    fn default_without_counts() -> Self {
        HistogramRecorder {
            counts: Box::new([]),
            touched: Vec::new(),
            count: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }
}

/// A log-linear histogram of durations with exact count, min, max and mean.
///
/// See the [module docs](self) for the bucket layout, error bound and storage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyHistogram {
    /// `(bucket << COUNT_BITS) | count` per touched bucket, sorted, counts nonzero.
    entries: Vec<u64>,
    /// Values recorded.
    count: u64,
    /// Smallest value recorded, in ns (0 while empty).
    min: u64,
    /// Largest value recorded, in ns (0 while empty).
    max: u64,
    /// Exact sum of values recorded, in ns.
    sum: u128,
}

impl LatencyHistogram {
    /// An empty histogram (allocates nothing until the first record).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one duration.
    ///
    /// # Panics
    /// If one bucket's count would exceed 2^48 − 1.
    #[inline]
    pub fn record(&mut self, d: SimDuration) {
        self.record_n(d, 1);
    }

    /// Records `n` occurrences of the same duration; `n = 0` changes nothing.
    ///
    /// # Panics
    /// If one bucket's count would exceed 2^48 − 1.
    #[inline]
    pub fn record_n(&mut self, d: SimDuration, n: u64) {
        if n == 0 {
            return;
        }
        let nanos = d.as_nanos();
        self.add_to_bucket(bucket_of(nanos / 1000), n);
        if self.count == 0 {
            self.min = nanos;
            self.max = nanos;
        } else {
            self.min = self.min.min(nanos);
            self.max = self.max.max(nanos);
        }
        // Per-bucket counts are < 2^48 and there are < 2^10 buckets, so neither the
        // count nor the sum (< 2^58 · 2^64) can overflow.
        self.count += n;
        self.sum += u128::from(nanos) * u128::from(n);
    }

    /// Adds `n` to `bucket`'s count, inserting the bucket if it is new.
    #[inline]
    fn add_to_bucket(&mut self, bucket: u16, n: u64) {
        let key = u64::from(bucket) << COUNT_BITS;
        let at = self.entries.partition_point(|&entry| entry < key);
        match self.entries.get_mut(at) {
            Some(entry) if *entry >> COUNT_BITS == u64::from(bucket) => {
                assert!(
                    n <= COUNT_MAX - (*entry & COUNT_MAX),
                    "histogram bucket count overflow"
                );
                *entry += n;
            }
            _ => {
                assert!(n <= COUNT_MAX, "histogram bucket count overflow");
                self.entries.insert(at, key | n);
            }
        }
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds everything recorded in `other`, as if it had been recorded here.
    ///
    /// # Panics
    /// If one bucket's count would exceed 2^48 − 1.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            self.clone_from(other);
            return;
        }
        let (mut ours, mut theirs) = (
            self.entries.iter().peekable(),
            other.entries.iter().peekable(),
        );
        let mut merged = Vec::with_capacity(self.entries.len() + other.entries.len());
        loop {
            let entry = match (ours.peek(), theirs.peek()) {
                (Some(&&a), Some(&&b)) => {
                    let (bucket_a, bucket_b) = (a >> COUNT_BITS, b >> COUNT_BITS);
                    if bucket_a < bucket_b {
                        ours.next();
                        a
                    } else if bucket_b < bucket_a {
                        theirs.next();
                        b
                    } else {
                        ours.next();
                        theirs.next();
                        assert!(
                            b & COUNT_MAX <= COUNT_MAX - (a & COUNT_MAX),
                            "histogram bucket count overflow"
                        );
                        a + (b & COUNT_MAX)
                    }
                }
                (Some(&&a), None) => {
                    ours.next();
                    a
                }
                (None, Some(&&b)) => {
                    theirs.next();
                    b
                }
                (None, None) => break,
            };
            merged.push(entry);
        }
        self.entries = merged;
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The `q` quantile (`q` in `[0, 1]`, clamped; NaN counts as 0): the midpoint of the
    /// bucket holding the value of rank `ceil(q · count)` (at least 1) in sorted order,
    /// clamped to the exact min and max; ranks 1 and `count` give min and max exactly.
    /// `None` if empty.
    pub fn quantile(&self, q: f64) -> Option<SimDuration> {
        if self.is_empty() {
            return None;
        }
        let rank = rank_of(q, self.count);
        // The extreme ranks are known exactly.
        if rank == 1 {
            return self.min();
        }
        if rank == self.count {
            return self.max();
        }
        let mut seen = 0u64;
        let bucket = self
            .entries
            .iter()
            .find(|&&entry| {
                seen += entry & COUNT_MAX;
                seen >= rank
            })
            .map_or(u64::MAX, |&entry| entry >> COUNT_BITS) as u16;
        let midpoint =
            bucket_midpoint_nanos(bucket).clamp(u128::from(self.min), u128::from(self.max));
        Some(SimDuration::from_nanos(midpoint as u64))
    }

    /// The smallest value recorded (exact), or `None` if empty.
    pub fn min(&self) -> Option<SimDuration> {
        (!self.is_empty()).then_some(SimDuration::from_nanos(self.min))
    }

    /// The largest value recorded (exact), or `None` if empty.
    pub fn max(&self) -> Option<SimDuration> {
        (!self.is_empty()).then_some(SimDuration::from_nanos(self.max))
    }

    /// The mean of the values recorded, from the exact sum, rounded to the nearest
    /// nanosecond; `None` if empty.
    pub fn mean(&self) -> Option<SimDuration> {
        if self.is_empty() {
            return None;
        }
        let count = u128::from(self.count);
        // The mean lies between min and max, so it fits in a u64.
        Some(SimDuration::from_nanos(
            ((self.sum + count / 2) / count) as u64,
        ))
    }

    /// Forgets everything recorded, keeping the allocation for reuse.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.count = 0;
        self.min = 0;
        self.max = 0;
        self.sum = 0;
    }

    /// Releases the bucket storage's spare capacity (for windows kept long-term).
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    /// Approximate memory footprint in bytes: the struct itself plus the bucket
    /// storage's heap capacity.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.entries.capacity() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ns(nanos: u64) -> SimDuration {
        SimDuration::from_nanos(nanos)
    }

    fn histogram_of(values: &[u64]) -> LatencyHistogram {
        let mut histogram = LatencyHistogram::new();
        for &v in values {
            histogram.record(ns(v));
        }
        histogram
    }

    /// The exact `q` quantile of `values` under the same rank definition.
    fn exact_quantile(values: &[u64], q: f64) -> u64 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted[rank_of(q, sorted.len() as u64) as usize - 1]
    }

    const QUANTILES: [f64; 12] = [
        0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0,
    ];

    #[test]
    fn buckets_tile_the_microsecond_line() {
        assert_eq!(bucket_low(0), 0);
        for bucket in 0..NUM_BUCKETS as u16 - 1 {
            let (low, high) = (bucket_low(bucket), bucket_high(bucket));
            assert!(low <= high, "bucket {bucket}");
            assert_eq!(high + 1, bucket_low(bucket + 1), "bucket {bucket}");
            assert_eq!(bucket_of(low), bucket);
            assert_eq!(bucket_of(high), bucket);
            if bucket >= 16 {
                // Width at most 1/16 of the lower bound.
                assert!((high - low + 1) * 16 <= low, "bucket {bucket}");
            }
        }
        let last = NUM_BUCKETS as u16 - 1;
        assert_eq!(bucket_of(u64::MAX), last);
        assert_eq!(bucket_high(last), u64::MAX);
        // The layout covers at least 2^36 µs without reaching its last bucket.
        assert!(bucket_of(1 << 36) < last);
        for micros in 0..32 {
            assert_eq!(u64::from(bucket_of(micros)), micros);
        }
    }

    #[test]
    fn empty_histogram_has_no_statistics() {
        let histogram = LatencyHistogram::new();
        assert!(histogram.is_empty());
        assert_eq!(histogram.count(), 0);
        for q in QUANTILES {
            assert_eq!(histogram.quantile(q), None);
        }
        assert_eq!(
            (histogram.min(), histogram.max(), histogram.mean()),
            (None, None, None)
        );
        assert_eq!(
            histogram.memory_bytes(),
            std::mem::size_of::<LatencyHistogram>()
        );
    }

    #[test]
    fn uniform_sample_quantiles_within_bound() {
        // 1.234 µs .. 123.4 ms, evenly spaced.
        let values: Vec<u64> = (1..=100_000).map(|i| i * 1_234).collect();
        let histogram = histogram_of(&values);
        for q in QUANTILES {
            let exact = exact_quantile(&values, q) as f64;
            let estimate = histogram.quantile(q).unwrap().as_nanos_f64();
            assert!(
                (estimate - exact).abs() <= 0.035 * exact,
                "q={q}: {estimate} vs {exact}"
            );
        }
        assert_eq!(histogram.quantile(0.0), Some(ns(1_234)));
        assert_eq!(histogram.quantile(1.0), Some(ns(123_400_000)));
    }

    #[test]
    fn exact_min_max_mean() {
        let histogram = histogram_of(&[7, 1_000_003, 2_500, 999_999_999_999]);
        assert_eq!(histogram.count(), 4);
        assert_eq!(histogram.min(), Some(ns(7)));
        assert_eq!(histogram.max(), Some(ns(999_999_999_999)));
        // (7 + 1_000_003 + 2_500 + 999_999_999_999) / 4 = 250_000_250_627.25
        assert_eq!(histogram.mean(), Some(ns(250_000_250_627)));
        let mut repeated = LatencyHistogram::new();
        repeated.record_n(ns(3), 2);
        repeated.record_n(ns(4), 0);
        assert_eq!(repeated.mean(), Some(ns(3)));
        assert_eq!(repeated.count(), 2);
        assert_eq!(repeated.max(), Some(ns(3)));
    }

    #[test]
    fn record_n_equals_repeated_record() {
        let mut once = LatencyHistogram::new();
        once.record_n(ns(5_000_000), 3);
        once.record_n(ns(40_000), 2);
        assert_eq!(
            once,
            histogram_of(&[5_000_000, 40_000, 5_000_000, 40_000, 5_000_000])
        );
    }

    #[test]
    fn merge_equals_recording_all_into_one() {
        let a: Vec<u64> = (0..500).map(|i| i * i * 997 + 13).collect();
        let b: Vec<u64> = (0..300).map(|i| i * 31_337 + 5).collect();
        let mut merged = histogram_of(&a);
        merged.merge(&histogram_of(&b));
        let all: Vec<u64> = a.iter().chain(&b).copied().collect();
        assert_eq!(merged, histogram_of(&all));

        let mut into_empty = LatencyHistogram::new();
        into_empty.merge(&histogram_of(&a));
        assert_eq!(into_empty, histogram_of(&a));
        let mut with_empty = histogram_of(&a);
        with_empty.merge(&LatencyHistogram::new());
        assert_eq!(with_empty, histogram_of(&a));
    }

    #[test]
    fn a_recorder_gives_the_same_histogram_as_recording_directly() {
        let values = [0u64, 999, 1_000, 17_500, 17_600, 250_000_000, 17_500];
        let mut recorder = HistogramRecorder::default();
        for round in 0..2 {
            for v in values {
                recorder.record(ns(v + round));
            }
            let direct = histogram_of(&values.map(|v| v + round));
            assert_eq!(recorder.take(), direct);
        }
        assert_eq!(recorder.take(), LatencyHistogram::default());
    }

    #[test]
    fn clear_resets_to_empty() {
        let mut histogram = histogram_of(&[1, 2_000, 3_000_000]);
        histogram.clear();
        assert_eq!(histogram, LatencyHistogram::new());
        histogram.record(ns(42_000));
        assert_eq!(histogram, histogram_of(&[42_000]));
    }

    #[test]
    fn huge_values_do_not_panic() {
        let mut histogram = LatencyHistogram::new();
        histogram.record(SimDuration::MAX);
        histogram.record_n(SimDuration::MAX, 1_000);
        histogram.record(ns(1 << 60));
        histogram.record(ns(1_500));
        assert_eq!(histogram.count(), 1_003);
        assert_eq!(histogram.max(), Some(SimDuration::MAX));
        assert_eq!(histogram.quantile(1.0), Some(SimDuration::MAX));
        assert_eq!(histogram.quantile(0.5), Some(SimDuration::MAX));
        assert_eq!(histogram.quantile(0.0), Some(ns(1_500)));
        let sum = u128::from(u64::MAX) * 1_001 + (1 << 60) + 1_500;
        let mean = (sum + 1_003 / 2) / 1_003;
        assert_eq!(histogram.mean(), Some(ns(mean as u64)));
        let mut doubled = histogram.clone();
        doubled.merge(&histogram);
        assert_eq!(doubled.count(), 2_006);
    }

    #[test]
    #[should_panic(expected = "histogram bucket count overflow")]
    fn bucket_count_overflow_panics() {
        let mut histogram = LatencyHistogram::new();
        histogram.record_n(ns(1_000), COUNT_MAX);
        histogram.record(ns(1_000));
    }

    #[test]
    fn out_of_range_q_is_clamped() {
        let histogram = histogram_of(&[10_000, 20_000, 30_000]);
        assert_eq!(histogram.quantile(-1.0), histogram.quantile(0.0));
        assert_eq!(histogram.quantile(2.0), histogram.quantile(1.0));
        assert_eq!(histogram.quantile(f64::NAN), histogram.quantile(0.0));
    }

    #[test]
    fn stays_small() {
        // 1000 records over ~1–50 ms, as in one busy second of one layer.
        let histogram = histogram_of(
            &(0..1000)
                .map(|i| 1_000_000 + i * 49_000)
                .collect::<Vec<_>>(),
        );
        assert!(
            histogram.memory_bytes() <= 64 + 128 * 8,
            "{}",
            histogram.memory_bytes()
        );
    }

    /// Durations spread over many orders of magnitude (each value up to 2^0..2^46 ns).
    fn durations() -> impl Strategy<Value = u64> {
        (1u32..47, any::<u64>()).prop_map(|(bits, r)| r >> (64 - bits))
    }

    proptest! {
        /// From 16 µs upwards, every quantile is within 3.5% of the exact sample
        /// quantile (same rank definition), or is the exact min or max. The samples
        /// share one scale (16 µs plus up to 2^bits ns), so many fall in each bucket.
        #[test]
        fn quantiles_within_relative_bound(
            bits in 10u32..40,
            raw in proptest::collection::vec(any::<u64>(), 1..400),
        ) {
            let values: Vec<u64> = raw.iter().map(|r| 16_000 + (r >> (64 - bits))).collect();
            let histogram = histogram_of(&values);
            let (min, max) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
            for q in QUANTILES {
                let exact = exact_quantile(&values, q) as f64;
                let estimate = histogram.quantile(q).unwrap().as_nanos();
                let error = (estimate as f64 - exact).abs();
                prop_assert!(
                    error <= 0.035 * exact || estimate == min || estimate == max,
                    "q={} estimate={} exact={}", q, estimate, exact
                );
            }
        }

        /// Over the whole range, with values spread over many orders of magnitude, the
        /// documented bound holds: error ≤ max(500 ns, x/32).
        #[test]
        fn quantiles_within_documented_bound(
            values in proptest::collection::vec(durations(), 1..400),
        ) {
            let histogram = histogram_of(&values);
            for q in QUANTILES {
                let exact = exact_quantile(&values, q);
                let estimate = histogram.quantile(q).unwrap().as_nanos();
                let error = estimate.abs_diff(exact);
                prop_assert!(
                    error <= 500 || error * 32 <= exact,
                    "q={} estimate={} exact={}", q, estimate, exact
                );
            }
            prop_assert_eq!(histogram.min(), Some(ns(*values.iter().min().unwrap())));
            prop_assert_eq!(histogram.max(), Some(ns(*values.iter().max().unwrap())));
            prop_assert_eq!(histogram.count(), values.len() as u64);
        }

        /// Merging any split equals recording everything into one histogram.
        #[test]
        fn merge_is_recording(
            values in proptest::collection::vec(durations(), 0..200),
            split in 0usize..200,
        ) {
            let split = split.min(values.len());
            let mut merged = histogram_of(&values[..split]);
            merged.merge(&histogram_of(&values[split..]));
            prop_assert_eq!(merged, histogram_of(&values));
        }

        /// Every microsecond value lies within the bounds of its bucket.
        #[test]
        fn bucket_bounds_contain_value(micros in any::<u64>()) {
            let bucket = bucket_of(micros);
            prop_assert!(usize::from(bucket) < NUM_BUCKETS);
            prop_assert!(bucket_low(bucket) <= micros && micros <= bucket_high(bucket));
        }
    }
}

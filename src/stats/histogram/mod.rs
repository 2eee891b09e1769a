//! A compact log-linear latency histogram: accurate to 0.1% for whole-run and rollout
//! quantiles, and small enough at a coarser [`Precision`] to keep one per layer per
//! simulated second.
//!
//! # Pieces
//! - [`layout`]: the buckets. Nanoseconds, log-linear as in HdrHistogram: exact below
//!   `2^m` ns, then `2^m` equal buckets per power of two. [`Precision::Fine`] (the
//!   default) has `m = 9`, 28 672 buckets; [`Precision::Window`] has `m = 4`, 976
//!   buckets, and every fine bucket nests in one window bucket.
//! - [`encoding`]: the touched buckets as varint `(bucket delta, count)` pairs.
//! - `recorder`: dense counts for the window being filled, encoded once when it closes.
//! - [`LatencyHistogram`] (here): exact count, min, max and sum, the encoded buckets,
//!   merge, quantiles.
//!
//! # Error bound
//! A quantile is the midpoint of the bucket holding the value of its rank, clamped to
//! the exact observed minimum and maximum. For a true sample quantile `x` the reported
//! value is off by at most `x / 1024` (0.098%) at [`Precision::Fine`] and `x / 32`
//! (3.125%) at [`Precision::Window`], and exact below 512 ns (16 ns); the first and
//! last ranks (`quantile(0.0)`, `quantile(1.0)`) are exact. Count, min, max and mean
//! are exact (the sum is kept in `u128` nanoseconds). Tested against sorted samples:
//! 10⁶ draws from exponential, log-normal (cv 1 and 3), uniform and a bimodal mix,
//! p50 to p99.9 within 0.1% (`fine_quantiles_are_within_a_tenth_of_a_percent`).
//!
//! # Merging precisions
//! Merging keeps the coarser precision of the two: a fine histogram merged into a
//! window one is coarsened bucket by bucket (exactly: the buckets nest), and a window
//! histogram merged into a fine one turns it into a window one. An empty histogram
//! takes the precision of what is merged into it. [`LatencyHistogram::precision`] says
//! which a histogram has; [`LatencyHistogram::coarsened`] converts.
//!
//! # Storage: varint-coded `(bucket delta, count)` pairs
//! The touched buckets are one `Vec<u8>`: for each, in increasing bucket order, the
//! distance from the previous touched bucket (from 0 for the first) and then its count,
//! both as unsigned LEB128 varints (7 bits a byte, low bits first, the top bit set on
//! every byte but a value's last). Counts are nonzero, buckets strictly increase and
//! every varint is minimal, so the encoding of a set of contents is unique and
//! comparing bytes (the derived `PartialEq`) compares contents. Counts go up to
//! `u64::MAX` per bucket; only the total count is bounded, by `u64`.
//!
//! Why: per-second windows are kept for the whole run (one per layer per simulated
//! second), so their size is what a long run's memory is made of. Their touched
//! buckets are nearly all adjacent, so a delta is one byte, and their counts are small
//! (one byte below 128, two below 16 384): about 2 bytes a touched bucket. A window
//! histogram of a busy second touches ~100 buckets (~200 bytes); a fine one touches
//! nearly one bucket per distinct value, ~2 bytes a request. That is why only the
//! entry layer keeps fine per-second windows (rollout and capacity quantiles are taken
//! there) and the other layers and the clusters keep window ones
//! ([`crate::model::observe`]); each layer's whole-run histogram is fine.
//!
//! The cost is that a stored histogram is read sequentially: [`LatencyHistogram::merge`]
//! is one linear pass over both encodings, [`LatencyHistogram::quantile`] one linear
//! scan, and [`LatencyHistogram::record_n`] a scan to the bucket and a splice of a few
//! bytes. That suits how they are used: windows are filled by a `HistogramRecorder`
//! (dense counts, O(1) per record) and encoded once when they close, then merged into
//! the run's total. A histogram encoded by the recorder has no spare capacity;
//! [`LatencyHistogram::shrink_to_fit`] drops the slack that direct recording leaves.
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
//! assert!((p99 - 99.0).abs() <= 99.0 / 1024.0);
//! assert_eq!(LatencyHistogram::default().quantile(0.5), None);
//! ```

pub mod encoding;
pub mod layout;
mod recorder;

use crate::engine::SimDuration;

use encoding::{Encoder, Entries, Varint, read_varint};
pub use layout::Precision;
use layout::{bucket_high, bucket_low, bucket_midpoint, bucket_of, coarsen, rank_of};
pub(crate) use recorder::{HistogramRecorder, HistogramTotal};

/// A log-linear histogram of durations with exact count, min, max and mean.
///
/// See the [module docs](self) for the bucket layout, error bound and storage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyHistogram {
    /// The touched buckets as varint `(delta from the previous bucket, count)` pairs in
    /// increasing bucket order, counts nonzero, every varint minimal (so equal contents
    /// are equal bytes).
    buckets: Vec<u8>,
    /// Values recorded (the sum of the bucket counts).
    count: u64,
    /// Smallest value recorded, in ns (0 while empty).
    min: u64,
    /// Largest value recorded, in ns (0 while empty).
    max: u64,
    /// Exact sum of values recorded, in ns.
    sum: u128,
    /// The bucket layout ([`Precision::Fine`] unless made coarser).
    precision: Precision,
}

impl LatencyHistogram {
    /// An empty [`Precision::Fine`] histogram (allocates nothing until the first
    /// record).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty histogram at `precision`.
    pub fn with_precision(precision: Precision) -> Self {
        LatencyHistogram {
            precision,
            ..Self::default()
        }
    }

    /// Assembles a histogram from a canonical encoding and its exact statistics (the
    /// recorder's output).
    pub(super) fn from_parts(
        precision: Precision,
        buckets: Vec<u8>,
        count: u64,
        min: u64,
        max: u64,
        sum: u128,
    ) -> Self {
        LatencyHistogram {
            buckets,
            count,
            min,
            max,
            sum,
            precision,
        }
    }

    /// Its bucket layout.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The same values at `precision` if that is coarser, else a copy: exact, as the
    /// buckets nest (see [`layout`]).
    pub fn coarsened(&self, precision: Precision) -> LatencyHistogram {
        let mut coarse = LatencyHistogram::with_precision(precision.min(self.precision));
        coarse.merge(self);
        coarse.shrink_to_fit();
        coarse
    }

    /// Records one duration.
    ///
    /// # Panics
    /// If the total count would exceed `u64::MAX`.
    #[inline]
    pub fn record(&mut self, d: SimDuration) {
        self.record_n(d, 1);
    }

    /// Records `n` occurrences of the same duration; `n = 0` changes nothing.
    ///
    /// This scans the stored buckets and splices a few bytes, so it costs time linear
    /// in the buckets touched so far: fine for building a histogram now and then, but
    /// fill per-window histograms with a `HistogramRecorder`.
    ///
    /// # Panics
    /// If the total count would exceed `u64::MAX`.
    pub fn record_n(&mut self, d: SimDuration, n: u64) {
        if n == 0 {
            return;
        }
        let count = self.count.checked_add(n).expect("histogram count overflow");
        let nanos = d.as_nanos();
        // No bucket's count can exceed the total, which was just checked.
        self.add_to_bucket(bucket_of(nanos, self.precision), n);
        if self.count == 0 {
            self.min = nanos;
            self.max = nanos;
        } else {
            self.min = self.min.min(nanos);
            self.max = self.max.max(nanos);
        }
        self.count = count;
        // sum ≤ count · max < 2^64 · 2^64, so it cannot overflow.
        self.sum += u128::from(nanos) * u128::from(n);
    }

    /// Adds `n` to `bucket`'s count, inserting the bucket if it is new. The caller
    /// guarantees the new count fits a `u64`.
    fn add_to_bucket(&mut self, bucket: u16, n: u64) {
        let (mut at, mut last) = (0, 0u16);
        while at < self.buckets.len() {
            let entry = at;
            let current = last + read_varint(&self.buckets, &mut at) as u16;
            let count_at = at;
            let count = read_varint(&self.buckets, &mut at);
            if current == bucket {
                let count = Varint::new(count + n);
                self.buckets
                    .splice(count_at..at, count.as_bytes().iter().copied());
                return;
            }
            if current > bucket {
                // The new entry goes in front; the next one's delta now counts from it.
                let (delta, count, next_delta) = (
                    Varint::new(u64::from(bucket - last)),
                    Varint::new(n),
                    Varint::new(u64::from(current - bucket)),
                );
                let patch = [delta, count, next_delta];
                self.buckets.splice(
                    entry..count_at,
                    patch.iter().flat_map(|v| v.as_bytes()).copied(),
                );
                return;
            }
            last = current;
        }
        self.buckets
            .extend_from_slice(Varint::new(u64::from(bucket - last)).as_bytes());
        self.buckets.extend_from_slice(Varint::new(n).as_bytes());
    }

    /// The `(bucket, count)` pairs, in increasing bucket order.
    fn entries(&self) -> Entries<'_> {
        Entries::new(&self.buckets)
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds everything recorded in `other`, as if it had been recorded here: one linear
    /// pass over both encodings.
    ///
    /// # Panics
    /// If the total count would exceed `u64::MAX`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.is_empty() {
            return;
        }
        let precision = self.precision.min(other.precision);
        if self.is_empty() && precision == other.precision {
            self.clone_from(other);
            return;
        }
        let count = self
            .count
            .checked_add(other.count)
            .expect("histogram count overflow");
        // Close to enough (a merged entry is rarely longer than its parts together); the
        // vector grows if not.
        let mut merged = Encoder::with_capacity(self.buckets.len() + other.buckets.len());
        let mut ours = Coarsened::new(self.entries(), self.precision, precision).peekable();
        let mut theirs = Coarsened::new(other.entries(), other.precision, precision).peekable();
        loop {
            let (bucket, n) = match (ours.peek(), theirs.peek()) {
                (Some(&(a, na)), Some(&(b, nb))) => match a.cmp(&b) {
                    std::cmp::Ordering::Less => {
                        ours.next();
                        (a, na)
                    }
                    std::cmp::Ordering::Greater => {
                        theirs.next();
                        (b, nb)
                    }
                    std::cmp::Ordering::Equal => {
                        ours.next();
                        theirs.next();
                        // Both are at most their histogram's count, whose sum fits.
                        (a, na + nb)
                    }
                },
                (Some(&entry), None) => {
                    ours.next();
                    entry
                }
                (None, Some(&entry)) => {
                    theirs.next();
                    entry
                }
                (None, None) => break,
            };
            merged.push(bucket, n);
        }
        let (min, max) = if self.is_empty() {
            (other.min, other.max)
        } else {
            (self.min.min(other.min), self.max.max(other.max))
        };
        self.buckets = merged.bytes;
        self.count = count;
        self.sum += other.sum;
        self.min = min;
        self.max = max;
        self.precision = precision;
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
            .entries()
            .find(|&(_, count)| {
                // seen + count ≤ self.count, so this cannot overflow.
                seen += count;
                seen >= rank
            })
            .map_or(self.precision.buckets() as u16 - 1, |(bucket, _)| bucket);
        let midpoint = bucket_midpoint(bucket, self.precision).clamp(self.min, self.max);
        Some(SimDuration::from_nanos(midpoint))
    }

    /// Its distribution as a table to draw from: `(cumulative count, bucket low,
    /// bucket high)` in nanoseconds, buckets clamped to the exact min and max.
    pub(crate) fn cdf(&self) -> Vec<(u64, u64, u64)> {
        let mut seen = 0u64;
        self.entries()
            .map(|(bucket, count)| {
                seen += count;
                let low = bucket_low(bucket, self.precision).clamp(self.min, self.max);
                let high = (bucket_high(bucket, self.precision).saturating_add(1))
                    .clamp(self.min, self.max);
                (seen, low, high)
            })
            .collect()
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
        self.buckets.clear();
        self.count = 0;
        self.min = 0;
        self.max = 0;
        self.sum = 0;
    }

    /// Releases the bucket storage's spare capacity (for windows kept long-term).
    pub fn shrink_to_fit(&mut self) {
        self.buckets.shrink_to_fit();
    }

    /// Approximate memory footprint in bytes: the struct itself plus the bucket
    /// storage's heap capacity.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.buckets.capacity()
    }
}

/// The entries of an encoding at `from`, summed into the buckets of `to` (no finer):
/// still in increasing bucket order, as coarsening is monotone.
struct Coarsened<'a> {
    entries: std::iter::Peekable<Entries<'a>>,
    from: Precision,
    to: Precision,
}

impl<'a> Coarsened<'a> {
    fn new(entries: Entries<'a>, from: Precision, to: Precision) -> Self {
        Coarsened {
            entries: entries.peekable(),
            from,
            to,
        }
    }
}

impl Iterator for Coarsened<'_> {
    type Item = (u16, u64);

    #[inline]
    fn next(&mut self) -> Option<(u16, u64)> {
        let (bucket, mut count) = self.entries.next()?;
        if self.from == self.to {
            return Some((bucket, count));
        }
        let outer = coarsen(bucket, self.from, self.to);
        while let Some(&(next, n)) = self.entries.peek() {
            if coarsen(next, self.from, self.to) != outer {
                break;
            }
            // Both are parts of one histogram's count, which fits.
            count += n;
            self.entries.next();
        }
        Some((outer, count))
    }
}

#[cfg(test)]
mod tests {
    use super::encoding::{MAX_VARINT_LEN, varint_len};
    use super::*;
    use proptest::prelude::*;

    const FINE: Precision = Precision::Fine;

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

    /// `n` durations drawn from `dist` with rollsim's own RNG, seed 1.
    fn draws(dist: &str, n: usize) -> Vec<u64> {
        use crate::engine::DurationDist;
        let dist: DurationDist = dist.parse().expect("a valid distribution");
        let mut rng = crate::engine::RngStreams::new(1).stream("accuracy");
        (0..n).map(|_| dist.sample(&mut rng).as_nanos()).collect()
    }

    #[test]
    fn fine_quantiles_are_within_a_tenth_of_a_percent() {
        use rand::RngExt;
        const N: usize = 1_000_000;
        let bimodal = {
            // 70% fast (cache hits, ~5 ms), 30% slow (misses, ~200 ms).
            let fast = draws("lognormal(mean=5ms, cv=0.5)", N);
            let slow = draws("lognormal(mean=200ms, cv=0.3)", N);
            let mut rng = crate::engine::RngStreams::new(1).stream("mix");
            (0..N)
                .map(|i| {
                    if rng.random::<f64>() < 0.7 {
                        fast[i]
                    } else {
                        slow[i]
                    }
                })
                .collect()
        };
        let samples = [
            ("exponential", draws("exp(20ms)", N)),
            ("log-normal cv 1", draws("lognormal(mean=20ms, cv=1)", N)),
            ("log-normal cv 3", draws("lognormal(mean=20ms, cv=3)", N)),
            ("uniform", draws("uniform(1ms, 100ms)", N)),
            ("bimodal", bimodal),
        ];
        let recorded = |values: &[u64]| {
            let mut recorder = HistogramRecorder::default();
            values.iter().for_each(|&v| recorder.record(ns(v)));
            recorder.take()
        };
        for (name, values) in samples {
            let histogram = recorded(&values);
            let mut sorted = values.clone();
            sorted.sort_unstable();
            for q in [0.5, 0.9, 0.99, 0.999] {
                let exact = sorted[rank_of(q, N as u64) as usize - 1] as f64;
                let estimate = histogram.quantile(q).unwrap().as_nanos_f64();
                let error = (estimate - exact).abs() / exact;
                assert!(
                    error <= 0.001,
                    "{name} p{}: {estimate} ns against exact {exact} ns ({:.4}%)",
                    q * 100.0,
                    error * 100.0
                );
            }
            // Merging halves is the histogram of the whole.
            let mut merged = recorded(&values[..N / 3]);
            merged.merge(&recorded(&values[N / 3..]));
            assert_eq!(merged, histogram, "{name}");
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
                (estimate - exact).abs() <= exact / 1024.0,
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
        let median = histogram.quantile(0.5).unwrap().as_nanos();
        assert!((u64::MAX - median) <= u64::MAX / 1024, "{median}");
        assert_eq!(histogram.quantile(0.0), Some(ns(1_500)));
        let sum = u128::from(u64::MAX) * 1_001 + (1 << 60) + 1_500;
        let mean = (sum + 1_003 / 2) / 1_003;
        assert_eq!(histogram.mean(), Some(ns(mean as u64)));
        let mut doubled = histogram.clone();
        doubled.merge(&histogram);
        assert_eq!(doubled.count(), 2_006);
    }

    #[test]
    fn bucket_counts_go_up_to_u64_max() {
        let mut histogram = LatencyHistogram::new();
        histogram.record_n(ns(1_000), 1 << 60);
        histogram.record_n(ns(5_000), u64::MAX - (1 << 60) - 1);
        histogram.record(ns(1_000));
        assert_eq!(histogram.count(), u64::MAX);
        assert_eq!(
            histogram.entries().collect::<Vec<_>>(),
            [
                (bucket_of(1_000, FINE), (1 << 60) + 1),
                (bucket_of(5_000, FINE), u64::MAX - (1 << 60) - 1)
            ]
        );
        // 1 µs has a bucket of its own; 5 µs's bucket's midpoint is clamped to the max.
        assert_eq!(histogram.quantile(0.01), Some(ns(1_000)));
        assert_eq!(histogram.quantile(0.5), Some(ns(5_000)));
        let mut halves = LatencyHistogram::new();
        halves.record_n(ns(1_000), 1 << 59);
        let mut other = LatencyHistogram::new();
        other.record_n(ns(1_000), (1 << 59) + 1);
        other.record_n(ns(5_000), u64::MAX - (1 << 60) - 1);
        halves.merge(&other);
        assert_eq!(halves, histogram);
    }

    #[test]
    #[should_panic(expected = "histogram count overflow")]
    fn count_overflow_panics() {
        let mut histogram = LatencyHistogram::new();
        histogram.record_n(ns(1_000), u64::MAX);
        histogram.record(ns(2_000_000));
    }

    #[test]
    #[should_panic(expected = "histogram count overflow")]
    fn merged_count_overflow_panics() {
        let mut histogram = LatencyHistogram::new();
        histogram.record_n(ns(1_000), u64::MAX / 2 + 1);
        histogram.merge(&histogram.clone());
    }

    #[test]
    fn varints_round_trip() {
        let mut bytes = Vec::new();
        let values = [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            975,
            u64::from(u32::MAX),
            1 << 63,
            u64::MAX,
        ];
        for v in values {
            let varint = Varint::new(v);
            assert_eq!(varint.as_bytes().len(), varint_len(v), "{v}");
            bytes.extend_from_slice(varint.as_bytes());
        }
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(u64::MAX), MAX_VARINT_LEN);
        let mut at = 0;
        for v in values {
            assert_eq!(read_varint(&bytes, &mut at), v);
        }
        assert_eq!(at, bytes.len());
    }

    #[test]
    fn record_n_splices_into_place() {
        // Out-of-order inserts before, between and after existing buckets, with counts
        // and deltas that cross the one-byte boundary.
        let mut histogram = LatencyHistogram::new();
        let order = [500u16, 3, 700, 0, 131, 130, 699, 3, 0, 815, 28_671, 20_000];
        let mut expected = std::collections::BTreeMap::new();
        for (i, &bucket) in order.iter().enumerate() {
            let n = 100 + 20 * i as u64;
            histogram.record_n(ns(bucket_low(bucket, FINE)), n);
            *expected.entry(bucket).or_insert(0) += n;
        }
        let expected: Vec<(u16, u64)> = expected.into_iter().collect();
        assert_eq!(histogram.entries().collect::<Vec<_>>(), expected);
        let mut canonical = Encoder::with_capacity(0);
        for &(bucket, count) in &expected {
            canonical.push(bucket, count);
        }
        assert_eq!(histogram.buckets, canonical.bytes);
    }

    #[test]
    fn out_of_range_q_is_clamped() {
        let histogram = histogram_of(&[10_000, 20_000, 30_000]);
        assert_eq!(histogram.quantile(-1.0), histogram.quantile(0.0));
        assert_eq!(histogram.quantile(2.0), histogram.quantile(1.0));
        assert_eq!(histogram.quantile(f64::NAN), histogram.quantile(0.0));
    }

    #[test]
    fn window_histograms_stay_small_and_fine_ones_take_about_two_bytes_a_value() {
        // 1000 distinct records over ~1–50 ms, as in one busy second of one layer.
        let values: Vec<u64> = (0..1000).map(|i| 1_000_000 + i * 49_000).collect();
        let fine = histogram_of(&values);
        let window = fine.coarsened(Precision::Window);
        let size = std::mem::size_of::<LatencyHistogram>();
        assert!(
            window.memory_bytes() <= size + 128 * 2,
            "{}",
            window.memory_bytes()
        );
        let mut fine = fine;
        fine.shrink_to_fit();
        assert!(
            fine.memory_bytes() <= size + 1000 * 3,
            "{}",
            fine.memory_bytes()
        );
    }

    /// Heap bytes of a histogram's bucket storage.
    fn heap_bytes(histogram: &LatencyHistogram) -> usize {
        histogram.memory_bytes() - std::mem::size_of::<LatencyHistogram>()
    }

    #[test]
    fn adjacent_buckets_take_at_most_three_bytes_each() {
        // 70 adjacent buckets from ~1 ms up, with counts in the hundreds: a one-byte
        // delta and a two-byte count each.
        let first = bucket_of(1_000_000, FINE);
        let mut recorder = HistogramRecorder::default();
        let mut direct = LatencyHistogram::new();
        for (i, bucket) in (first..first + 70).enumerate() {
            let n = 100 + (i as u64 * 37) % 900;
            for _ in 0..n {
                recorder.record(ns(bucket_low(bucket, FINE)));
            }
            direct.record_n(ns(bucket_low(bucket, FINE)), n);
        }
        let taken = recorder.take();
        assert_eq!(taken, direct);
        assert_eq!(taken.entries().count(), 70);
        assert!(heap_bytes(&taken) <= 3 * 70, "{}", heap_bytes(&taken));
        direct.shrink_to_fit();
        assert!(heap_bytes(&direct) <= 3 * 70, "{}", heap_bytes(&direct));
    }

    #[test]
    fn a_realistic_window_is_small() {
        use rand_distr::{Distribution, LogNormal};
        // One second of one layer: 2 400 log-normal latencies with mean 25 ms and p99
        // 100 ms. σ solves 2.326·σ − σ²/2 = ln(p99 / mean); μ = ln(mean) − σ²/2 (in ns).
        let (mean, p99, z99) = (25e6f64, 100e6f64, 2.326_347_874_040_841);
        let sigma = z99 - (z99 * z99 - 2.0 * (p99 / mean).ln()).sqrt();
        let mu = mean.ln() - sigma * sigma / 2.0;
        let latency = LogNormal::new(mu, sigma).unwrap();
        let mut rng = crate::engine::RngStreams::new(1).stream("x");
        let mut recorder = HistogramRecorder::new(Precision::Window);
        let mut values = Vec::new();
        for _ in 0..2_400 {
            let v = latency.sample(&mut rng) as u64;
            values.push(v);
            recorder.record(ns(v));
        }
        let window = recorder.take();
        assert_eq!(window, histogram_of(&values).coarsened(Precision::Window));
        let buckets = window.entries().count();
        let heap = heap_bytes(&window);
        println!(
            "realistic window: {buckets} buckets, {heap} B heap ({:.2} B/bucket), \
             {} B in all; p50 {:?}, p99 {:?}",
            heap as f64 / buckets as f64,
            window.memory_bytes(),
            window.quantile(0.5).unwrap(),
            window.quantile(0.99).unwrap(),
        );
        assert!(heap <= 250, "{heap} B for {buckets} buckets");
        assert!(heap <= 3 * buckets, "{heap} B for {buckets} buckets");
    }

    /// Durations spread over many orders of magnitude (each value up to 2^0..2^46 ns).
    fn durations() -> impl Strategy<Value = u64> {
        (1u32..47, any::<u64>()).prop_map(|(bits, r)| r >> (64 - bits))
    }

    proptest! {
        /// Every quantile is within 0.1% of the exact sample quantile (same rank
        /// definition), or is the exact min or max. The samples share one scale (16 µs
        /// plus up to 2^bits ns), so many fall in each bucket.
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
                    error <= 0.001 * exact || estimate == min || estimate == max,
                    "q={} estimate={} exact={}", q, estimate, exact
                );
            }
        }

        /// Over the whole range, with values spread over many orders of magnitude, the
        /// documented bound holds at both precisions: error ≤ x/1024 (fine) and x/32
        /// (window).
        #[test]
        fn quantiles_within_documented_bound(
            values in proptest::collection::vec(durations(), 1..400),
        ) {
            let histogram = histogram_of(&values);
            let window = histogram.coarsened(Precision::Window);
            for q in QUANTILES {
                let exact = exact_quantile(&values, q);
                let estimate = histogram.quantile(q).unwrap().as_nanos();
                let error = u128::from(estimate.abs_diff(exact));
                prop_assert!(
                    error * 1024 <= u128::from(exact),
                    "q={} estimate={} exact={}", q, estimate, exact
                );
                let estimate = window.quantile(q).unwrap().as_nanos();
                let error = u128::from(estimate.abs_diff(exact));
                prop_assert!(
                    error * 32 <= u128::from(exact),
                    "window: q={} estimate={} exact={}", q, estimate, exact
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
            prop_assert_eq!(&merged, &histogram_of(&values));
            // Mixed precisions give the coarser one, whichever side it is on.
            let window = |vs: &[u64]| histogram_of(vs).coarsened(Precision::Window);
            let mut fine_into_window = window(&values[..split]);
            fine_into_window.merge(&histogram_of(&values[split..]));
            let mut window_into_fine = histogram_of(&values[..split]);
            window_into_fine.merge(&window(&values[split..]));
            prop_assert_eq!(&fine_into_window, &window(&values));
            if split < values.len() {
                // (An empty histogram merged in changes nothing, precision included.)
                prop_assert_eq!(&window_into_fine, &window(&values));
            }
            prop_assert_eq!(merged.coarsened(Precision::Window), window(&values));
        }

        /// Encoding windows (through the recorder, or by `record_n` with counts of any
        /// size) and merging them round-trips: the total equals everything recorded
        /// into one histogram, decodes to the summed counts per bucket, and is the
        /// canonical encoding of those.
        #[test]
        fn encode_and_merge_round_trip(
            windows in proptest::collection::vec(
                proptest::collection::vec(
                    (durations(), prop_oneof![1u64..4, 1u64..1 << 52]),
                    0..40,
                ),
                0..6,
            ),
        ) {
            let mut expected = std::collections::BTreeMap::new();
            let mut one = LatencyHistogram::new();
            let mut total = LatencyHistogram::new();
            let mut recorder = HistogramRecorder::default();
            let (mut recorded, mut from_recorder) = (Vec::new(), LatencyHistogram::new());
            for window in &windows {
                let mut encoded = LatencyHistogram::new();
                for &(v, n) in window {
                    encoded.record_n(ns(v), n);
                    one.record_n(ns(v), n);
                    *expected.entry(bucket_of(v, FINE)).or_insert(0u64) += n;
                    // The recorder records one at a time: give it few copies.
                    for _ in 0..n.min(3) {
                        recorder.record(ns(v));
                        recorded.push(v);
                    }
                }
                total.merge(&encoded);
                let snapshot = recorder.snapshot();
                let taken = recorder.take();
                prop_assert_eq!(&snapshot, &taken);
                from_recorder.merge(&taken);
            }
            prop_assert_eq!(&total, &one);
            prop_assert_eq!(from_recorder, histogram_of(&recorded));
            let expected: Vec<(u16, u64)> = expected.into_iter().collect();
            prop_assert_eq!(total.entries().collect::<Vec<_>>(), expected.clone());
            let mut canonical = Encoder::with_capacity(0);
            for &(bucket, count) in &expected {
                canonical.push(bucket, count);
            }
            prop_assert_eq!(&total.buckets, &canonical.bytes);
        }
    }
}

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
//! buckets are nearly all adjacent, so a delta is one byte (it takes two only across
//! a gap of 128 buckets, eight octaves, or for a first bucket from 128 µs up), and
//! their counts are small (one byte below 128, two below 16 384). Measured:
//! - `models/netflix-2011.toml`, first 10 simulated minutes: windows touch 81, 123
//!   and 115 buckets (edge, middle, backend; ~2 300, ~4 600 and ~900 requests a
//!   second) in 163, 247 and 230 bytes of heap: 2.0 bytes a bucket. As packed `u64`
//!   words (the previous form) that was 8 bytes a bucket, ~650–980 bytes a window;
//! - 2 400 log-normal latencies (mean 25 ms, p99 100 ms): 101 buckets in 202 bytes;
//! - ~70 adjacent buckets with counts in the hundreds: exactly 3 bytes a bucket.
//!
//! The inline part (the `Vec` and the exact count, min, max and sum) is 64 bytes. A
//! dense array of 976 counts would take kilobytes per window. (A bitmap of the touched
//! span plus varint counts would take ~1.1 bytes a bucket, at the cost of a second
//! structure to keep in step; the pairs are simpler and already 4× smaller.)
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

/// The most bytes one LEB128 varint of a `u64` takes (`⌈64 / 7⌉`).
const MAX_VARINT_LEN: usize = 10;

/// One value's minimal unsigned LEB128 encoding, built on the stack.
#[derive(Clone, Copy)]
struct Varint {
    bytes: [u8; MAX_VARINT_LEN],
    len: u8,
}

impl Varint {
    #[inline]
    fn new(mut value: u64) -> Self {
        let mut bytes = [0u8; MAX_VARINT_LEN];
        let mut len = 0;
        while value >= 0x80 {
            bytes[len] = value as u8 | 0x80;
            value >>= 7;
            len += 1;
        }
        bytes[len] = value as u8;
        Varint {
            bytes,
            len: len as u8 + 1,
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// Bytes in the minimal LEB128 encoding of `value` (1 to 10).
#[inline]
fn varint_len(value: u64) -> usize {
    let bits = (u64::BITS - (value | 1).leading_zeros()) as usize;
    bits.div_ceil(7)
}

/// Decodes the varint at `bytes[*at..]` and moves `*at` past it. The bytes must be a
/// well-formed encoding (this module writes every one of them).
#[inline]
fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

/// Appends `(bucket, count)` entries, in strictly increasing bucket order, to an
/// encoding.
struct Encoder {
    bytes: Vec<u8>,
    /// The last bucket appended (0 before the first, which is coded from 0).
    last: u16,
}

impl Encoder {
    fn with_capacity(capacity: usize) -> Self {
        Encoder {
            bytes: Vec::with_capacity(capacity),
            last: 0,
        }
    }

    #[inline]
    fn push(&mut self, bucket: u16, count: u64) {
        debug_assert!(count > 0, "a stored bucket count is nonzero");
        debug_assert!(
            self.bytes.is_empty() || bucket > self.last,
            "buckets are appended in increasing order"
        );
        self.bytes
            .extend_from_slice(Varint::new(u64::from(bucket - self.last)).as_bytes());
        self.bytes.extend_from_slice(Varint::new(count).as_bytes());
        self.last = bucket;
    }
}

/// The `(bucket, count)` entries of an encoding, in increasing bucket order.
#[derive(Clone)]
struct Entries<'a> {
    bytes: &'a [u8],
    at: usize,
    bucket: u16,
}

impl<'a> Entries<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Entries {
            bytes,
            at: 0,
            bucket: 0,
        }
    }
}

impl Iterator for Entries<'_> {
    type Item = (u16, u64);

    #[inline]
    fn next(&mut self) -> Option<(u16, u64)> {
        if self.at == self.bytes.len() {
            return None;
        }
        // Deltas stay below NUM_BUCKETS, so they fit a u16.
        self.bucket += read_varint(self.bytes, &mut self.at) as u16;
        let count = read_varint(self.bytes, &mut self.at);
        Some((self.bucket, count))
    }
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

    /// Records `n` occurrences of one duration (a sampled request standing for `n`).
    #[inline]
    pub(crate) fn record_n(&mut self, d: SimDuration, n: u32) {
        if n == 1 {
            return self.record(d);
        }
        let nanos = d.as_nanos();
        let bucket = bucket_of(nanos / 1000);
        let slot = &mut self.counts[bucket as usize];
        if *slot == 0 && n > 0 {
            self.touched.push(bucket);
        }
        *slot += n;
        self.count += u64::from(n);
        self.min = self.min.min(nanos);
        self.max = self.max.max(nanos);
        self.sum += u128::from(nanos) * u128::from(n);
    }

    /// The histogram recorded since the last take.
    pub(crate) fn snapshot(&self) -> LatencyHistogram {
        let mut touched = self.touched.clone();
        touched.sort_unstable();
        self.encode(&touched)
    }

    /// The histogram recorded since the last take; the recorder starts empty again.
    pub(crate) fn take(&mut self) -> LatencyHistogram {
        self.touched.sort_unstable();
        let histogram = self.encode(&self.touched);
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

    /// The histogram of the current counts, given the touched buckets in increasing
    /// order; its encoding is allocated at exactly its length.
    fn encode(&self, touched: &[u16]) -> LatencyHistogram {
        let mut len = 0;
        let mut last = 0;
        for &b in touched {
            len += varint_len(u64::from(b - last)) + varint_len(self.counts[b as usize].into());
            last = b;
        }
        let mut encoder = Encoder::with_capacity(len);
        for &b in touched {
            encoder.push(b, self.counts[b as usize].into());
        }
        debug_assert_eq!(encoder.bytes.len(), len);
        LatencyHistogram {
            buckets: encoder.bytes,
            count: self.count,
            min: if self.count == 0 { 0 } else { self.min },
            max: self.max,
            sum: self.sum,
        }
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
}

impl LatencyHistogram {
    /// An empty histogram (allocates nothing until the first record).
    pub fn new() -> Self {
        Self::default()
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
        self.add_to_bucket(bucket_of(nanos / 1000), n);
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
        if self.is_empty() {
            self.clone_from(other);
            return;
        }
        let count = self
            .count
            .checked_add(other.count)
            .expect("histogram count overflow");
        // A merged entry's delta is no longer than in either input, and the sum of two
        // counts no longer than their two varints together, so this is enough.
        let mut merged = Encoder::with_capacity(self.buckets.len() + other.buckets.len());
        let (mut ours, mut theirs) = (self.entries().peekable(), other.entries().peekable());
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
        self.buckets = merged.bytes;
        self.count = count;
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
            .entries()
            .find(|&(_, count)| {
                // seen + count ≤ self.count, so this cannot overflow.
                seen += count;
                seen >= rank
            })
            .map_or(NUM_BUCKETS as u16 - 1, |(bucket, _)| bucket);
        let midpoint =
            bucket_midpoint_nanos(bucket).clamp(u128::from(self.min), u128::from(self.max));
        Some(SimDuration::from_nanos(midpoint as u64))
    }

    /// Its distribution as a table to draw from: `(cumulative count, bucket low,
    /// bucket high)` in nanoseconds, buckets clamped to the exact min and max.
    pub(crate) fn cdf(&self) -> Vec<(u64, u64, u64)> {
        let mut seen = 0u64;
        self.entries()
            .map(|(bucket, count)| {
                seen += count;
                let low = (bucket_low(bucket).saturating_mul(1000)).clamp(self.min, self.max);
                let high = (bucket_high(bucket).saturating_add(1).saturating_mul(1000))
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
    fn bucket_counts_go_up_to_u64_max() {
        let mut histogram = LatencyHistogram::new();
        histogram.record_n(ns(1_000), 1 << 60);
        histogram.record_n(ns(5_000), u64::MAX - (1 << 60) - 1);
        histogram.record(ns(1_000));
        assert_eq!(histogram.count(), u64::MAX);
        assert_eq!(
            histogram.entries().collect::<Vec<_>>(),
            [
                (bucket_of(1), (1 << 60) + 1),
                (bucket_of(5), u64::MAX - (1 << 60) - 1)
            ]
        );
        // Bucket midpoints (1.5 µs, and 5.5 µs clamped to the max).
        assert_eq!(histogram.quantile(0.01), Some(ns(1_500)));
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
        let order = [500u16, 3, 700, 0, 131, 130, 699, 3, 0, 815];
        let mut expected = std::collections::BTreeMap::new();
        for (i, &bucket) in order.iter().enumerate() {
            let n = 100 + 20 * i as u64;
            histogram.record_n(ns(bucket_low(bucket) * 1000), n);
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

    /// Heap bytes of a histogram's bucket storage.
    fn heap_bytes(histogram: &LatencyHistogram) -> usize {
        histogram.memory_bytes() - std::mem::size_of::<LatencyHistogram>()
    }

    #[test]
    fn adjacent_buckets_take_at_most_three_bytes_each() {
        // 70 adjacent buckets from ~1 ms up, with counts in the hundreds: a one-byte
        // delta and a two-byte count each.
        let first = bucket_of(1_000);
        let mut recorder = HistogramRecorder::default();
        let mut direct = LatencyHistogram::new();
        for (i, bucket) in (first..first + 70).enumerate() {
            let n = 100 + (i as u64 * 37) % 900;
            for _ in 0..n {
                recorder.record(ns(bucket_low(bucket) * 1000));
            }
            direct.record_n(ns(bucket_low(bucket) * 1000), n);
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
        let mut recorder = HistogramRecorder::default();
        let mut values = Vec::new();
        for _ in 0..2_400 {
            let v = latency.sample(&mut rng) as u64;
            values.push(v);
            recorder.record(ns(v));
        }
        let window = recorder.take();
        assert_eq!(window, histogram_of(&values));
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
                    *expected.entry(bucket_of(v / 1000)).or_insert(0u64) += n;
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

        /// Every microsecond value lies within the bounds of its bucket.
        #[test]
        fn bucket_bounds_contain_value(micros in any::<u64>()) {
            let bucket = bucket_of(micros);
            prop_assert!(usize::from(bucket) < NUM_BUCKETS);
            prop_assert!(bucket_low(bucket) <= micros && micros <= bucket_high(bucket));
        }
    }
}

//! The bucket layout of a [`LatencyHistogram`](super::LatencyHistogram): log-linear
//! buckets over nanoseconds, in the manner of HdrHistogram, at one of two
//! [`Precision`]s.
//!
//! # Layout
//! With `2^m` sub-buckets per power of two (`m` = [`Precision::sub_bucket_bits`]):
//! - below `2^m` ns every nanosecond has its own bucket (bucket `b` holds `b` ns);
//! - from `2^m` ns on, the octave `[2^e, 2^(e+1))` ns is split into `2^m` equal
//!   buckets of width `2^(e−m)` ns, so a bucket is never wider than `2^−m` of its
//!   lower bound.
//!
//! The index is `2^m·(e − m + 1) + (ns >> (e − m) & (2^m − 1))` for `e = ⌊log2 ns⌋ ≥ m`,
//! and the layout runs to the top of `u64` nanoseconds: `(65 − m)·2^m` buckets
//! ([`Precision::buckets`]), 976 for [`Precision::Window`] and 28 672 for
//! [`Precision::Fine`], so an index fits in a `u16`.
//!
//! # Nesting
//! Both precisions count nanoseconds from 0 and split octaves by powers of two, so every
//! fine bucket lies inside exactly one window bucket ([`coarsen`]): a fine histogram
//! can be turned into the window histogram of the same values exactly, and merging a
//! fine histogram into a coarse one is the same as recording its values there.
//!
//! # Error bound
//! A value reported as the midpoint of its bucket is off by at most half a bucket:
//! `2^−(m+1)` of the true value, i.e. 1/32 (3.125%) for [`Precision::Window`] and
//! 1/1024 (0.098%) for [`Precision::Fine`], and exact below `2^m` ns.

/// How finely a histogram buckets durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Precision {
    /// 16 sub-buckets per octave (within 1/32 = 3.125%): the per-second windows that
    /// are kept for the whole run and only plotted or judged roughly.
    Window,
    /// 512 sub-buckets per octave (within 1/1024 = 0.098%): whole-run and rollout
    /// quantiles, and anything recorded directly.
    #[default]
    Fine,
}

impl Precision {
    /// `m`: the layout has `2^m` sub-buckets per octave.
    #[inline]
    pub const fn sub_bucket_bits(self) -> u32 {
        match self {
            Precision::Window => 4,
            Precision::Fine => 9,
        }
    }

    /// Buckets in the layout: `(65 − m)·2^m`.
    #[inline]
    pub const fn buckets(self) -> usize {
        let bits = self.sub_bucket_bits() as usize;
        (64 - bits + 1) << bits
    }

    /// The largest relative error of a bucket's midpoint: `2^−(m+1)`.
    pub fn relative_error_bound(self) -> f64 {
        0.5 / f64::from(1u32 << self.sub_bucket_bits())
    }
}

const _: () = assert!(Precision::Fine.buckets() - 1 <= u16::MAX as usize);
const _: () = assert!(Precision::Window.buckets() == 976);

/// The bucket holding a duration of `nanos` at `precision`.
#[inline]
pub(crate) fn bucket_of(nanos: u64, precision: Precision) -> u16 {
    let bits = precision.sub_bucket_bits();
    let sub_buckets = 1u64 << bits;
    if nanos < sub_buckets {
        return nanos as u16;
    }
    let exponent = u64::BITS - 1 - nanos.leading_zeros(); // ≥ bits
    let shift = exponent - bits;
    let sub = (nanos >> shift) & (sub_buckets - 1);
    ((u64::from(shift + 1) << bits) | sub) as u16
}

/// The smallest duration, in nanoseconds, that falls in `bucket`.
#[inline]
pub(crate) fn bucket_low(bucket: u16, precision: Precision) -> u64 {
    let bits = precision.sub_bucket_bits();
    let (bucket, sub_buckets) = (u64::from(bucket), 1u64 << bits);
    if bucket < sub_buckets {
        return bucket;
    }
    let shift = (bucket >> bits) - 1;
    (sub_buckets | (bucket & (sub_buckets - 1))) << shift
}

/// The largest duration, in nanoseconds, that falls in `bucket` (inclusive, so that
/// the top bucket's bound, `u64::MAX`, is representable).
#[inline]
pub(crate) fn bucket_high(bucket: u16, precision: Precision) -> u64 {
    let bits = precision.sub_bucket_bits();
    let low = bucket_low(bucket, precision);
    let index = u64::from(bucket);
    let width_minus_one = if index < 1 << bits {
        0
    } else {
        (1u64 << ((index >> bits) - 1)) - 1
    };
    low + width_minus_one
}

/// The midpoint of `bucket` in nanoseconds, rounded down: `low + width / 2` (the value
/// itself for one-nanosecond buckets).
#[inline]
pub(crate) fn bucket_midpoint(bucket: u16, precision: Precision) -> u64 {
    let (low, high) = (
        bucket_low(bucket, precision),
        bucket_high(bucket, precision),
    );
    // The width fits: only a one-nanosecond bucket starts at 0.
    low + (high - low).div_ceil(2)
}

/// The bucket at `to` that holds `bucket` of `from` (`to` no finer than `from`).
#[inline]
pub(crate) fn coarsen(bucket: u16, from: Precision, to: Precision) -> u16 {
    debug_assert!(to <= from, "buckets only coarsen");
    if from == to {
        bucket
    } else {
        bucket_of(bucket_low(bucket, from), to)
    }
}

/// The 1-based rank of the `q` quantile among `count` values: `ceil(q · count)`, at
/// least 1. `q` is clamped to `[0, 1]`; NaN counts as 0.
#[inline]
pub(crate) fn rank_of(q: f64, count: u64) -> u64 {
    let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
    ((q * count as f64).ceil() as u64).clamp(1, count.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BOTH: [Precision; 2] = [Precision::Window, Precision::Fine];

    #[test]
    fn buckets_tile_the_nanosecond_line() {
        for precision in BOTH {
            let bits = precision.sub_bucket_bits();
            let last = precision.buckets() as u16 - 1;
            assert_eq!(bucket_low(0, precision), 0);
            for bucket in 0..last {
                let (low, high) = (
                    bucket_low(bucket, precision),
                    bucket_high(bucket, precision),
                );
                assert!(low <= high, "bucket {bucket}");
                assert_eq!(high + 1, bucket_low(bucket + 1, precision), "{bucket}");
                assert_eq!(bucket_of(low, precision), bucket);
                assert_eq!(bucket_of(high, precision), bucket);
                // Width at most 2^−m of the lower bound (one nanosecond below 2^m).
                assert!(high == low || (high - low + 1) << bits <= low, "{bucket}");
            }
            assert_eq!(bucket_of(u64::MAX, precision), last);
            assert_eq!(bucket_high(last, precision), u64::MAX);
            for nanos in 0..1u64 << bits {
                assert_eq!(u64::from(bucket_of(nanos, precision)), nanos);
            }
        }
    }

    #[test]
    fn fine_buckets_nest_in_window_buckets() {
        let (fine, window) = (Precision::Fine, Precision::Window);
        for bucket in 0..fine.buckets() as u16 {
            let outer = coarsen(bucket, fine, window);
            assert_eq!(
                bucket_of(bucket_high(bucket, fine), window),
                outer,
                "fine bucket {bucket} straddles window buckets"
            );
        }
    }

    proptest! {
        /// Every value lies within the bounds of its bucket, the midpoint is within
        /// the stated relative bound, and coarsening its fine bucket gives its window
        /// bucket.
        #[test]
        fn bucket_bounds_contain_value(nanos in any::<u64>()) {
            for precision in BOTH {
                let bucket = bucket_of(nanos, precision);
                prop_assert!(usize::from(bucket) < precision.buckets());
                prop_assert!(
                    bucket_low(bucket, precision) <= nanos
                        && nanos <= bucket_high(bucket, precision)
                );
                let error = bucket_midpoint(bucket, precision).abs_diff(nanos) as f64;
                prop_assert!(error <= precision.relative_error_bound() * nanos as f64);
            }
            prop_assert_eq!(
                coarsen(bucket_of(nanos, Precision::Fine), Precision::Fine, Precision::Window),
                bucket_of(nanos, Precision::Window)
            );
        }
    }
}

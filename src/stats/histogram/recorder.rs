//! The histogram being filled right now: dense counts at one [`Precision`], so that
//! recording is an index and an add (no search), turned into a compact
//! [`LatencyHistogram`] by [`HistogramRecorder::take`] (or, coarsened on the way,
//! [`HistogramRecorder::take_at`]) when its window closes. One per layer and per
//! cluster, reused window after window.
//!
//! A run's total is a [`HistogramTotal`]: dense 64-bit counts that absorb each window's
//! recorder before it is taken, in time linear in the buckets the window touched (not
//! in those the whole run touched, as merging encodings would be).

use crate::engine::SimDuration;

use super::LatencyHistogram;
use super::encoding::{Encoder, varint_len};
use super::layout::{Precision, bucket_of, coarsen};

/// Dense counts of the window being filled (see the [module docs](self)).
#[derive(Debug, Clone)]
pub(crate) struct HistogramRecorder {
    precision: Precision,
    /// One count per bucket of the layout ([`Precision::buckets`]).
    counts: Box<[u32]>,
    /// The buckets with a nonzero count, in the order they were first hit.
    touched: Vec<u16>,
    count: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl Default for HistogramRecorder {
    fn default() -> Self {
        HistogramRecorder::new(Precision::default())
    }
}

impl HistogramRecorder {
    /// An empty recorder at `precision` (a [`Precision::Fine`] one holds 112 KiB of
    /// counts, a [`Precision::Window`] one 4 KiB).
    pub(crate) fn new(precision: Precision) -> Self {
        HistogramRecorder {
            precision,
            counts: vec![0; precision.buckets()].into_boxed_slice(),
            touched: Vec::new(),
            count: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }

    /// Records one duration.
    #[inline]
    pub(crate) fn record(&mut self, d: SimDuration) {
        self.record_n(d, 1);
    }

    /// Records `n` occurrences of one duration (a sampled request standing for `n`).
    #[inline]
    pub(crate) fn record_n(&mut self, d: SimDuration, n: u32) {
        if n == 0 {
            return;
        }
        let nanos = d.as_nanos();
        let bucket = bucket_of(nanos, self.precision);
        let slot = &mut self.counts[bucket as usize];
        if *slot == 0 {
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
        self.reset();
        histogram
    }

    /// The histogram recorded since the last take at `precision` (if coarser than the
    /// recorder's), encoded straight from the counts; the recorder starts empty again.
    pub(crate) fn take_at(&mut self, precision: Precision) -> LatencyHistogram {
        let to = precision.min(self.precision);
        if to == self.precision {
            return self.take();
        }
        self.touched.sort_unstable();
        let mut encoder = Encoder::with_capacity(2 * self.touched.len().min(to.buckets()));
        let mut pending: Option<(u16, u64)> = None;
        for &b in &self.touched {
            let (outer, n) = (
                coarsen(b, self.precision, to),
                u64::from(self.counts[b as usize]),
            );
            pending = match pending {
                Some((bucket, count)) if bucket == outer => Some((bucket, count + n)),
                Some((bucket, count)) => {
                    encoder.push(bucket, count);
                    Some((outer, n))
                }
                None => Some((outer, n)),
            };
        }
        if let Some((bucket, count)) = pending {
            encoder.push(bucket, count);
        }
        encoder.bytes.shrink_to_fit();
        let histogram = LatencyHistogram::from_parts(
            to,
            encoder.bytes,
            self.count,
            if self.count == 0 { 0 } else { self.min },
            self.max,
            self.sum,
        );
        self.reset();
        histogram
    }

    /// Forgets the counts (touching only the buckets that were hit).
    fn reset(&mut self) {
        for &b in &self.touched {
            self.counts[b as usize] = 0;
        }
        self.touched.clear();
        self.count = 0;
        self.min = u64::MAX;
        self.max = 0;
        self.sum = 0;
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
        LatencyHistogram::from_parts(
            self.precision,
            encoder.bytes,
            self.count,
            if self.count == 0 { 0 } else { self.min },
            self.max,
            self.sum,
        )
    }
}

/// A run's total: dense 64-bit counts at one [`Precision`] that absorb windows' recorders
/// (see the [module docs](self)).
#[derive(Debug, Clone)]
pub(crate) struct HistogramTotal {
    recorder: HistogramRecorder,
    /// Counts per bucket (the recorder's own counts stay zero).
    counts: Box<[u64]>,
}

impl Default for HistogramTotal {
    fn default() -> Self {
        let recorder = HistogramRecorder::new(Precision::default());
        HistogramTotal {
            counts: vec![0; recorder.precision.buckets()].into_boxed_slice(),
            recorder,
        }
    }
}

impl HistogramTotal {
    /// Adds what `window` recorded since its last take (same precision).
    pub(crate) fn absorb(&mut self, window: &HistogramRecorder) {
        assert_eq!(window.precision, self.recorder.precision, "same precision");
        let total = &mut self.recorder;
        for &b in &window.touched {
            let slot = &mut self.counts[b as usize];
            if *slot == 0 {
                total.touched.push(b);
            }
            *slot += u64::from(window.counts[b as usize]);
        }
        total.count += window.count;
        total.min = total.min.min(window.min);
        total.max = total.max.max(window.max);
        total.sum += window.sum;
    }

    /// Everything absorbed so far.
    pub(crate) fn snapshot(&self) -> LatencyHistogram {
        let total = &self.recorder;
        let mut touched = total.touched.clone();
        touched.sort_unstable();
        let mut encoder = Encoder::with_capacity(0);
        for &b in &touched {
            encoder.push(b, self.counts[b as usize]);
        }
        LatencyHistogram::from_parts(
            total.precision,
            encoder.bytes,
            total.count,
            if total.count == 0 { 0 } else { total.min },
            total.max,
            total.sum,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(nanos: u64) -> SimDuration {
        SimDuration::from_nanos(nanos)
    }

    #[test]
    fn a_total_of_windows_and_coarse_takes_equal_recording_directly() {
        let values: Vec<u64> = (0..5_000u64)
            .map(|i| 1_000 + i * i * 37 % 90_000_000)
            .collect();
        let mut total = HistogramTotal::default();
        let mut recorder = HistogramRecorder::default();
        let mut direct = LatencyHistogram::new();
        for (i, chunk) in values.chunks(700).enumerate() {
            let mut window = LatencyHistogram::new();
            for &v in chunk {
                recorder.record(ns(v));
                window.record(ns(v));
                direct.record(ns(v));
            }
            total.absorb(&recorder);
            let taken = if i % 2 == 0 {
                recorder.take()
            } else {
                recorder.take_at(Precision::Window)
            };
            let expected = if i % 2 == 0 {
                window
            } else {
                window.coarsened(Precision::Window)
            };
            assert_eq!(taken, expected, "window {i}");
        }
        assert_eq!(total.snapshot(), direct);
        assert_eq!(
            HistogramTotal::default().snapshot(),
            LatencyHistogram::new()
        );
    }
}

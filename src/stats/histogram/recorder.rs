//! The histogram being filled right now: dense counts at one [`Precision`], so that
//! recording is an index and an add (no search), turned into a compact
//! [`LatencyHistogram`] by [`HistogramRecorder::take`] when its window closes. One per
//! layer and per cluster, reused window after window.

use crate::engine::SimDuration;

use super::LatencyHistogram;
use super::encoding::{Encoder, varint_len};
use super::layout::{Precision, bucket_of};

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
        for &b in &self.touched {
            self.counts[b as usize] = 0;
        }
        self.touched.clear();
        self.count = 0;
        self.min = u64::MAX;
        self.max = 0;
        self.sum = 0;
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

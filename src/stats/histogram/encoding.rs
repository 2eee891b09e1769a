//! The compact storage of a [`LatencyHistogram`](super::LatencyHistogram): its touched
//! buckets as unsigned LEB128 varint `(bucket delta, count)` pairs in increasing bucket
//! order ([`Encoder`] writes them, [`Entries`] reads them back).

/// The most bytes one LEB128 varint of a `u64` takes (`⌈64 / 7⌉`).
pub(super) const MAX_VARINT_LEN: usize = 10;

/// One value's minimal unsigned LEB128 encoding, built on the stack.
#[derive(Clone, Copy)]
pub(super) struct Varint {
    bytes: [u8; MAX_VARINT_LEN],
    len: u8,
}

impl Varint {
    #[inline]
    pub(super) fn new(mut value: u64) -> Self {
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
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// Bytes in the minimal LEB128 encoding of `value` (1 to 10).
#[inline]
pub(super) fn varint_len(value: u64) -> usize {
    let bits = (u64::BITS - (value | 1).leading_zeros()) as usize;
    bits.div_ceil(7)
}

/// Decodes the varint at `bytes[*at..]` and moves `*at` past it. The bytes must be a
/// well-formed encoding (this module writes every one of them).
#[inline]
pub(super) fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
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
pub(super) struct Encoder {
    pub(super) bytes: Vec<u8>,
    /// The last bucket appended (0 before the first, which is coded from 0).
    last: u16,
}

impl Encoder {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Encoder {
            bytes: Vec::with_capacity(capacity),
            last: 0,
        }
    }

    #[inline]
    pub(super) fn push(&mut self, bucket: u16, count: u64) {
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
pub(super) struct Entries<'a> {
    bytes: &'a [u8],
    at: usize,
    bucket: u16,
}

impl<'a> Entries<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
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

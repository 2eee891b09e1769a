//! The pending-event set: a 4-ary min-heap keyed by (time, insertion sequence).
//!
//! Every event gets a sequence number when it is pushed, so two events at the same
//! instant pop in the order they were scheduled: ties are deterministic and FIFO.
//! Time and sequence compare as one `u128` key `(time << 64) | sequence`, a single
//! integer compare. A 4-ary heap is half as deep as a binary one and its four
//! children share a cache line or two, which pays off once thousands of events
//! (request timeouts) are pending.
//!
//! Events are stored by value: keep them small (ids into arenas, not boxed payloads).
//!
//! # Why not std's `BinaryHeap`
//! The heap is unsafe code (raw reads and writes into the `Vec`, run under Miri by
//! `.ci/run`), kept because it is measurably faster on whole worlds, not just on the
//! engine's own hold bench. Built with `--features std-event-heap`, the queue is std's
//! `BinaryHeap` on the same `(time, sequence)` key: ties break identically and every
//! output is byte-identical (`run --json` of quickstart, netflix-2011, metastable and
//! api-300 diffed). Measured both ways on this project's 2 shared cores (load ~8):
//! - `cargo bench --bench world` (netflix-2011, one simulated hour, ~240 pending
//!   events), two interleaved runs each: criterion medians 14.59 s and 11.97 s with
//!   the 4-ary heap, 14.86 s and 13.80 s with std's;
//! - CPU time (less disturbed by the load than wall time), median of four interleaved
//!   runs: `RAYON_NUM_THREADS=1 rollsim run models/netflix-2011.toml --set duration=1h
//!   --json` (the rehearsal and its baseline, 2 × 37 M events) 12.13 s against 12.75 s
//!   (−5%); the scale bench's one layer of 3 000 instances at request level (`--exact`,
//!   20 s, 24 M events, ~12 400 requests on instances) 5.84 s against 7.56 s (−23%).
//!
//! ```
//! use rollsim::engine::{EventQueue, SimTime};
//! let mut queue = EventQueue::new();
//! queue.push(SimTime::from_nanos(20), "late");
//! queue.push(SimTime::from_nanos(10), "first");
//! queue.push(SimTime::from_nanos(20), "later, same instant");
//! assert_eq!(queue.pop(), Some((SimTime::from_nanos(10), "first")));
//! assert_eq!(queue.pop(), Some((SimTime::from_nanos(20), "late")));
//! assert_eq!(queue.pop(), Some((SimTime::from_nanos(20), "later, same instant")));
//! assert_eq!(queue.pop(), None);
//! ```

use super::time::SimTime;

/// Children per heap node.
#[cfg(not(feature = "std-event-heap"))]
const ARITY: usize = 4;

/// One pending event and its ordering key. Time and sequence are two `u64`s (not one
/// `u128`) so the entry stays 8-aligned: 24 bytes for an 8-byte event, not 32.
#[derive(Clone)]
struct Entry<E> {
    time: u64,
    sequence: u64,
    event: E,
}

impl<E> Entry<E> {
    /// `(time << 64) | sequence`: one integer compare orders by time, then by sequence.
    #[inline(always)]
    fn key(&self) -> u128 {
        ((self.time as u128) << 64) | self.sequence as u128
    }
}

#[cfg(feature = "std-event-heap")]
impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
#[cfg(feature = "std-event-heap")]
impl<E> Eq for Entry<E> {}
#[cfg(feature = "std-event-heap")]
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
#[cfg(feature = "std-event-heap")]
impl<E> Ord for Entry<E> {
    /// Reversed: std's `BinaryHeap` is a max-heap, the queue pops the smallest key.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.key().cmp(&self.key())
    }
}

/// A priority queue of events, earliest first, ties in insertion order.
#[derive(Clone)]
pub struct EventQueue<E> {
    #[cfg(not(feature = "std-event-heap"))]
    heap: Vec<Entry<E>>,
    #[cfg(feature = "std-event-heap")]
    heap: std::collections::BinaryHeap<Entry<E>>,
    next_sequence: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `capacity` events before it reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            #[cfg(not(feature = "std-event-heap"))]
            heap: Vec::with_capacity(capacity),
            #[cfg(feature = "std-event-heap")]
            heap: std::collections::BinaryHeap::with_capacity(capacity),
            next_sequence: 0,
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        #[cfg(not(feature = "std-event-heap"))]
        let first = self.heap.first();
        #[cfg(feature = "std-event-heap")]
        let first = self.heap.peek();
        first.map(|e| SimTime::from_nanos(e.time))
    }

    /// Adds `event` at `time`, after every event already pending at that same time.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Entry {
            time: time.as_nanos(),
            sequence,
            event,
        });
        #[cfg(not(feature = "std-event-heap"))]
        self.sift_up(self.heap.len() - 1);
    }

    /// Removes and returns the earliest event (the first scheduled, among equals).
    #[inline]
    #[cfg(feature = "std-event-heap")]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.heap.pop()?;
        Some((SimTime::from_nanos(entry.time), entry.event))
    }

    /// Removes and returns the earliest event (the first scheduled, among equals).
    #[inline]
    #[cfg(not(feature = "std-event-heap"))]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let mut entry = self.heap.pop()?;
        if !self.heap.is_empty() {
            std::mem::swap(&mut entry, &mut self.heap[0]);
            self.sift_down(0);
        }
        Some((SimTime::from_nanos(entry.time), entry.event))
    }

    /// Removes every pending event; sequence numbers keep counting.
    pub fn clear(&mut self) {
        self.heap.clear();
    }

    /// Moves the entry at `index` up to its place, shifting larger parents down into
    /// the hole it leaves (one write per level instead of a swap).
    #[inline]
    #[cfg(not(feature = "std-event-heap"))]
    fn sift_up(&mut self, mut index: usize) {
        assert!(index < self.heap.len());
        let base = self.heap.as_mut_ptr();
        // SAFETY: every index used is < len (parents of a valid index are valid). The
        // entry at `index` is read out once, leaving a hole that each step fills from
        // its parent and moves up; the entry is written back into the final hole
        // exactly once. Comparing `u128` keys cannot panic, so no entry is dropped twice.
        unsafe {
            let moving = std::ptr::read(base.add(index));
            let key = moving.key();
            while index > 0 {
                let parent = (index - 1) / ARITY;
                if (*base.add(parent)).key() <= key {
                    break;
                }
                std::ptr::copy_nonoverlapping(base.add(parent), base.add(index), 1);
                index = parent;
            }
            std::ptr::write(base.add(index), moving);
        }
    }

    /// Moves the entry at `index` (just brought up from the bottom, so almost always
    /// large) straight down the path of smallest children to a leaf, then up to its
    /// place: one unpredictable branch fewer per level than a classic sift-down.
    #[inline]
    #[cfg(not(feature = "std-event-heap"))]
    fn sift_down(&mut self, mut index: usize) {
        let len = self.heap.len();
        assert!(index < len);
        let base = self.heap.as_mut_ptr();
        // SAFETY: as in `sift_up`; every child index is checked against `len`, and the
        // final `sift_up` starts from the hole's index, which is < len.
        unsafe {
            let moving = std::ptr::read(base.add(index));
            loop {
                let first_child = index * ARITY + 1;
                if first_child >= len {
                    break;
                }
                let best = if first_child + ARITY <= len {
                    smallest_of_four(base.add(first_child)) + first_child
                } else {
                    let mut best = first_child;
                    for child in first_child + 1..len {
                        if (*base.add(child)).key() < (*base.add(best)).key() {
                            best = child;
                        }
                    }
                    best
                };
                std::ptr::copy_nonoverlapping(base.add(best), base.add(index), 1);
                index = best;
            }
            std::ptr::write(base.add(index), moving);
        }
        self.sift_up(index);
    }
}

/// Offset (0..4) of the smallest of four consecutive entries, with selects rather than
/// branches: which child is smallest is a coin toss the branch predictor cannot learn.
///
/// # Safety
/// `first` must point at four initialised entries.
#[inline(always)]
#[cfg(not(feature = "std-event-heap"))]
unsafe fn smallest_of_four<E>(first: *const Entry<E>) -> usize {
    // SAFETY: the caller guarantees four entries from `first`.
    let key = |i: usize| unsafe { (*first.add(i)).key() };
    let (k0, k1, k2, k3) = (key(0), key(1), key(2), key(3));
    let low_pair = (k1 < k0) as usize;
    let low_key = if low_pair == 1 { k1 } else { k0 };
    let high_pair = 2 + (k3 < k2) as usize;
    let high_key = if high_pair == 3 { k3 } else { k2 };
    if high_key < low_key {
        high_pair
    } else {
        low_pair
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the order of pushes, pops come out sorted by time, and
        /// events at the same time come out in the order they were pushed.
        #[test]
        fn pops_in_time_order_and_fifo_among_ties(times in proptest::collection::vec(0u64..50, 0..300)) {
            let mut queue = EventQueue::new();
            for (sequence, &t) in times.iter().enumerate() {
                queue.push(SimTime::from_nanos(t), sequence);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            let popped: Vec<(u64, usize)> = std::iter::from_fn(|| queue.pop())
                .map(|(t, s)| (t.as_nanos(), s))
                .collect();
            prop_assert_eq!(popped, expected);
        }

        /// Interleaved pushes and pops (as in a simulation, where handling an event
        /// schedules new ones) agree with a sorted reference list.
        #[test]
        fn interleaved_use_matches_a_reference(ops in proptest::collection::vec((any::<bool>(), 0u64..1000), 0..500)) {
            let mut queue = EventQueue::new();
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let mut sequence = 0u64;
            for (is_pop, t) in ops {
                if is_pop {
                    reference.sort();
                    let expected = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                    prop_assert_eq!(queue.pop().map(|(t, s)| (t.as_nanos(), s)), expected);
                } else {
                    queue.push(SimTime::from_nanos(t), sequence);
                    reference.push((t, sequence));
                    sequence += 1;
                }
            }
            prop_assert_eq!(queue.len(), reference.len());
        }
    }

    #[test]
    fn peek_time_is_the_earliest() {
        let mut queue = EventQueue::new();
        assert_eq!(queue.peek_time(), None);
        queue.push(SimTime::from_nanos(7), ());
        queue.push(SimTime::from_nanos(3), ());
        assert_eq!(queue.peek_time(), Some(SimTime::from_nanos(3)));
    }
}

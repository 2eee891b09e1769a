//! A generational arena: records live in a `Vec`, freed slots are reused, and every
//! handle carries the slot's generation so that a stale handle (an event for a request
//! that has since finished) is recognised and ignored instead of touching a stranger.
//!
//! This is how the world cancels timeouts and completions cheaply: it never removes
//! events from the queue; a handler looks its handle up and drops it if it is stale.

/// A handle into a [`Slab`]: slot index and the generation it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Handle {
    index: u32,
    generation: u32,
}

#[derive(Debug, Clone)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Records of type `T` addressed by [`Handle`]s.
#[derive(Debug, Clone)]
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl Handle {
    /// A handle no slab ever issues (for records that have no counterpart).
    pub(crate) const DANGLING: Handle = Handle {
        index: u32::MAX,
        generation: u32::MAX,
    };
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Live records.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Slots ever allocated (live or free): the arena's high-water mark.
    pub(crate) fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Stores `value` and returns its handle.
    pub(crate) fn insert(&mut self, value: T) -> Handle {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            debug_assert!(slot.value.is_none());
            slot.value = Some(value);
            Handle {
                index,
                generation: slot.generation,
            }
        } else {
            let index = u32::try_from(self.slots.len()).expect("fewer than 2^32 live records");
            self.slots.push(Slot {
                generation: 0,
                value: Some(value),
            });
            Handle {
                index,
                generation: 0,
            }
        }
    }

    /// The record, if the handle is still current.
    #[inline]
    pub(crate) fn get(&self, handle: Handle) -> Option<&T> {
        let slot = self.slots.get(handle.index as usize)?;
        if slot.generation == handle.generation {
            slot.value.as_ref()
        } else {
            None
        }
    }

    /// The record, mutably, if the handle is still current.
    #[inline]
    pub(crate) fn get_mut(&mut self, handle: Handle) -> Option<&mut T> {
        let slot = self.slots.get_mut(handle.index as usize)?;
        if slot.generation == handle.generation {
            slot.value.as_mut()
        } else {
            None
        }
    }

    /// Removes and returns the record; the handle (and every copy of it) goes stale.
    pub(crate) fn remove(&mut self, handle: Handle) -> Option<T> {
        let slot = self.slots.get_mut(handle.index as usize)?;
        if slot.generation != handle.generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(handle.index);
        self.len -= 1;
        Some(value)
    }

    /// Handles of the live records, in slot order (deterministic).
    pub(crate) fn handles(&self) -> impl Iterator<Item = Handle> + '_ {
        self.slots.iter().enumerate().filter_map(|(index, slot)| {
            slot.value.as_ref().map(|_| Handle {
                index: index as u32,
                generation: slot.generation,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_record_is_not_reached_through_an_old_handle() {
        let mut slab = Slab::default();
        let first = slab.insert("first");
        assert_eq!(slab.remove(first), Some("first"));
        let second = slab.insert("second");
        assert_eq!(
            slab.get(first),
            None,
            "the slot is reused under a new generation"
        );
        assert_eq!(slab.get(second), Some(&"second"));
        assert_eq!(slab.remove(first), None);
        assert_eq!(slab.len(), 1);
        assert_eq!(slab.slots.len(), 1, "the freed slot was reused");
    }

    #[test]
    fn handles_list_live_records_in_slot_order() {
        let mut slab = Slab::default();
        let a = slab.insert(1);
        let b = slab.insert(2);
        let c = slab.insert(3);
        slab.remove(b);
        assert_eq!(slab.handles().collect::<Vec<_>>(), vec![a, c]);
    }
}

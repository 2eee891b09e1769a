//! Identifiers of the world's entities: indices into the world's arenas.

/// A layer, in display order (topological from the entry layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayerId(pub(crate) u16);

/// A cluster (auto-scaling group); never reused within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClusterId(pub(crate) u32);

/// An instance; never reused within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub(crate) u32);

impl LayerId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}
impl ClusterId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}
impl InstanceId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

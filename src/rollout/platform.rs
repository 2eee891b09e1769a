//! The controller's view of the world and its levers: the only interface between the
//! rollout logic and whatever runs it (the simulator, or real infrastructure).
//!
//! The controller never reads a clock or calls out: each [`Observation`] brings the
//! time, the state of every version of its layer and the metrics of each since the
//! previous observation; it answers with a [`Decision`]: commands, notes for the
//! timeline, and when it wants to be woken next. Versions are its only handles: one
//! cluster per version, created by scaling a version that has none.

use crate::stats::LatencyHistogram;

use super::time::Instant;

/// One version of the controller's layer, now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionState {
    /// The version.
    pub version: u32,
    /// Instances its cluster keeps alive.
    pub desired: u32,
    /// Members launching or booting.
    pub starting: u32,
    /// Members serving (warming or in service).
    pub serving: u32,
    /// Members registered in the balancer (taking traffic, or able to).
    pub registered: u32,
    /// Whether its cluster takes traffic.
    pub enabled: bool,
    /// Its instances that failed on their own (crashed, failed to boot) so far.
    pub crashes: u32,
}

/// What one version's instances did over a span of time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionMetrics {
    /// Attempts its instances finished (successes and failures).
    pub requests: u64,
    /// Attempts that failed on its instances (errors, shed, reset, failed calls below).
    pub errors: u64,
    /// Time on an instance of its successful attempts.
    pub latency: LatencyHistogram,
}

impl VersionMetrics {
    /// Adds another span's metrics.
    pub fn add(&mut self, other: &VersionMetrics) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latency.merge(&other.latency);
    }

    /// Failed ÷ finished (0 without requests).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }
}

/// What the controller is told at each step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// The time now.
    pub now: Instant,
    /// Every version of the layer that has a cluster.
    pub versions: Vec<VersionState>,
    /// Per version, what its instances did since the previous observation.
    pub metrics: Vec<(u32, VersionMetrics)>,
}

impl Observation {
    /// The state of `version` (all zero if it has no cluster).
    pub fn version(&self, version: u32) -> VersionState {
        self.versions
            .iter()
            .find(|v| v.version == version)
            .cloned()
            .unwrap_or(VersionState {
                version,
                ..VersionState::default()
            })
    }

    /// The metrics of `version` since the previous observation.
    pub fn metrics_of(&self, version: u32) -> VersionMetrics {
        self.metrics.iter().filter(|(v, _)| *v == version).fold(
            VersionMetrics::default(),
            |mut total, (_, m)| {
                total.add(m);
                total
            },
        )
    }
}

/// A lever.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Set the version's cluster to `size` instances (launching the cluster if it has none).
    Scale {
        /// The version.
        version: u32,
        /// Instances.
        size: u32,
    },
    /// Put the version's instances in the balancer.
    Enable {
        /// The version.
        version: u32,
    },
    /// Take the version's instances out of the balancer (they keep running).
    Disable {
        /// The version.
        version: u32,
    },
    /// Remove the version's cluster (its instances drain and terminate).
    Destroy {
        /// The version.
        version: u32,
    },
    /// Give the version this share of the layer's traffic (a percentage; weights of
    /// all versions are relative), or `None`: in proportion to its instances.
    SetWeight {
        /// The version.
        version: u32,
        /// Its weight.
        weight: Option<f64>,
    },
}

/// The controller's answer to an observation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Commands to carry out now, in order.
    pub commands: Vec<Command>,
    /// Lines for the timeline.
    pub notes: Vec<String>,
    /// When to be observed next; `None` when the rollout is over.
    pub wake_at: Option<Instant>,
}

//! A layer's background noise: the errors and slow spells every version of it has, a
//! healthy release included, so that an analysis can fail a good release (a false
//! alarm) as it does in production, and the power of a judge is measured against noise
//! rather than against a silent baseline.
//!
//! ```toml
//! [layers.middle.noise]
//! error_rate = 0.0005                     # 0.05% of requests fail, on every version
//! spells = { every = "6h", length = "exponential(mean=5m)", error_rate = 0.05, latency_factor = 3.0 }
//! ```
//!
//! # Default values
//! A layer without `noise` has none. Within `noise`:
//!
//! | field | default | source |
//! |---|---|---|
//! | `error_rate` | `0` | a service meeting a 99.9% SLO fails up to 0.1% |
//! | `spells` | none | |
//! | `spells.error_rate` | `0` | |
//! | `spells.latency_factor` | `1` | |
//!
//! `spells.every` and `spells.length` have no default. A spell is one instance's bad
//! time (a noisy neighbour, a garbage-collection storm, a degraded host, a bad disk:
//! "The Tail at Scale", Dean and Barroso 2013): each instance enters spells at its own
//! random times (a Poisson process, `every` apart on average, from when it is ready),
//! each lasting a draw of `length`, during which its requests also fail with
//! `spells.error_rate` and its service times are multiplied by `spells.latency_factor`.
//! A one-instance canary in a spell looks like a bad release to a judge that compares
//! it with the fleet.

use crate::engine::{DurationDist, SimDuration};

/// A layer's background noise, on every version (see the module's table).
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoiseSpec {
    /// Share of requests that fail with `error` after their own work, on any instance.
    #[serde(default)]
    #[cfg_attr(test, schemars(range(min = 0, max = 1), example = 0.0005))]
    pub error_rate: f64,
    /// Per-instance bad spells; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spells: Option<SpellSpec>,
}

/// An instance's bad spells: when they come, how long they last, what they do.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SpellSpec {
    /// Mean time between the end of one spell of an instance and the start of its next
    /// (exponential gaps, from when the instance is ready).
    #[cfg_attr(test, schemars(example = &"6h"))]
    pub every: SimDuration,
    /// How long a spell lasts.
    #[cfg_attr(test, schemars(example = &"exponential(mean=5m)"))]
    pub length: DurationDist,
    /// Share of requests that fail with `error` during a spell (on top of the steady
    /// `error_rate`).
    #[serde(default)]
    #[cfg_attr(test, schemars(range(min = 0, max = 1), example = 0.05))]
    pub error_rate: f64,
    /// Service-time multiplier during a spell.
    #[serde(default = "SpellSpec::default_latency_factor")]
    #[cfg_attr(test, schemars(range(min = 0.01, max = 1000), example = 3.0))]
    pub latency_factor: f64,
}

impl SpellSpec {
    fn default_latency_factor() -> f64 {
        1.0
    }
}

impl NoiseSpec {
    /// Whether it does anything.
    pub fn is_silent(&self) -> bool {
        self.error_rate == 0.0 && self.spells.is_none()
    }
}

/// Longest mean gap between spells accepted (a year: beyond it spells never come in a
/// run).
pub(crate) const MAX_SPELL_EVERY: SimDuration = SimDuration::from_secs(366 * 24 * 3600);

//! Faults injected while the world runs: Chaos Monkey's random kills and zone outages.
//! (Launch failures are per layer: `launch_failure_probability`.)
//!
//! # Default values
//! No chaos at all unless listed.

use crate::engine::{Rate, SimDuration};

/// The chaos section.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosSpec {
    /// Random instance kills.
    #[serde(default)]
    pub kills: Vec<KillSpec>,
    /// Losses of a fraction of instances at once.
    #[serde(default)]
    pub zone_outages: Vec<ZoneOutage>,
}

/// Kill a random in-service instance of `layer` at Poisson times.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct KillSpec {
    /// The layer.
    pub layer: String,
    /// Kills per unit time, e.g. "2/h".
    pub rate: Rate,
}

/// At `at`, a `fraction` of the instances of `layers` (all layers if empty) die.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneOutage {
    /// When.
    pub at: SimDuration,
    /// Fraction of instances lost, in (0, 1].
    pub fraction: f64,
    /// Layers hit; all if empty.
    #[serde(default)]
    pub layers: Vec<String>,
}

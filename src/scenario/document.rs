//! A whole model file: name, seed, duration, traffic, layers and chaos.
//!
//! # Default values
//! | field | default |
//! |---|---|
//! | `name` | the file's stem |
//! | `seed` | `1` |
//! | `duration` | `1h` |
//! | `chaos` | none |
//! | `rollouts` | none (the world runs as it is) |

use std::collections::BTreeMap;

use crate::engine::SimDuration;

use super::chaos::ChaosSpec;
use super::layer::LayerSpec;
use super::rollout::RolloutSpec;
use super::traffic::TrafficSpec;

/// A model: everything a run needs.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in reports.
    #[serde(default)]
    pub name: String,
    /// What the model represents.
    #[serde(default)]
    pub description: String,
    /// Master seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time.
    #[serde(default = "default_duration")]
    pub duration: SimDuration,
    /// Arrivals at the entry layer.
    pub traffic: TrafficSpec,
    /// The layers, by name.
    pub layers: BTreeMap<String, LayerSpec>,
    /// Faults to inject.
    #[serde(default)]
    pub chaos: ChaosSpec,
    /// Versions to roll out, in any order (each has its own start).
    #[serde(default)]
    pub rollouts: Vec<RolloutSpec>,
}

fn default_seed() -> u64 {
    1
}
fn default_duration() -> SimDuration {
    SimDuration::from_hours(1)
}

//! Faults injected while the world runs: Chaos Monkey's random kills and zone outages,
//! and impairments that take capacity away without killing anything (CPU cuts,
//! slowdowns, added latency, blackholes). (Launch failures are per layer:
//! `launch_failure_probability`.)
//!
//! # Default values
//! No chaos at all unless listed. An impairment hits every serving instance of its
//! layers (`share = 1`) unless given a share. Kills come at any hour unless given
//! `hours` (Chaos Monkey's own default schedule is weekdays in business hours, 9 AM to
//! 3 PM: `hours = "mon-fri 09:00-15:00"`); with `hours`, `rate` is the rate within
//! them.
//!
//! # Impairments and what they stand for
//! | `kind` | parameter | effect on a hit instance | real-world counterpart |
//! |---|---|---|---|
//! | `cpu_cut` | `capacity` in (0, 1) | service times ÷ `capacity` | a noisy neighbour, CPU throttling (a CFS quota), a smaller instance type |
//! | `slowdown` | `factor` > 1 | service times × `factor` | a GC storm, a bad host, a degraded disk |
//! | `latency` | `added` (a duration) | each request reaches it `added` later (no worker held meanwhile); its caller waits | Netflix's Latency Monkey, a slow network path |
//! | `blackhole` | none | requests sent to it are silently lost: callers wait for their timeout | a network partition, a dropped route, a security-group change |
//!
//! Instances are hit from `at` for `duration`; the share is drawn among the serving
//! instances of each layer at `at` (instances launched later are not hit). Health
//! checks still pass on a hit instance (a gray failure: the balancer keeps sending it
//! traffic), so only the callers' timeouts and the rollout's judges see it.

use crate::engine::{Rate, SimDuration};

/// The chaos section.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChaosSpec {
    /// Random instance kills.
    #[serde(default)]
    pub kills: Vec<KillSpec>,
    /// Losses of a fraction of instances at once.
    #[serde(default)]
    pub zone_outages: Vec<ZoneOutage>,
    /// Capacity lost for a while without instances dying.
    #[serde(default)]
    pub impairments: Vec<Impairment>,
}

/// What an impairment does to the instances it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImpairmentKind {
    /// Instances keep only `capacity` of their CPU: service times ÷ `capacity`.
    CpuCut,
    /// Service times × `factor`.
    Slowdown,
    /// Requests reach the instance `added` later.
    Latency,
    /// Requests sent to the instance are lost; callers wait for their timeout.
    Blackhole,
}

impl ImpairmentKind {
    /// The kind's name in model files.
    pub fn name(self) -> &'static str {
        match self {
            ImpairmentKind::CpuCut => "cpu_cut",
            ImpairmentKind::Slowdown => "slowdown",
            ImpairmentKind::Latency => "latency",
            ImpairmentKind::Blackhole => "blackhole",
        }
    }

    /// The parameter field this kind requires, if any.
    pub fn parameter(self) -> Option<&'static str> {
        match self {
            ImpairmentKind::CpuCut => Some("capacity"),
            ImpairmentKind::Slowdown => Some("factor"),
            ImpairmentKind::Latency => Some("added"),
            ImpairmentKind::Blackhole => None,
        }
    }
}

/// From `at` for `duration`, a `share` of the serving instances of `layers` (all layers
/// if empty) is impaired as `kind` says.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Impairment {
    /// What it does.
    pub kind: ImpairmentKind,
    /// When it starts.
    pub at: SimDuration,
    /// How long it lasts.
    pub duration: SimDuration,
    /// Share of each layer's serving instances hit, in (0, 1].
    #[serde(default = "whole")]
    #[cfg_attr(test, schemars(range(max = 1), extend("exclusiveMinimum" = 0)))]
    pub share: f64,
    /// Layers hit; all if empty.
    #[serde(default)]
    pub layers: Vec<String>,
    /// `cpu_cut`: the share of CPU left, in (0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(example = 0.5))]
    pub capacity: Option<f64>,
    /// `slowdown`: the service-time multiplier, > 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(example = 3))]
    pub factor: Option<f64>,
    /// `latency`: the delay added to each request on its way in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(example = &"200ms"))]
    pub added: Option<SimDuration>,
}

fn whole() -> f64 {
    1.0
}

/// Kill a random in-service instance of `layer` at Poisson times.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KillSpec {
    /// The layer.
    #[cfg_attr(test, schemars(example = &"middle"))]
    pub layer: String,
    /// Kills per unit time, e.g. "2/h" (within `hours`, when given).
    pub rate: Rate,
    /// When Chaos Monkey strikes, e.g. "mon-fri 09:00-15:00" (the week's clock is the
    /// traffic shape's: its `start`); at any hour if left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<crate::scenario::week::WorkingHours>,
}

/// At `at`, a `fraction` of the instances of `layers` (all layers if empty) die.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ZoneOutage {
    /// When.
    pub at: SimDuration,
    /// Fraction of instances lost, in (0, 1].
    #[cfg_attr(test, schemars(range(max = 1), extend("exclusiveMinimum" = 0)))]
    #[cfg_attr(test, schemars(example = 0.33))]
    pub fraction: f64,
    /// Layers hit; all if empty.
    #[serde(default)]
    pub layers: Vec<String>,
}

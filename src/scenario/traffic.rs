//! The arrival process at the entry layer: a base rate, shaped by the day (or by a
//! table), with bursts and herd events on top.
//!
//! # Default values
//! | field | default | why |
//! |---|---|---|
//! | `entry` | `edge` | the internet-facing layer |
//! | `shape` | none (flat rate) | |
//! | `shape.peak_hour` | `20` | Netflix peaks in the evening |
//! | `shape.trough_ratio` | `0.35` | night traffic ≈ a third of the peak |
//! | `shape.weekend_factor` | `1.25` | weekends are busier |
//! | `shape.start` | `0` (Monday 00:00) | hours after Monday midnight at t = 0 |

use crate::engine::{Rate, SimDuration};

/// The traffic section.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TrafficSpec {
    /// The layer outside requests arrive at.
    #[serde(default = "default_entry")]
    pub entry: String,
    /// Poisson arrival rate: the peak rate when a daily shape is given (required).
    pub rate: Rate,
    /// A daily (and weekly) shape applied to `rate`.
    #[serde(default)]
    pub shape: Option<DailyShape>,
    /// A table of rates from given times on (overrides `rate` and `shape` from the
    /// first point's time).
    #[serde(default)]
    pub points: Vec<RatePoint>,
    /// Short surges.
    #[serde(default)]
    pub bursts: Vec<Burst>,
    /// Many clients acting at once.
    #[serde(default)]
    pub herds: Vec<Herd>,
}

/// Rate over the day: a cosine between the trough and the peak, × a weekend factor.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DailyShape {
    /// Hour of the day (0–24) of the peak.
    #[cfg_attr(test, schemars(range(min = 0), extend("exclusiveMaximum" = 24)))]
    pub peak_hour: f64,
    /// Lowest rate ÷ peak rate, in (0, 1].
    #[cfg_attr(test, schemars(range(max = 1), extend("exclusiveMinimum" = 0)))]
    pub trough_ratio: f64,
    /// Multiplier on Saturdays and Sundays.
    #[cfg_attr(test, schemars(range(max = 100), extend("exclusiveMinimum" = 0)))]
    pub weekend_factor: f64,
    /// Hours after Monday 00:00 at which the simulation starts (0–168).
    #[cfg_attr(test, schemars(range(min = 0), extend("exclusiveMaximum" = 168)))]
    pub start: f64,
}

impl Default for DailyShape {
    fn default() -> Self {
        DailyShape {
            peak_hour: 20.0,
            trough_ratio: 0.35,
            weekend_factor: 1.25,
            start: 0.0,
        }
    }
}

/// From `at` on, arrivals come at `rate`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RatePoint {
    /// When this rate begins.
    pub at: SimDuration,
    /// The rate.
    pub rate: Rate,
}

/// The rate multiplied by `factor` for `duration` from `at`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Burst {
    /// Start.
    pub at: SimDuration,
    /// Length.
    pub duration: SimDuration,
    /// Rate multiplier (> 0).
    #[cfg_attr(test, schemars(range(max = 1000), extend("exclusiveMinimum" = 0)))]
    #[cfg_attr(test, schemars(example = 3))]
    pub factor: f64,
}

/// `clients` extra requests at `layer`, spread uniformly over `spread` from `at`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Herd {
    /// When the herd starts.
    pub at: SimDuration,
    /// How many clients act.
    #[cfg_attr(test, schemars(range(min = 1, max = super::limits::MAX_HERD_CLIENTS)))]
    #[cfg_attr(test, schemars(example = 50000))]
    pub clients: u64,
    /// Over how long they act (0 = all at the same instant).
    #[serde(default)]
    pub spread: SimDuration,
    /// Why they act (for reports; both send one request each, with retries).
    #[serde(default)]
    pub kind: HerdKind,
    /// The layer they call; the entry layer if omitted.
    #[serde(default)]
    #[cfg_attr(test, schemars(example = &"middle"))]
    pub layer: Option<String>,
}

/// What sets a herd off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum HerdKind {
    /// Clients retrying together after errors.
    #[default]
    Retry,
    /// Clients reconnecting together after their connections went away.
    Reconnect,
}

fn default_entry() -> String {
    "edge".into()
}

//! A whole model file: name, seed, duration, traffic, layers and chaos.
//!
//! # Default values
//! | field | default |
//! |---|---|
//! | `name` | the file's stem |
//! | `seed` | `1` | any u64; above 2⁶³ − 1 (TOML's largest integer) write it in quotes, `seed = "18446744073709551615"` (`--set seed=` and `--seed` take any u64 as written). Seeds derived from it (`compare`'s run `i` uses `seed + i`, a sweep's seeds follow its first) wrap from 2⁶⁴ − 1 to 0 |
//! | `duration` | `1h` |
//! | `chaos` | none |
//! | `rollouts` | none (the world runs as it is) |
//! | `releases` | none (no release calendar) |
//! | `instance_hour_price` | none | price of one instance-hour, for the rollout cost |
//! | `slo.availability` | `0.999` | |
//! | `slo.latency_p99` | `500ms` | |
//! | `fast_representatives` | `32` | fast mode: one simulated request stands for ⌊largest layer's instances ÷ this⌋ |
//! | `fast_thinning` | `false` | fast mode, experimental: thin the calls to layers of quiet clusters |
//! | `fast_quiet_busy` | `0.6` | fast mode: clusters with nothing changing whose instances are at most this busy take their queue waits from queueing theory; 0 never |
//! | `fidelity` | `auto` | `exact` simulates every request; `fast` a few representatives per cluster (see `model::fast`); `auto` picks `fast` for big fleets |

use std::collections::BTreeMap;

use crate::engine::SimDuration;

use super::chaos::ChaosSpec;
use super::layer::LayerSpec;
use super::releases::ReleasesSpec;
use super::rollout::RolloutSpec;
use super::traffic::TrafficSpec;

/// A model: everything a run needs.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in reports.
    #[serde(default)]
    pub name: String,
    /// What the model represents.
    #[serde(default)]
    pub description: String,
    /// Master seed of every random stream: an integer from 0; above 2⁶³ − 1 (TOML's
    /// largest integer) in quotes, up to `"18446744073709551615"`.
    #[serde(default = "default_seed", deserialize_with = "any_u64")]
    #[cfg_attr(test, schemars(schema_with = "super::reference::values::seed"))]
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
    /// Teams releasing independently: a calendar of rollouts drawn from the seed, and
    /// the policy that decides when each may start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releases: Option<ReleasesSpec>,
    /// Price of one instance-hour (in any currency), to put a cost on extra capacity.
    #[serde(default)]
    #[cfg_attr(test, schemars(example = 0.34))]
    pub instance_hour_price: Option<f64>,
    /// The service level the rollout reports hold each minute of the entry layer to.
    #[serde(default)]
    pub slo: SloSpec,
    /// How the world is simulated: every request, or representatives of big clusters.
    #[serde(default, skip_serializing_if = "Fidelity::is_auto")]
    pub fidelity: Fidelity,
    /// Fast mode: representatives kept for the largest layer's starting fleet (the
    /// sampling step is that fleet ÷ this); more is slower and closer to request level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(example = 32))]
    pub fast_representatives: Option<u32>,
    /// Fast mode: a cluster with nothing changing (its layer's only one, a warm cohort,
    /// a healthy release) whose instances a whole instance's load keeps at most this
    /// busy takes its queue waits from queueing theory instead of background arrivals
    /// (see `model::quiet`); 0 turns that off (and thinning with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(example = 0.6))]
    pub fast_quiet_busy: Option<f64>,
    /// Fast mode, experimental: thin the calls to layers of quiet clusters (see
    /// `model::quiet`): faster for graphs of many services, but a layer that switches
    /// between thinned and not under load can overshoot its background load.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, schemars(example = false))]
    pub fast_thinning: bool,
}

/// How faithfully requests are simulated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Fidelity {
    /// `fast` when the largest layer starts with at least 256 instances
    /// ([`AUTO_FAST_MIN_INSTANCES`]), `exact` otherwise.
    #[default]
    Auto,
    /// Every request simulated (the reference).
    Exact,
    /// A few representatives per cluster simulated request by request, the rest by
    /// scaling (see `model::fast`).
    Fast,
}

/// Representatives kept for the largest layer's starting fleet in fast mode, unless
/// the model's `fast_representatives` says otherwise.
pub const DEFAULT_FAST_REPRESENTATIVES: u32 = 32;

/// Fast mode: the busiest a quiet cluster's instances may be (see `model::quiet`),
/// unless the model's `fast_quiet_busy` says otherwise.
pub const DEFAULT_FAST_QUIET_BUSY: f64 = 0.6;

/// Fast mode: a thinned layer (see `model::quiet`) still receives about this many
/// sampled calls per second, made in full.
pub const THINNED_CALLS_PER_SECOND: f64 = 16.0;

/// `fidelity = "auto"` runs fast when the largest layer starts with at least this many
/// instances (the smallest size at which the fast mode was measured against request
/// level: see the README's "How fast, how accurate").
pub const AUTO_FAST_MIN_INSTANCES: u32 = 256;

impl Scenario {
    /// How far back a run keeps the per-second series of its layers other than the
    /// entry, and of its clusters: all of it (`None`), but for a model with a release
    /// calendar only an hour, or twice the longest look-back (interval + delay) of any
    /// of its rollouts' analyses if longer: what controllers observe. A week of many
    /// services would not fit in memory otherwise.
    pub fn series_horizon(&self) -> Option<SimDuration> {
        let releases = self.releases.as_ref()?;
        let look_back = |r: &RolloutSpec| r.analysis.interval + r.analysis.delay;
        let longest = self
            .rollouts
            .iter()
            .chain(std::iter::once(&releases.rollout))
            .chain(releases.teams.values().filter_map(|t| t.rollout.as_ref()))
            .map(look_back)
            .max()
            .unwrap_or(SimDuration::ZERO);
        Some(SimDuration::from_hours(1).max(longest + longest))
    }

    /// Hours after Monday 00:00 at which the run starts: the traffic shape's `start`,
    /// 0 without a shape.
    pub fn week_start_hours(&self) -> f64 {
        self.traffic.shape.as_ref().map_or(0.0, |s| s.start)
    }

    /// The model's `fast_quiet_busy`, or its default.
    pub fn fast_quiet_busy(&self) -> f64 {
        self.fast_quiet_busy.unwrap_or(DEFAULT_FAST_QUIET_BUSY)
    }

    /// How many real requests one simulated request stands for under the model's
    /// fidelity: 1 at request level; in fast mode the largest layer's starting
    /// instances ÷ `fast_representatives`, rounded down (at least 1).
    pub fn sampling_step(&self) -> u32 {
        let largest = self.layers.values().map(|l| l.instances).max().unwrap_or(1);
        let fast = match self.fidelity {
            Fidelity::Exact => false,
            Fidelity::Fast => true,
            Fidelity::Auto => largest >= AUTO_FAST_MIN_INSTANCES,
        };
        if !fast {
            return 1;
        }
        let representatives = self
            .fast_representatives
            .unwrap_or(DEFAULT_FAST_REPRESENTATIVES);
        (largest / representatives.max(1)).max(1)
    }
}

impl Fidelity {
    /// Whether this is the default, `auto`.
    pub fn is_auto(&self) -> bool {
        *self == Fidelity::Auto
    }

    /// Its name in model files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Fidelity::Auto => "auto",
            Fidelity::Exact => "exact",
            Fidelity::Fast => "fast",
        }
    }
}

/// A service level objective for the entry layer, per minute.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SloSpec {
    /// Lowest success ratio.
    #[cfg_attr(test, schemars(range(max = 1), extend("exclusiveMinimum" = 0)))]
    pub availability: f64,
    /// Highest p99 latency.
    pub latency_p99: SimDuration,
}

impl Default for SloSpec {
    fn default() -> Self {
        SloSpec {
            availability: 0.999,
            latency_p99: SimDuration::from_millis(500),
        }
    }
}

fn default_seed() -> u64 {
    1
}

/// A u64 written as a TOML integer (at most 2⁶³ − 1) or as a decimal string (any u64).
fn any_u64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct Seed;
    const ALLOWED: &str = "an integer from 0 to 18446744073709551615 (in quotes above 2⁶³ − 1)";
    impl serde::de::Visitor<'_> for Seed {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(ALLOWED)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u64, E> {
            Ok(n)
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u64, E> {
            u64::try_from(n).map_err(|_| E::custom(format!("a seed is {ALLOWED}, got {n}")))
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<u64, E> {
            text.trim()
                .parse()
                .map_err(|_| E::custom(format!("a seed is {ALLOWED}, got {text:?}")))
        }
    }
    deserializer.deserialize_any(Seed)
}
fn default_duration() -> SimDuration {
    SimDuration::from_hours(1)
}

//! The parameters of a generated graph of services ([`GraphParams`]), their defaults
//! and their limits; a parameter out of its range is a [`ParamError`] naming the
//! command-line flag that sets it and what it allows.
//!
//! # Default values
//! | field | default | flag | why |
//! |---|---|---|---|
//! | `services` | `32` | `--services` | the edge, ~two dozen middle services, ~eight data services |
//! | `depth` | `4` | `--depth` | edge → three tiers of middle services → the data tier |
//! | `fan_out` | `2` | `--fan-out` | each non-data service calls 2 services below it (more where its tier must reach a wider one) |
//! | `edge_rate` | `20000/s` | `--edge-rate` | the evening peak at the edge: 9 197 instances in the default graph, thousands as in a 2011 Netflix-like stack; in fast mode it sets the fleets, hardly the cost of a run |
//! | `data_share` | `0.25` | `--data-share` | a quarter of the services are data services (leaves) |
//! | `cache_share` | `0.5` | `--cache-share` | half the calls to data services go through a cache |
//! | `cache_hit_ratio` | `0.8` | `--cache-hit-ratio` | netflix-2011's middle → backend cache |
//! | `service_time_mean_ms_min`, `_max` | `2`, `30` | | each service's mean service time, drawn log-uniformly between them |
//! | `service_time_p99_ratio` | `5` | | p99 = 5 × mean (lognormal), as netflix-2011's layers |
//! | `target_busy` | `0.4` | `--target-busy` | workers busy at the peak, as real fleets are sized (netflix-2011: 40–50%) |
//! | `seed` | `1` | `--seed` | draws the graph and seeds the model's runs |
//! | `duration` | `24h` | `--duration` | a whole day; a week of 32 services is over the memory limit of a run (see [`GraphParams::duration`]) |

use std::fmt;

use crate::engine::{Rate, SimDuration};
use crate::scenario::limits::{MAX_DURATION, MAX_LAYERS};

/// Most distinct services one service may call.
pub const MAX_FAN_OUT: u32 = 16;
/// Highest peak rate at the edge, per second (the fleets it asks for stay within the
/// model's limits of instances per layer only well below it).
pub const MAX_EDGE_RATE_PER_S: f64 = 10_000_000.0;
/// Shortest run a generated model may ask for.
pub const MIN_DURATION: SimDuration = SimDuration::from_mins(1);

/// What a graph of services is drawn from. Every field has a default (the module's
/// table); the same parameters always give the same model file, byte for byte.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphParams {
    /// Services (layers) in the graph, the edge included: 2 to 64 (the most layers a
    /// model may have).
    pub services: u32,
    /// Tiers below the edge, the last one the data tier: 1 (the edge calls data
    /// services directly) up to one tier per middle service, plus the data tier.
    pub depth: u32,
    /// Distinct services each non-data service calls, in deeper tiers; more where its
    /// tier must reach every service of a bigger tier below (each service has a caller
    /// in the tier above it).
    pub fan_out: u32,
    /// Requests per second arriving at the edge at the evening peak.
    pub edge_rate: Rate,
    /// Share of the services (the edge aside) that are data services: leaves of the
    /// graph, in the deepest tier; at least one.
    pub data_share: f64,
    /// Share of the calls to data services that go through a per-instance cache.
    pub cache_share: f64,
    /// Hit ratio of each cache, once warm.
    pub cache_hit_ratio: f64,
    /// Shortest mean service time a service may draw, in ms.
    pub service_time_mean_ms_min: u32,
    /// Longest mean service time a service may draw, in ms.
    pub service_time_mean_ms_max: u32,
    /// Each service time's p99 ÷ its mean (a lognormal).
    pub service_time_p99_ratio: u32,
    /// Share of each fleet's workers busy at the evening peak, in (0, 1).
    pub target_busy: f64,
    /// Seed of the draws (tiers, calls, caches, service times) and the model's `seed`.
    pub seed: u64,
    /// The model's `duration`. A run keeps a per-second series per layer and cluster
    /// (~400 bytes each per simulated second), so a model's memory grows with
    /// services × duration: 32 services fit under the 4 GiB a run may hold for about
    /// 46 hours, not a week (`rollsim run FILE --set duration=7d --force` runs one
    /// anyway). A duration whose model `rollsim check` would refuse is refused here.
    pub duration: SimDuration,
}

impl Default for GraphParams {
    fn default() -> Self {
        GraphParams {
            services: 32,
            depth: 4,
            fan_out: 2,
            edge_rate: Rate::per_second_checked(20_000.0).expect("a valid rate"),
            data_share: 0.25,
            cache_share: 0.5,
            cache_hit_ratio: 0.8,
            service_time_mean_ms_min: 2,
            service_time_mean_ms_max: 30,
            service_time_p99_ratio: 5,
            target_busy: 0.4,
            seed: 1,
            duration: SimDuration::from_hours(24),
        }
    }
}

/// A parameter the generator refuses: the flag that sets it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The command-line flag, e.g. `--depth`.
    pub flag: &'static str,
    /// What is wrong and what is allowed, starting with the value given.
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.flag, self.message)
    }
}

impl std::error::Error for ParamError {}

impl ParamError {
    pub(crate) fn new(flag: &'static str, message: impl Into<String>) -> Self {
        ParamError {
            flag,
            message: message.into(),
        }
    }
}

/// How the services split into kinds, from the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Split {
    /// Middle services (neither the edge nor data).
    pub(crate) middle: u32,
    /// Data services (leaves).
    pub(crate) data: u32,
}

impl GraphParams {
    /// The first parameter out of its range, if any, naming its flag.
    pub fn check(&self) -> Result<(), ParamError> {
        let max_layers = MAX_LAYERS as u32;
        if !(2..=max_layers).contains(&self.services) {
            return Err(ParamError::new(
                "--services",
                format!(
                    "{}: must be between 2 (the edge and one data service) and {max_layers} \
                     (the most layers a model may have)",
                    self.services
                ),
            ));
        }
        let share = |flag, value: f64, low_open: bool, high_open: bool, what: &str| {
            let above_low = if low_open { value > 0.0 } else { value >= 0.0 };
            let below_high = if high_open { value < 1.0 } else { value <= 1.0 };
            if value.is_finite() && above_low && below_high {
                return Ok(());
            }
            let (l, h) = (
                if low_open { "(0" } else { "[0" },
                if high_open { "1)" } else { "1]" },
            );
            Err(ParamError::new(
                flag,
                format!("{value}: {what}, must be in {l}, {h}"),
            ))
        };
        share(
            "--data-share",
            self.data_share,
            true,
            true,
            "the share of services that are data services",
        )?;
        share(
            "--cache-share",
            self.cache_share,
            false,
            false,
            "the share of calls to data services behind a cache",
        )?;
        share(
            "--cache-hit-ratio",
            self.cache_hit_ratio,
            false,
            true,
            "a cache's hit ratio",
        )?;
        if !(self.target_busy.is_finite() && (0.05..=0.9).contains(&self.target_busy)) {
            return Err(ParamError::new(
                "--target-busy",
                format!(
                    "{}: the share of workers busy at the peak, must be between 0.05 and 0.9",
                    self.target_busy
                ),
            ));
        }
        self.check_depth()?;
        if !(1..=MAX_FAN_OUT).contains(&self.fan_out) {
            return Err(ParamError::new(
                "--fan-out",
                format!(
                    "{}: the services each non-data service calls, must be between 1 and \
                     {MAX_FAN_OUT}",
                    self.fan_out
                ),
            ));
        }
        let rate = self.edge_rate.per_second();
        if !(rate.is_finite() && rate > 0.0 && rate <= MAX_EDGE_RATE_PER_S) {
            return Err(ParamError::new(
                "--edge-rate",
                format!(
                    "{}: the peak rate at the edge, must be above 0 and at most \
                     {MAX_EDGE_RATE_PER_S:.0}/s",
                    self.edge_rate
                ),
            ));
        }
        let (low, high) = (self.service_time_mean_ms_min, self.service_time_mean_ms_max);
        if !(1 <= low && low <= high && high <= 60_000) {
            return Err(ParamError::new(
                "service_time_mean_ms_min/max",
                format!("{low}..{high}: need 1 ≤ min ≤ max ≤ 60000 ms"),
            ));
        }
        if !(2..=100).contains(&self.service_time_p99_ratio) {
            return Err(ParamError::new(
                "service_time_p99_ratio",
                format!("{}: must be between 2 and 100", self.service_time_p99_ratio),
            ));
        }
        if self.duration < MIN_DURATION || self.duration > MAX_DURATION {
            return Err(ParamError::new(
                "--duration",
                format!(
                    "{}: must be between {MIN_DURATION} and {MAX_DURATION}",
                    self.duration
                ),
            ));
        }
        Ok(())
    }

    /// How many middle and data services the parameters give (`services` and
    /// `data_share` checked).
    pub(crate) fn split(&self) -> Split {
        let others = self.services - 1;
        let data = ((f64::from(others) * self.data_share).round() as u32).clamp(1, others);
        Split {
            middle: others - data,
            data,
        }
    }

    /// Each middle tier needs a service, and middle services need a middle tier.
    fn check_depth(&self) -> Result<(), ParamError> {
        let Split { middle, data } = self.split();
        let most = middle + 1;
        let least = if middle > 0 { 2 } else { 1 };
        if (least..=most).contains(&self.depth) {
            return Ok(());
        }
        Err(ParamError::new(
            "--depth",
            format!(
                "{}: {} services are the edge, {middle} middle and {data} data service(s) \
                 (--data-share {}): the data tier and one tier per middle service at most, \
                 and a middle tier if there are middle services, so the depth must be \
                 between {least} and {most}",
                self.depth, self.services, self.data_share
            ),
        ))
    }

    /// The command line that writes the model of these parameters (the parameters
    /// the command line cannot set must be their defaults for it to be exact).
    pub fn command_line(&self) -> String {
        format!(
            "rollsim generate services --services {} --depth {} --fan-out {} --edge-rate {} \
             --data-share {} --cache-share {} --cache-hit-ratio {} --target-busy {} --seed {} \
             --duration {}",
            self.services,
            self.depth,
            self.fan_out,
            self.edge_rate,
            self.data_share,
            self.cache_share,
            self.cache_hit_ratio,
            self.target_busy,
            self.seed,
            self.duration
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_accepted() {
        assert_eq!(GraphParams::default().check(), Ok(()));
        let split = GraphParams::default().split();
        assert_eq!((split.middle, split.data), (23, 8));
    }

    #[test]
    fn bad_parameters_are_refused_naming_the_flag() {
        let cases: Vec<(GraphParams, &str, &str)> = vec![
            (
                GraphParams {
                    services: 1,
                    ..GraphParams::default()
                },
                "--services",
                "between 2",
            ),
            (
                GraphParams {
                    services: 65,
                    ..GraphParams::default()
                },
                "--services",
                "64",
            ),
            (
                GraphParams {
                    depth: 0,
                    ..GraphParams::default()
                },
                "--depth",
                "between 2 and 24",
            ),
            (
                GraphParams {
                    services: 3,
                    ..GraphParams::default()
                },
                "--depth",
                "between 2 and 2",
            ),
            (
                GraphParams {
                    fan_out: 0,
                    ..GraphParams::default()
                },
                "--fan-out",
                "between 1 and 16",
            ),
            (
                GraphParams {
                    data_share: 1.0,
                    ..GraphParams::default()
                },
                "--data-share",
                "(0, 1)",
            ),
            (
                GraphParams {
                    cache_share: f64::NAN,
                    ..GraphParams::default()
                },
                "--cache-share",
                "[0, 1]",
            ),
            (
                GraphParams {
                    target_busy: 0.95,
                    ..GraphParams::default()
                },
                "--target-busy",
                "0.9",
            ),
            (
                GraphParams {
                    edge_rate: Rate::per_second_checked(1e8).unwrap(),
                    ..GraphParams::default()
                },
                "--edge-rate",
                "at most",
            ),
            (
                GraphParams {
                    duration: SimDuration::from_secs(5),
                    ..GraphParams::default()
                },
                "--duration",
                "between 1m",
            ),
        ];
        for (params, flag, allowed) in cases {
            let error = params.check().unwrap_err();
            assert_eq!(error.flag, flag, "{error}");
            assert!(error.to_string().contains(allowed), "{error}");
        }
    }

    #[test]
    fn two_services_are_an_edge_calling_a_data_service() {
        let params = GraphParams {
            services: 2,
            depth: 1,
            ..GraphParams::default()
        };
        assert_eq!(params.check(), Ok(()));
        assert_eq!(params.split(), Split { middle: 0, data: 1 });
    }
}

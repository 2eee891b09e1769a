//! Semantic checks of a parsed model, before anything runs: names that must exist,
//! a call graph without cycles, numbers in their ranges, sizes within the limits.
//! Each problem carries the path of the field it is about.
//!
//! [`check`] runs the model-wide checks here and one module per section of the file:
//! [`layers`] (sizes, lifecycle, clients, balancers, the call graph), [`traffic`],
//! [`chaos`] (kills, zone outages, impairments) and [`rollouts`] (releases, strategies,
//! analysis, rollouts that would overlap). A [`Checker`] collects the problems.

mod chaos;
mod layers;
mod releases;
mod rollouts;
mod traffic;

use std::collections::BTreeMap;

use crate::engine::DurationDist;

use super::document::Scenario;
use super::limits::*;
use super::locate::Segment;
use crate::scenario::layer::LayerSpec;

/// A field and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub(crate) path: Vec<Segment>,
    pub(crate) message: String,
}

/// Collects problems with a path prefix.
pub(super) struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    pub(super) fn fail(&mut self, path: &[&dyn ToSegment], message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.iter().map(|s| s.to_segment()).collect(),
            message: message.into(),
        });
    }
}

pub(super) trait ToSegment {
    fn to_segment(&self) -> Segment;
}
impl ToSegment for &str {
    fn to_segment(&self) -> Segment {
        Segment::Key(self.to_string())
    }
}
impl ToSegment for String {
    fn to_segment(&self) -> Segment {
        Segment::Key(self.clone())
    }
}
impl ToSegment for usize {
    fn to_segment(&self) -> Segment {
        Segment::Index(*self)
    }
}

/// Most representatives a fast-mode cluster may be asked to keep.
const MAX_REPRESENTATIVES: u32 = 100_000;

/// Every problem in `scenario`, in file order as far as possible.
pub(crate) fn check(scenario: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    if scenario.duration.is_zero() || scenario.duration > MAX_DURATION {
        c.fail(
            &[&"duration"],
            format!(
                "must be between 1ns and {MAX_DURATION} (366 days), got {}",
                scenario.duration
            ),
        );
    }
    layers::check_layers(&mut c, &scenario.layers);
    traffic::check_traffic(&mut c, scenario);
    chaos::check_chaos(&mut c, scenario);
    chaos::check_impairments(&mut c, scenario);
    rollouts::check_rollouts(&mut c, scenario);
    releases::check_releases(&mut c, scenario);
    if let Some(price) = scenario.instance_hour_price
        && !(price.is_finite() && (0.0..=1e6).contains(&price))
    {
        c.fail(
            &[&"instance_hour_price"],
            format!("must be between 0 and 1000000, got {price}"),
        );
    }
    if let Some(k) = scenario.fast_representatives
        && !(1..=MAX_REPRESENTATIVES).contains(&k)
    {
        c.fail(
            &[&"fast_representatives"],
            format!("must be between 1 and {MAX_REPRESENTATIVES}, got {k}"),
        );
    }
    if let Some(busy) = scenario.fast_quiet_busy
        && !(busy.is_finite() && (0.0..1.0).contains(&busy))
    {
        c.fail(
            &[&"fast_quiet_busy"],
            format!("must be at least 0 (never quiet) and below 1, got {busy}"),
        );
    }
    let slo = &scenario.slo;
    if !(slo.availability.is_finite() && slo.availability > 0.0 && slo.availability <= 1.0) {
        c.fail(
            &[&"slo", &"availability"],
            format!("must be in (0, 1], got {}", slo.availability),
        );
    }
    if slo.latency_p99.is_zero() || slo.latency_p99 > MAX_SETTING_DURATION {
        c.fail(
            &[&"slo", &"latency_p99"],
            format!(
                "must be between 1ns and {MAX_SETTING_DURATION}, got {}",
                slo.latency_p99
            ),
        );
    }
    c.problems
}

pub(super) fn check_dist(c: &mut Checker, path: &[&dyn ToSegment], dist: &DurationDist) {
    if dist.mean() > MAX_SETTING_DURATION {
        c.fail(
            path,
            format!(
                "the mean must be at most {MAX_SETTING_DURATION}, got {}",
                dist.mean()
            ),
        );
    }
}

pub(super) fn names(layers: &BTreeMap<String, LayerSpec>) -> String {
    if layers.is_empty() {
        return "none".into();
    }
    layers
        .keys()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

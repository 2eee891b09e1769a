//! Generated models: a graph of services drawn from a few parameters and written as an
//! ordinary model file, which `rollsim check` accepts and `rollsim run` runs like any
//! other (`rollsim generate services`).
//!
//! # How a model is generated
//! 1. [`params`]: the parameters ([`GraphParams`]: services, depth, fan-out, the edge's
//!    peak rate, shares of data services and cached calls, the target share of busy
//!    workers, seed, duration) are checked; one out of range is a [`ParamError`]
//!    naming its flag and what it allows.
//! 2. [`graph`]: the call graph is drawn from the seed: the edge in tier 0, middle
//!    services in the tiers below, data services (leaves) in the deepest; each
//!    service calls only deeper tiers and has a caller in the tier above it, so the
//!    graph is a DAG that reaches every service from the edge.
//! 3. [`sizing`]: the edge's peak rate flows down the calls (caches cut it), each
//!    service's holding time (its service plus the wait for its calls) is estimated,
//!    and each fleet is sized so that the target share of its workers is busy at the
//!    peak; clients' timeouts and Chaos Monkey's kill rates follow.
//! 4. [`render`]: the model's text, with a header giving the command that writes it
//!    again and each layer's figures in a comment.
//! 5. The text is parsed and checked as `rollsim check` does, work limits included:
//!    parameters whose model `check` would refuse (a duration whose per-second series
//!    would not fit in memory, an edge rate beyond the instances a layer may have) are
//!    refused here, naming the flag, never written.
//!
//! The same parameters give the same bytes: every draw comes from the project's seeded
//! streams ([`crate::engine::RngStreams`]), and numbers are written in fixed formats.

mod graph;
pub mod params;
mod render;
mod sizing;

use std::path::Path;

use crate::engine::SimDuration;
use crate::scenario::{self, Scenario, work};

pub use params::{GraphParams, ParamError};

/// The model file of a graph of services drawn from `params`, checked as `rollsim
/// check` checks a file.
pub fn services_model(params: &GraphParams) -> Result<String, ParamError> {
    params.check()?;
    let graph = graph::ServiceGraph::draw(params);
    let fleets = sizing::size(&graph, params)?;
    let text = render::model_text(params, &graph, &fleets);
    accepted(params, &text)?;
    Ok(text)
}

/// Refuses `text` if `rollsim check` would: a checking error is the generator's bug;
/// a model over the work limits is the parameters' doing: the duration's if a
/// shorter one fits (the message gives the longest), else the edge rate's (the
/// fleets and requests it brings do not fit even in an hour).
fn accepted(params: &GraphParams, text: &str) -> Result<(), ParamError> {
    let model = scenario::parse(text, Path::new("generated model")).map_err(|e| {
        ParamError::new(
            "(generator)",
            format!("wrote a model its own checks refuse, a bug to report: {e}"),
        )
    })?;
    let Err(reason) = work::estimate(&model).within_limits() else {
        return Ok(());
    };
    match longest_within_limits(&model) {
        Some(hours) => Err(ParamError::new(
            "--duration",
            format!(
                "{}: `rollsim check` would refuse the model: {reason}; {} services at {} fit \
                 in {hours}h at most (a longer run of a shorter model: `rollsim run FILE \
                 --set duration={} --force`)",
                params.duration, params.services, params.edge_rate, params.duration
            ),
        )),
        None => Err(ParamError::new(
            "--edge-rate",
            format!(
                "{}: `rollsim check` would refuse the model even for an hour: {reason}",
                params.edge_rate
            ),
        )),
    }
}

/// The longest whole number of hours `model` may last within the work limits, if
/// an hour is within them.
fn longest_within_limits(model: &Scenario) -> Option<u64> {
    let fits = |hours: u64| {
        let mut shorter = model.clone();
        shorter.duration = SimDuration::from_hours(hours);
        work::estimate(&shorter).within_limits().is_ok()
    };
    if !fits(1) {
        return None;
    }
    let (mut low, mut high) = (1, model.duration.as_secs_f64() as u64 / 3600 + 1);
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if fits(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    Some(low)
}

#[cfg(test)]
mod tests;

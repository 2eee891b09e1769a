//! Checks of the `traffic` section: the entry layer, the rate, the daily shape, rate
//! points, bursts and herds.

use crate::scenario::document::Scenario;
use crate::scenario::limits::*;

use super::{Checker, ToSegment, names};

pub(super) fn check_traffic(c: &mut Checker, scenario: &Scenario) {
    let traffic = &scenario.traffic;
    let t: &dyn ToSegment = &"traffic";
    if !scenario.layers.contains_key(&traffic.entry) {
        c.fail(
            &[t, &"entry"],
            format!(
                "no layer {:?}; the layers are {}",
                traffic.entry,
                names(&scenario.layers)
            ),
        );
    }
    let peak = traffic
        .points
        .iter()
        .map(|p| p.rate.per_second())
        .fold(traffic.rate.per_second(), f64::max);
    let peak_factor = traffic.bursts.iter().map(|b| b.factor).fold(1.0, f64::max);
    // The limits bound the requests simulated: in fast mode one stands for `step`.
    let step = f64::from(scenario.sampling_step());
    let mode = if step > 1.0 {
        format!(" (in fast mode, where one simulated request stands for {step})")
    } else {
        String::new()
    };
    if peak * peak_factor > MAX_RATE_PER_SECOND * step {
        c.fail(
            &[t, &"rate"],
            format!(
                "the peak rate ({:.0}/s with bursts) exceeds the limit of {:.0}/s{mode}",
                peak * peak_factor,
                MAX_RATE_PER_SECOND * step
            ),
        );
    } else if peak * scenario.duration.as_secs_f64() > MAX_TOTAL_REQUESTS * step {
        c.fail(&[t, &"rate"], format!(
            "{:.0}/s over {} is {:.1e} requests, more than the {:.1e} a run may simulate{mode}; shorten duration or lower the rate",
            peak, scenario.duration, peak * scenario.duration.as_secs_f64(), MAX_TOTAL_REQUESTS * step
        ));
    }
    if let Some(shape) = &traffic.shape {
        let s: &dyn ToSegment = &"shape";
        if !(shape.peak_hour.is_finite() && (0.0..24.0).contains(&shape.peak_hour)) {
            c.fail(
                &[t, s, &"peak_hour"],
                format!("must be an hour in [0, 24), got {}", shape.peak_hour),
            );
        }
        if !(shape.trough_ratio > 0.0 && shape.trough_ratio <= 1.0) {
            c.fail(
                &[t, s, &"trough_ratio"],
                format!("must be in (0, 1], got {}", shape.trough_ratio),
            );
        }
        if !(shape.weekend_factor > 0.0 && shape.weekend_factor <= 100.0) {
            c.fail(
                &[t, s, &"weekend_factor"],
                format!("must be in (0, 100], got {}", shape.weekend_factor),
            );
        }
        if !(shape.start.is_finite() && (0.0..168.0).contains(&shape.start)) {
            c.fail(
                &[t, s, &"start"],
                format!(
                    "must be hours after Monday 00:00, in [0, 168), got {}",
                    shape.start
                ),
            );
        }
    }
    for (field, len) in [
        ("points", traffic.points.len()),
        ("bursts", traffic.bursts.len()),
        ("herds", traffic.herds.len()),
    ] {
        if len > MAX_LIST_LEN {
            c.fail(
                &[t, &field],
                format!("at most {MAX_LIST_LEN} entries, got {len}"),
            );
        }
    }
    for (i, pair) in traffic.points.windows(2).enumerate() {
        if pair[1].at <= pair[0].at {
            c.fail(
                &[t, &"points", &(i + 1), &"at"],
                format!(
                    "points must be in increasing time order ({} follows {})",
                    pair[1].at, pair[0].at
                ),
            );
        }
    }
    for (i, burst) in traffic.bursts.iter().enumerate() {
        if !(burst.factor.is_finite() && burst.factor > 0.0 && burst.factor <= 1000.0) {
            c.fail(
                &[t, &"bursts", &i, &"factor"],
                format!("must be in (0, 1000], got {}", burst.factor),
            );
        }
        if burst.duration.is_zero() {
            c.fail(&[t, &"bursts", &i, &"duration"], "must be positive");
        }
    }
    for (i, herd) in traffic.herds.iter().enumerate() {
        if herd.clients == 0 || herd.clients > MAX_HERD_CLIENTS {
            c.fail(
                &[t, &"herds", &i, &"clients"],
                format!(
                    "must be between 1 and {MAX_HERD_CLIENTS}, got {}",
                    herd.clients
                ),
            );
        }
        if let Some(layer) = &herd.layer
            && !scenario.layers.contains_key(layer)
        {
            c.fail(
                &[t, &"herds", &i, &"layer"],
                format!(
                    "no layer {layer:?}; the layers are {}",
                    names(&scenario.layers)
                ),
            );
        }
    }
}

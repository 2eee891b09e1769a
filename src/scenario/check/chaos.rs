//! Checks of the `chaos` section: Chaos Monkey's kills, zone outages and impairments.

use crate::scenario::document::Scenario;
use crate::scenario::limits::*;

use super::{Checker, ToSegment, names};

/// Most a `slowdown` may multiply service times by (and least CPU a `cpu_cut` leaves).
pub(crate) const MAX_IMPAIRMENT_FACTOR: f64 = 1000.0;

pub(super) fn check_chaos(c: &mut Checker, scenario: &Scenario) {
    let ch: &dyn ToSegment = &"chaos";
    for (i, kill) in scenario.chaos.kills.iter().enumerate() {
        if !scenario.layers.contains_key(&kill.layer) {
            c.fail(
                &[ch, &"kills", &i, &"layer"],
                format!(
                    "no layer {:?}; the layers are {}",
                    kill.layer,
                    names(&scenario.layers)
                ),
            );
        }
    }
    for (i, outage) in scenario.chaos.zone_outages.iter().enumerate() {
        if !(outage.fraction > 0.0 && outage.fraction <= 1.0) {
            c.fail(
                &[ch, &"zone_outages", &i, &"fraction"],
                format!("must be in (0, 1], got {}", outage.fraction),
            );
        }
        for (j, layer) in outage.layers.iter().enumerate() {
            if !scenario.layers.contains_key(layer) {
                c.fail(
                    &[ch, &"zone_outages", &i, &"layers", &j],
                    format!(
                        "no layer {layer:?}; the layers are {}",
                        names(&scenario.layers)
                    ),
                );
            }
        }
    }
    for (field, len) in [
        ("kills", scenario.chaos.kills.len()),
        ("zone_outages", scenario.chaos.zone_outages.len()),
        ("impairments", scenario.chaos.impairments.len()),
    ] {
        if len > MAX_LIST_LEN {
            c.fail(
                &[ch, &field],
                format!("at most {MAX_LIST_LEN} entries, got {len}"),
            );
        }
    }
}

pub(super) fn check_impairments(c: &mut Checker, scenario: &Scenario) {
    use crate::scenario::chaos::ImpairmentKind;
    let ch: &dyn ToSegment = &"chaos";
    let im: &dyn ToSegment = &"impairments";
    for (i, impairment) in scenario.chaos.impairments.iter().enumerate() {
        let kind = impairment.kind;
        if !(impairment.share > 0.0 && impairment.share <= 1.0) {
            c.fail(
                &[ch, im, &i, &"share"],
                format!("must be in (0, 1], got {}", impairment.share),
            );
        }
        if impairment.duration.is_zero() {
            c.fail(&[ch, im, &i, &"duration"], "must be longer than 0s");
        }
        for (j, layer) in impairment.layers.iter().enumerate() {
            if !scenario.layers.contains_key(layer) {
                c.fail(
                    &[ch, im, &i, &"layers", &j],
                    format!(
                        "no layer {layer:?}; the layers are {}",
                        names(&scenario.layers)
                    ),
                );
            }
        }
        let given = [
            ("capacity", impairment.capacity.is_some()),
            ("factor", impairment.factor.is_some()),
            ("added", impairment.added.is_some()),
        ];
        for (field, present) in given {
            if present && kind.parameter() != Some(field) {
                let wanted = kind
                    .parameter()
                    .map_or("no parameter".to_string(), |p| format!("`{p}`"));
                c.fail(
                    &[ch, im, &i, &field],
                    format!("not a setting of `{}` (it takes {wanted})", kind.name()),
                );
            }
        }
        match kind {
            ImpairmentKind::CpuCut => match impairment.capacity {
                None => c.fail(
                    &[ch, im, &i, &"capacity"],
                    "`cpu_cut` needs `capacity`: the share of CPU left, in (0, 1)",
                ),
                Some(capacity) if !(1.0 / MAX_IMPAIRMENT_FACTOR..1.0).contains(&capacity) => c
                    .fail(
                        &[ch, im, &i, &"capacity"],
                        format!(
                            "must be in [{}, 1), got {capacity}",
                            1.0 / MAX_IMPAIRMENT_FACTOR
                        ),
                    ),
                Some(_) => {}
            },
            ImpairmentKind::Slowdown => match impairment.factor {
                None => c.fail(
                    &[ch, im, &i, &"factor"],
                    "`slowdown` needs `factor`: the service-time multiplier, above 1",
                ),
                Some(factor) if !(factor > 1.0 && factor <= MAX_IMPAIRMENT_FACTOR) => c.fail(
                    &[ch, im, &i, &"factor"],
                    format!("must be in (1, {MAX_IMPAIRMENT_FACTOR}], got {factor}"),
                ),
                Some(_) => {}
            },
            ImpairmentKind::Latency => match impairment.added {
                None => c.fail(
                    &[ch, im, &i, &"added"],
                    "`latency` needs `added`: the delay added to each request, e.g. \"200ms\"",
                ),
                Some(added) if added.is_zero() || added > MAX_SETTING_DURATION => c.fail(
                    &[ch, im, &i, &"added"],
                    format!("must be in (0s, {MAX_SETTING_DURATION}]"),
                ),
                Some(_) => {}
            },
            ImpairmentKind::Blackhole => {}
        }
    }
}

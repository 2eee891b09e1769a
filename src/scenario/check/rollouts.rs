//! Checks of the `rollouts`: the layer each rolls, its release's defects, its
//! strategy's settings, its analysis, and rollouts of one layer that would overlap.

use crate::engine::SimDuration;
use crate::scenario::document::Scenario;
use crate::scenario::layer::LayerSpec;
use crate::scenario::limits::*;
use crate::scenario::rollout::{CanaryTraffic, ReleaseSpec, RolloutSpec};

use super::{Checker, ToSegment, check_dist, names};

/// How long a rollout lasts at least when it promotes: the phases it must wait out
/// (launches, boots and the old cluster's warm keeping not counted).
fn nominal_length(rollout: &crate::scenario::rollout::RolloutSpec) -> SimDuration {
    use crate::scenario::rollout::Strategy;
    let total = |parts: &mut dyn Iterator<Item = SimDuration>| {
        parts.fold(SimDuration::ZERO, |sum, d| sum + d)
    };
    match rollout.strategy {
        Strategy::RedBlack => {
            let canary = rollout.red_black.canary.as_ref().map(|c| c.duration);
            total(&mut [Some(rollout.red_black.bake), canary].into_iter().flatten())
        }
        Strategy::RollingRedBlack => {
            let steps = rollout.rolling_red_black.target_percentages.len().max(1) - 1;
            total(&mut std::iter::repeat_n(
                rollout.rolling_red_black.pause,
                steps,
            ))
        }
        Strategy::Canary => total(&mut rollout.canary.steps.iter().map(|s| s.pause)),
        Strategy::Rolling | Strategy::Highlander => SimDuration::ZERO,
    }
}

/// Two rollouts of one layer may follow each other, not overlap: a later one may not
/// start before an earlier one's start plus its nominal length (at run time, one that
/// starts while the other is still going waits for it).
pub(super) fn check_overlapping_rollouts(c: &mut Checker, scenario: &Scenario) {
    let r: &dyn ToSegment = &"rollouts";
    let rollouts = &scenario.rollouts;
    for (j, later) in rollouts.iter().enumerate() {
        let earlier = rollouts.iter().enumerate().find(|(i, earlier)| {
            *i != j
                && earlier.layer == later.layer
                && (earlier.start < later.start || (earlier.start == later.start && *i < j))
                && later.start
                    < earlier.start + nominal_length(earlier).max(SimDuration::from_nanos(1))
        });
        if let Some((i, earlier)) = earlier {
            let length = nominal_length(earlier);
            c.fail(
                &[r, &j, &"start"],
                format!(
                    "rollouts[{j}] of layer {:?} starts at {}, while rollouts[{i}] of the same \
                     layer (from {}, at least {length} by its {} phases) is still under way: two \
                     rollouts of one layer at once would fight over its old version; start it \
                     at {} or later",
                    later.layer,
                    later.start,
                    earlier.start,
                    earlier.strategy,
                    earlier.start + length.max(SimDuration::from_nanos(1))
                ),
            );
        }
    }
}

pub(super) fn check_rollouts(c: &mut Checker, scenario: &Scenario) {
    check_overlapping_rollouts(c, scenario);
    let r: &dyn ToSegment = &"rollouts";
    if scenario.rollouts.len() > MAX_LIST_LEN {
        c.fail(
            &[r],
            format!(
                "at most {MAX_LIST_LEN} rollouts, got {}",
                scenario.rollouts.len()
            ),
        );
    }
    for (i, rollout) in scenario.rollouts.iter().enumerate() {
        if rollout.layer.is_empty() {
            c.fail(
                &[r, &i, &"layer"],
                format!(
                    "a rollout must name the layer it rolls; the layers are {}",
                    names(&scenario.layers)
                ),
            );
            continue;
        }
        let Some(layer) = scenario.layers.get(&rollout.layer) else {
            c.fail(
                &[r, &i, &"layer"],
                format!(
                    "no layer {:?}; the layers are {}",
                    rollout.layer,
                    names(&scenario.layers)
                ),
            );
            continue;
        };
        if rollout.start >= scenario.duration {
            c.fail(
                &[r, &i, &"start"],
                format!(
                    "starts at {}, at or after the end of the run ({})",
                    rollout.start, scenario.duration
                ),
            );
        }
        check_release(c, i, &rollout.release);
        check_strategy_settings(c, i, rollout, layer);
        check_analysis(c, i, rollout);
    }
}

/// A share in [0, 1] (or (0, 1] when `low_open`).
fn ratio(c: &mut Checker, path: &[&dyn ToSegment], value: f64, low_open: bool) {
    let ok = value.is_finite() && value <= 1.0 && if low_open { value > 0.0 } else { value >= 0.0 };
    if !ok {
        let range = if low_open { "(0, 1]" } else { "[0, 1]" };
        c.fail(path, format!("must be in {range}, got {value}"));
    }
}

/// The release of rollout `i`: its defects' rates, factors, leak and crashes.
pub(super) fn check_release(c: &mut Checker, i: usize, release: &ReleaseSpec) {
    let r: &dyn ToSegment = &"rollouts";
    let rl: &dyn ToSegment = &"release";
    ratio(c, &[r, &i, rl, &"error_rate"], release.error_rate, false);
    ratio(
        c,
        &[r, &i, rl, &"affected_fraction"],
        release.affected_fraction,
        true,
    );
    if let Some(load) = release.above_load {
        ratio(c, &[r, &i, rl, &"above_load"], load, true);
    }
    for (field, value, max) in [
        ("latency_factor", release.latency_factor, 100.0),
        ("capacity_factor", release.capacity_factor, 10.0),
    ] {
        if !(value.is_finite() && value > 0.0 && value <= max) {
            c.fail(
                &[r, &i, rl, &field],
                format!("must be a factor in (0, {max}], got {value}"),
            );
        }
    }
    if let Some(leak) = &release.leak {
        ratio(
            c,
            &[r, &i, rl, &"leak", &"max_error_rate"],
            leak.max_error_rate,
            false,
        );
        for (field, value) in [("onset", leak.onset), ("ramp", leak.ramp)] {
            if value > MAX_SETTING_DURATION {
                c.fail(
                    &[r, &i, rl, &"leak", &field],
                    format!("must be at most {MAX_SETTING_DURATION}, got {value}"),
                );
            }
        }
    }
    if let Some(crash) = &release.crash_after {
        check_dist(c, &[r, &i, rl, &"crash_after"], crash);
        if crash.mean() < SimDuration::from_secs(1) {
            c.fail(
                &[r, &i, rl, &"crash_after"],
                format!(
                    "the mean must be at least 1s (instances must live), got {}",
                    crash.mean()
                ),
            );
        }
    }
}

/// The strategy settings of rollout `i` of `layer`: deadlines and bakes, the red/black
/// canary, canary steps and rolling red/black's targets, rolling's batch limits.
pub(super) fn check_strategy_settings(
    c: &mut Checker,
    i: usize,
    rollout: &RolloutSpec,
    layer: &LayerSpec,
) {
    let r: &dyn ToSegment = &"rollouts";
    let rb = &rollout.red_black;
    let rbs: &dyn ToSegment = &"red_black";
    let mut durations = vec![
        (vec![rbs, &"healthy_deadline"], rb.healthy_deadline),
        (vec![rbs, &"bake"], rb.bake),
        (vec![rbs, &"disabled_for"], rb.disabled_for),
        (
            vec![&"rolling", &"healthy_deadline"],
            rollout.rolling.healthy_deadline,
        ),
        (
            vec![&"canary", &"healthy_deadline"],
            rollout.canary.healthy_deadline,
        ),
        (vec![&"monitor"], rollout.monitor),
    ];
    let reaction = rollout.rolling.reaction_delay;
    if reaction < SimDuration::from_millis(1) || reaction > SimDuration::from_secs(300) {
        c.fail(
            &[r, &i, &"rolling", &"reaction_delay"],
            format!("must be between 1ms and 5m, got {reaction}"),
        );
    }
    if let Some(canary) = &rb.canary {
        durations.push((vec![rbs, &"canary", &"duration"], canary.duration));
        if canary.instances == 0 || canary.instances > layer.instances {
            c.fail(
                &[r, &i, rbs, &"canary", &"instances"],
                format!(
                    "must be between 1 and the layer's {} instances, got {}",
                    layer.instances, canary.instances
                ),
            );
        }
    }
    for (path, value) in durations {
        if value > MAX_SETTING_DURATION {
            let mut full: Vec<&dyn ToSegment> = vec![r, &i];
            full.extend(path);
            c.fail(
                &full,
                format!("must be at most {MAX_SETTING_DURATION}, got {value}"),
            );
        }
    }
    let increasing_percentages = |c: &mut Checker, path: &[&dyn ToSegment], values: &[f64]| {
        if values.is_empty() || values.len() > MAX_LIST_LEN {
            c.fail(
                path,
                format!("needs 1 to {MAX_LIST_LEN} steps, got {}", values.len()),
            );
        }
        for (k, value) in values.iter().enumerate() {
            let previous = if k == 0 { 0.0 } else { values[k - 1] };
            if !(value.is_finite() && *value > previous && *value <= 100.0) {
                c.fail(
                    path,
                    format!(
                        "percentages must increase within (0, 100]; step {} is {value} after {previous}",
                        k + 1
                    ),
                );
                break;
            }
        }
    };
    let weights: Vec<f64> = rollout.canary.steps.iter().map(|s| s.weight).collect();
    increasing_percentages(c, &[r, &i, &"canary", &"steps"], &weights);
    let targets = &rollout.rolling_red_black.target_percentages;
    increasing_percentages(
        c,
        &[r, &i, &"rolling_red_black", &"target_percentages"],
        targets,
    );
    if targets.last().is_some_and(|last| *last != 100.0) {
        c.fail(
            &[r, &i, &"rolling_red_black", &"target_percentages"],
            format!(
                "must end at 100 (all traffic on the new version), ends at {}",
                targets.last().unwrap_or(&0.0)
            ),
        );
    }
    for (k, step) in rollout.canary.steps.iter().enumerate() {
        if step.pause > MAX_SETTING_DURATION {
            c.fail(
                &[r, &i, &"canary", &"steps", &k, &"pause"],
                format!("must be at most {MAX_SETTING_DURATION}, got {}", step.pause),
            );
        }
    }
    check_canary_scale(c, i, rollout, layer.instances);
    // As Kubernetes: both written as 0 is refused; both rounding to 0 for this size
    // lets one instance be unavailable ([`RollingSpec::batch_limits`]).
    if rollout.rolling.max_surge.is_zero() && rollout.rolling.max_unavailable.is_zero() {
        c.fail(
            &[r, &i, &"rolling"],
            format!(
                "max_surge ({}) and max_unavailable ({}) are both 0: the upgrade could \
                 never make progress; allow at least one of them",
                rollout.rolling.max_surge, rollout.rolling.max_unavailable
            ),
        );
    }
    let (surge, _) = rollout.rolling.batch_limits(layer.instances);
    if surge > MAX_INSTANCES {
        c.fail(
            &[r, &i, &"rolling", &"max_surge"],
            format!("at most {MAX_INSTANCES}, got {surge}"),
        );
    }
}

/// The analysis of rollout `i`: intervals, thresholds, phases long enough to
/// be judged, the statistical judge's settings.
pub(super) fn check_analysis(c: &mut Checker, i: usize, rollout: &RolloutSpec) {
    let r: &dyn ToSegment = &"rollouts";
    let rb = &rollout.red_black;
    let rbs: &dyn ToSegment = &"red_black";
    let a = &rollout.analysis;
    let an: &dyn ToSegment = &"analysis";
    // Metrics come in one-second windows: shorter checks would judge nothing.
    let second = SimDuration::from_secs(1);
    if a.interval < second || a.interval > MAX_SETTING_DURATION {
        c.fail(
            &[r, &i, an, &"interval"],
            format!(
                "must be between 1s and {MAX_SETTING_DURATION}, got {}",
                a.interval
            ),
        );
    }
    // A phase shorter than the warm-up delay plus one check can never pass.
    let first_check = a.delay + a.interval;
    let judged: Vec<(Vec<&dyn ToSegment>, SimDuration)> = match rollout.strategy {
        crate::scenario::rollout::Strategy::RedBlack => {
            let mut phases: Vec<(Vec<&dyn ToSegment>, SimDuration)> =
                vec![(vec![rbs, &"bake"], rb.bake)];
            if let Some(canary) = &rb.canary {
                phases.push((vec![rbs, &"canary", &"duration"], canary.duration));
            }
            phases
        }
        crate::scenario::rollout::Strategy::RollingRedBlack => vec![
            (vec![rbs, &"bake"], rb.bake),
            (
                vec![&"rolling_red_black", &"pause"],
                rollout.rolling_red_black.pause,
            ),
        ],
        crate::scenario::rollout::Strategy::Canary => rollout
            .canary
            .steps
            .iter()
            .map(|step| (vec![&"canary" as &dyn ToSegment, &"steps"], step.pause))
            .collect(),
        crate::scenario::rollout::Strategy::Rolling => {
            vec![(
                vec![&"rolling", &"healthy_deadline"],
                rollout.rolling.healthy_deadline,
            )]
        }
        crate::scenario::rollout::Strategy::Highlander => Vec::new(),
    };
    for (path, length) in judged {
        if length < first_check {
            let mut full: Vec<&dyn ToSegment> = vec![r, &i];
            full.extend(path);
            c.fail(
                &full,
                format!(
                    "{length} is shorter than the analysis delay plus one interval ({first_check}): \
                     the {} strategy could never pass it",
                    rollout.strategy
                ),
            );
        }
    }
    if a.delay > MAX_SETTING_DURATION {
        c.fail(
            &[r, &i, an, &"delay"],
            format!("must be at most {MAX_SETTING_DURATION}, got {}", a.delay),
        );
    }
    if a.failure_limit == 0 || a.failure_limit > 100 {
        c.fail(
            &[r, &i, an, &"failure_limit"],
            format!("must be between 1 and 100, got {}", a.failure_limit),
        );
    }
    ratio(c, &[r, &i, an, &"max_error_rate"], a.max_error_rate, false);
    ratio(
        c,
        &[r, &i, an, &"max_error_rate_increase"],
        a.max_error_rate_increase,
        false,
    );
    if !(a.confidence > 0.5 && a.confidence < 1.0) {
        c.fail(
            &[r, &i, an, &"confidence"],
            format!("must be in (0.5, 1), got {}", a.confidence),
        );
    }
    if !(a.tolerance.is_finite() && a.tolerance >= 0.0 && a.tolerance <= 10.0) {
        c.fail(
            &[r, &i, an, &"tolerance"],
            format!("must be between 0 and 10, got {}", a.tolerance),
        );
    }
    if !(0.0..=100.0).contains(&a.marginal_score)
        || !(0.0..=100.0).contains(&a.pass_score)
        || a.marginal_score > a.pass_score
    {
        c.fail(
            &[r, &i, an, &"pass_score"],
            format!(
                "scores must satisfy 0 ≤ marginal_score ≤ pass_score ≤ 100, got {} and {}",
                a.marginal_score, a.pass_score
            ),
        );
    }
    let points = a.interval.as_nanos() / a.sample_interval.as_nanos().max(1);
    if a.sample_interval < second || a.sample_interval > a.interval || points > 1000 {
        c.fail(
            &[r, &i, an, &"sample_interval"],
            format!(
                "must be between 1s and the interval ({}), and give at most 1000 points per \
                 interval, got {}",
                a.interval, a.sample_interval
            ),
        );
    }
    if !(a.max_latency_p99_ratio.is_finite() && a.max_latency_p99_ratio >= 1.0) {
        c.fail(
            &[r, &i, an, &"max_latency_p99_ratio"],
            format!("must be at least 1, got {}", a.max_latency_p99_ratio),
        );
    }
}

/// The canary's sizes apart from its weights (`canary.steps[].scale`) and its old
/// version shrinking with its weight (`canary.dynamic_stable_scale`): both need a
/// traffic router, as in Argo Rollouts (`setCanaryScale` and `dynamicStableScale` act
/// only with `trafficRouting`); a scale must come to at least one instance.
fn check_canary_scale(c: &mut Checker, i: usize, rollout: &RolloutSpec, size: u32) {
    let r: &dyn ToSegment = &"rollouts";
    let by_replicas = rollout.canary.traffic == CanaryTraffic::Replicas;
    if by_replicas && rollout.canary.dynamic_stable_scale {
        c.fail(
            &[r, &i, &"canary", &"dynamic_stable_scale"],
            "needs a traffic router (canary.traffic = \"weights\"): with \"replicas\" the old \
             version's size already follows its weight",
        );
    }
    for (k, step) in rollout.canary.steps.iter().enumerate() {
        let Some(scale) = step.scale else { continue };
        let path: [&dyn ToSegment; 6] = [r, &i, &"canary", &"steps", &k, &"scale"];
        if by_replicas {
            c.fail(
                &path,
                "needs a traffic router (canary.traffic = \"weights\"): with \"replicas\" the \
                 new version's size is its weight",
            );
        } else if scale.of(size, true) == 0 {
            c.fail(
                &path,
                format!(
                    "comes to 0 of the layer's {size} instances: the step's weight would have no \
                     instance to serve it; write at least 1 (or leave it out to size by weight)"
                ),
            );
        } else if scale.of(size, true) > MAX_INSTANCES {
            c.fail(&path, format!("at most {MAX_INSTANCES}, got {scale}"));
        }
    }
}

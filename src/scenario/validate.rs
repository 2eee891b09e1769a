//! Semantic checks of a parsed model, before anything runs: names that must exist,
//! a call graph without cycles, numbers in their ranges, sizes within the limits.
//! Each problem carries the path of the field it is about.

use std::collections::BTreeMap;

use crate::engine::{DurationDist, SimDuration};

use super::document::Scenario;
use super::layer::LayerSpec;
use super::limits::*;
use super::locate::Segment;

/// A field and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub(crate) path: Vec<Segment>,
    pub(crate) message: String,
}

/// Collects problems with a path prefix.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: &[&dyn ToSegment], message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.iter().map(|s| s.to_segment()).collect(),
            message: message.into(),
        });
    }
}

trait ToSegment {
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

/// Every problem in `scenario`, in file order as far as possible.
/// Most representatives a fast-mode cluster may be asked to keep.
const MAX_REPRESENTATIVES: u32 = 100_000;

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
    check_layers(&mut c, &scenario.layers);
    check_traffic(&mut c, scenario);
    check_chaos(&mut c, scenario);
    check_impairments(&mut c, scenario);
    check_rollouts(&mut c, scenario);
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

fn check_layers(c: &mut Checker, layers: &BTreeMap<String, LayerSpec>) {
    if layers.is_empty() {
        c.fail(
            &[&"layers"],
            "a model needs at least one layer, e.g. [layers.edge] with instances = 4",
        );
    }
    if layers.len() > MAX_LAYERS {
        c.fail(
            &[&"layers"],
            format!("at most {MAX_LAYERS} layers, got {}", layers.len()),
        );
    }
    for (name, layer) in layers {
        let l: &dyn ToSegment = &"layers";
        let n: &dyn ToSegment = name;
        let range = |c: &mut Checker, field: &str, value: u64, min: u64, max: u64| {
            if value < min || value > max {
                c.fail(
                    &[l, n, &field],
                    format!("must be between {min} and {max}, got {value}"),
                );
            }
        };
        range(
            c,
            "instances",
            layer.instances as u64,
            1,
            MAX_INSTANCES as u64,
        );
        range(c, "workers", layer.workers as u64, 1, MAX_WORKERS as u64);
        range(
            c,
            "queue_capacity",
            layer.queue_capacity as u64,
            0,
            MAX_QUEUE_CAPACITY as u64,
        );
        check_dist(c, &[l, n, &"service_time"], &layer.service_time);
        check_dist(c, &[l, n, &"launch_time"], &layer.launch_time);
        check_dist(c, &[l, n, &"boot_time"], &layer.boot_time);
        if let Some(wait) = layer.queue_timeout
            && (wait.is_zero() || wait > MAX_SETTING_DURATION)
        {
            c.fail(
                &[l, n, &"queue_timeout"],
                format!("must be between 1ns and {MAX_SETTING_DURATION}, got {wait}"),
            );
        }
        if layer.warmup > MAX_SETTING_DURATION {
            c.fail(
                &[l, n, &"warmup"],
                format!(
                    "must be at most {MAX_SETTING_DURATION}, got {}",
                    layer.warmup
                ),
            );
        }
        if !(layer.warmup_slowdown.is_finite() && (1.0..=100.0).contains(&layer.warmup_slowdown)) {
            c.fail(
                &[l, n, &"warmup_slowdown"],
                format!(
                    "must be between 1 (no slowdown) and 100, got {}",
                    layer.warmup_slowdown
                ),
            );
        }
        let p = layer.launch_failure_probability;
        if !(p.is_finite() && (0.0..1.0).contains(&p)) {
            c.fail(
                &[l, n, &"launch_failure_probability"],
                format!(
                    "must be a probability in [0, 1) (at 1 no instance could ever start), got {p}"
                ),
            );
        }
        check_client(c, l, n, layer);
        check_balancer(c, l, n, layer);
        if layer.calls.len() > MAX_LIST_LEN {
            c.fail(&[l, n, &"calls"], format!("at most {MAX_LIST_LEN} calls"));
        }
        for (i, call) in layer.calls.iter().enumerate() {
            let calls: &dyn ToSegment = &"calls";
            if call.layer == *name {
                c.fail(
                    &[l, n, calls, &i, &"layer"],
                    format!("layer {name:?} calls itself; a layer may only call layers below it"),
                );
            } else if !layers.contains_key(&call.layer) {
                c.fail(
                    &[l, n, calls, &i, &"layer"],
                    format!(
                        "no layer {:?}; the layers are {}",
                        call.layer,
                        names(layers)
                    ),
                );
            }
            if call.count == 0 || call.count > MAX_CALL_COUNT {
                c.fail(
                    &[l, n, calls, &i, &"count"],
                    format!("must be between 1 and {MAX_CALL_COUNT}, got {}", call.count),
                );
            }
            if let Some(cache) = &call.cache {
                if !(cache.hit_ratio.is_finite() && (0.0..1.0).contains(&cache.hit_ratio)) {
                    c.fail(
                        &[l, n, calls, &i, &"cache", &"hit_ratio"],
                        format!("must be at least 0 and below 1, got {}", cache.hit_ratio),
                    );
                }
                if cache.warmup_requests == 0 {
                    c.fail(
                        &[l, n, calls, &i, &"cache", &"warmup_requests"],
                        "must be at least 1",
                    );
                }
            }
        }
        if let Some(scaler) = &layer.autoscaler {
            let a: &dyn ToSegment = &"autoscaler";
            if scaler.min == 0 || scaler.min > scaler.max || scaler.max > MAX_INSTANCES {
                c.fail(
                    &[l, n, a, &"max"],
                    format!(
                        "need 1 ≤ min ≤ max ≤ {MAX_INSTANCES}, got min {} and max {}",
                        scaler.min, scaler.max
                    ),
                );
            }
            if !(scaler.target_utilisation > 0.0 && scaler.target_utilisation < 1.0) {
                c.fail(
                    &[l, n, a, &"target_utilisation"],
                    format!(
                        "must be between 0 and 1 (exclusive), got {}",
                        scaler.target_utilisation
                    ),
                );
            }
            if scaler.metric_period.is_zero() || scaler.metric_period > MAX_SETTING_DURATION {
                c.fail(
                    &[l, n, a, &"metric_period"],
                    format!("must be between 1ns and {MAX_SETTING_DURATION}"),
                );
            }
        }
    }
    if layers.len() <= MAX_LAYERS
        && let Some(cycle) = find_cycle(layers)
    {
        c.fail(
            &[&"layers", &cycle[0].clone(), &"calls"],
            format!("layers call each other in a cycle: {}", cycle.join(" → ")),
        );
    }
}

fn check_client(c: &mut Checker, l: &dyn ToSegment, n: &dyn ToSegment, layer: &LayerSpec) {
    let client = &layer.client;
    let k: &dyn ToSegment = &"client";
    if client.timeout.is_zero() || client.timeout > MAX_SETTING_DURATION {
        c.fail(
            &[l, n, k, &"timeout"],
            format!(
                "must be between 1ns and {MAX_SETTING_DURATION}, got {}",
                client.timeout
            ),
        );
    }
    if client.retries > MAX_RETRIES {
        c.fail(
            &[l, n, k, &"retries"],
            format!("must be at most {MAX_RETRIES}, got {}", client.retries),
        );
    }
    if let Some(budget) = client.retry_budget
        && !(budget.is_finite() && (0.0..=10.0).contains(&budget))
    {
        c.fail(
            &[l, n, k, &"retry_budget"],
            format!("must be a ratio between 0 and 10 retries per request, got {budget}"),
        );
    }
}

fn check_balancer(c: &mut Checker, l: &dyn ToSegment, n: &dyn ToSegment, layer: &LayerSpec) {
    use super::balancer::BalancerSpec;
    let b: &dyn ToSegment = &"balancer";
    let durations: Vec<(&str, SimDuration)> = match &layer.balancer {
        BalancerSpec::Elb {
            health_check_interval,
            healthy_threshold,
            unhealthy_threshold,
            deregistration_delay,
            ..
        } => {
            for (field, value) in [
                ("healthy_threshold", healthy_threshold),
                ("unhealthy_threshold", unhealthy_threshold),
            ] {
                if *value == 0 || *value > 100 {
                    c.fail(
                        &[l, n, b, &field],
                        format!("must be between 1 and 100, got {value}"),
                    );
                }
            }
            vec![
                ("health_check_interval", *health_check_interval),
                ("deregistration_delay", *deregistration_delay),
            ]
        }
        BalancerSpec::Discovery {
            heartbeat_interval,
            eviction_timeout,
            refresh_interval,
            server_cache_interval,
            list_refresh_interval,
            ..
        } => vec![
            ("heartbeat_interval", *heartbeat_interval),
            ("eviction_timeout", *eviction_timeout),
            ("refresh_interval", *refresh_interval),
            ("server_cache_interval", *server_cache_interval),
            ("list_refresh_interval", *list_refresh_interval),
        ],
    };
    // Caches that may be switched off; every other duration must be positive.
    let may_be_zero = [
        "deregistration_delay",
        "server_cache_interval",
        "list_refresh_interval",
    ];
    for (field, value) in durations {
        let low = if may_be_zero.contains(&field) {
            "0s"
        } else {
            "1ns"
        };
        if value > MAX_SETTING_DURATION || (value.is_zero() && low == "1ns") {
            c.fail(
                &[l, n, b, &field],
                format!("must be between {low} and {MAX_SETTING_DURATION}, got {value}"),
            );
        }
    }
}

fn check_traffic(c: &mut Checker, scenario: &Scenario) {
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

fn check_chaos(c: &mut Checker, scenario: &Scenario) {
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

fn check_dist(c: &mut Checker, path: &[&dyn ToSegment], dist: &DurationDist) {
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

fn names(layers: &BTreeMap<String, LayerSpec>) -> String {
    if layers.is_empty() {
        return "none".into();
    }
    layers
        .keys()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cycle in the call graph, as the layer names along it (first repeated at the end).
fn find_cycle(layers: &BTreeMap<String, LayerSpec>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        name: &str,
        layers: &BTreeMap<String, LayerSpec>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(name.to_string(), Mark::Active);
        stack.push(name.to_string());
        for call in &layers[name].calls {
            if call.layer == name || !layers.contains_key(&call.layer) {
                continue; // reported on their own
            }
            match marks[&call.layer] {
                Mark::Active => {
                    let start = stack.iter().position(|n| *n == call.layer).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(call.layer.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(&call.layer, layers, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(name.to_string(), Mark::Done);
        None
    }
    let mut marks: BTreeMap<String, Mark> = layers.keys().map(|k| (k.clone(), Mark::New)).collect();
    for name in layers.keys() {
        if marks[name] == Mark::New
            && let Some(cycle) = visit(name, layers, &mut marks, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

/// How long a rollout lasts at least when it promotes: the phases it must wait out
/// (launches, boots and the old cluster's warm keeping not counted).
fn nominal_length(rollout: &super::rollout::RolloutSpec) -> SimDuration {
    use super::rollout::Strategy;
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
fn check_overlapping_rollouts(c: &mut Checker, scenario: &Scenario) {
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

fn check_rollouts(c: &mut Checker, scenario: &Scenario) {
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
        let ratio = |c: &mut Checker, path: &[&dyn ToSegment], value: f64, low_open: bool| {
            let ok = value.is_finite()
                && value <= 1.0
                && if low_open { value > 0.0 } else { value >= 0.0 };
            if !ok {
                let range = if low_open { "(0, 1]" } else { "[0, 1]" };
                c.fail(path, format!("must be in {range}, got {value}"));
            }
        };
        let release = &rollout.release;
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
            super::rollout::Strategy::RedBlack => {
                let mut phases: Vec<(Vec<&dyn ToSegment>, SimDuration)> =
                    vec![(vec![rbs, &"bake"], rb.bake)];
                if let Some(canary) = &rb.canary {
                    phases.push((vec![rbs, &"canary", &"duration"], canary.duration));
                }
                phases
            }
            super::rollout::Strategy::RollingRedBlack => vec![
                (vec![rbs, &"bake"], rb.bake),
                (
                    vec![&"rolling_red_black", &"pause"],
                    rollout.rolling_red_black.pause,
                ),
            ],
            super::rollout::Strategy::Canary => rollout
                .canary
                .steps
                .iter()
                .map(|step| (vec![&"canary" as &dyn ToSegment, &"steps"], step.pause))
                .collect(),
            super::rollout::Strategy::Rolling => {
                vec![(
                    vec![&"rolling", &"healthy_deadline"],
                    rollout.rolling.healthy_deadline,
                )]
            }
            super::rollout::Strategy::Highlander => Vec::new(),
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
}

/// Most a `slowdown` may multiply service times by (and least CPU a `cpu_cut` leaves).
pub(crate) const MAX_IMPAIRMENT_FACTOR: f64 = 1000.0;

fn check_impairments(c: &mut Checker, scenario: &Scenario) {
    use super::chaos::ImpairmentKind;
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

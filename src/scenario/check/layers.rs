//! Checks of the `layers` section: sizes, workers and queues, lifecycle times, each
//! layer's client and balancer, the calls between layers (names that exist, no cycle).

use std::collections::BTreeMap;

use crate::engine::SimDuration;
use crate::scenario::layer::LayerSpec;
use crate::scenario::limits::*;
use crate::scenario::noise::{MAX_SPELL_EVERY, NoiseSpec};

use super::{Checker, ToSegment, check_dist, names};

pub(super) fn check_layers(c: &mut Checker, layers: &BTreeMap<String, LayerSpec>) {
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
        if let Some(noise) = &layer.noise {
            check_noise(c, l, n, noise);
        }
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

pub(super) fn check_client(
    c: &mut Checker,
    l: &dyn ToSegment,
    n: &dyn ToSegment,
    layer: &LayerSpec,
) {
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

pub(super) fn check_balancer(
    c: &mut Checker,
    l: &dyn ToSegment,
    n: &dyn ToSegment,
    layer: &LayerSpec,
) {
    use crate::scenario::balancer::BalancerSpec;
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

/// A layer's background noise: probabilities, a spell that does something, gaps and
/// lengths in range.
fn check_noise(c: &mut Checker, l: &dyn ToSegment, n: &dyn ToSegment, noise: &NoiseSpec) {
    let o: &dyn ToSegment = &"noise";
    let p = noise.error_rate;
    if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
        c.fail(
            &[l, n, o, &"error_rate"],
            format!("must be a probability in [0, 1], got {p}"),
        );
    }
    let Some(spells) = &noise.spells else {
        return;
    };
    let s: &dyn ToSegment = &"spells";
    let p = spells.error_rate;
    if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
        c.fail(
            &[l, n, o, s, &"error_rate"],
            format!("must be a probability in [0, 1], got {p}"),
        );
    }
    let factor = spells.latency_factor;
    if !(factor.is_finite() && (0.01..=1000.0).contains(&factor)) {
        c.fail(
            &[l, n, o, s, &"latency_factor"],
            format!("must be a service-time multiplier between 0.01 and 1000, got {factor}"),
        );
    }
    if spells.error_rate == 0.0 && factor == 1.0 {
        c.fail(
            &[l, n, o, s],
            "a spell that does nothing: give it an error_rate above 0 or a latency_factor other than 1",
        );
    }
    if spells.every.is_zero() || spells.every > MAX_SPELL_EVERY {
        c.fail(
            &[l, n, o, s, &"every"],
            format!(
                "the mean gap between an instance's spells must be between 1ns and {MAX_SPELL_EVERY}, got {}",
                spells.every
            ),
        );
    }
    if spells.length.mean().is_zero() {
        c.fail(
            &[l, n, o, s, &"length"],
            "a spell must last: give it a positive length",
        );
    }
    check_dist(c, &[l, n, o, s, &"length"], &spells.length);
}

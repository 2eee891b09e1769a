//! Metastability (DESIGN.md §4): with timeouts and immediate retries, a short capacity
//! dip leaves a system at moderate load stuck in overload long after the capacity is
//! back; the same system without the dip, or with a retry budget, or with jittered
//! backoff plus load shedding, recovers.
//!
//! The model is `models/metastable.toml` (ρ = 0.75, a 30% zone outage at 5 min whose
//! replacements serve again about two minutes later); the variants change one thing.

mod common;

use std::path::Path;

use rollsim::model::World;
use rollsim::scenario;

const MODEL: &str = include_str!("../models/metastable.toml");
const CLIENT: &str =
    r#"client = { timeout = "200ms", retries = 3, backoff = "none", jitter = "none" }"#;

/// Success ratio of the entry layer's calls resolved in windows `[from_s, to_s)`.
fn success_ratio(model: &str, from_s: usize, to_s: usize) -> f64 {
    let scenario = scenario::parse(model, Path::new("metastable.toml")).expect("a valid model");
    let mut world = World::new(&scenario);
    world.run();
    common::success_ratio(&world, from_s, to_s)
}

fn variant(from: &str, to: &str) -> String {
    assert!(MODEL.contains(from), "the model still has {from:?}");
    MODEL.replace(from, to)
}

#[test]
fn immediate_retries_keep_the_system_down_long_after_a_short_dip() {
    let healthy_before = success_ratio(MODEL, 60, 300);
    let long_after = success_ratio(MODEL, 900, 1200);
    println!("before the dip {healthy_before:.4}, 10–15 min after it {long_after:.4}");
    assert!(
        healthy_before > 0.99,
        "fine before the dip: {healthy_before}"
    );
    assert!(
        long_after < 0.5,
        "still overloaded long after the dip: {long_after}"
    );
}

#[test]
fn without_the_dip_the_same_load_is_fine() {
    let model = variant(
        r#"zone_outages = [{ at = "5m", fraction = 0.3, layers = ["api"] }]"#,
        "",
    );
    let late = success_ratio(&model, 900, 1200);
    println!("no dip: {late:.4}");
    assert!(late > 0.99, "{late}");
}

#[test]
fn a_retry_budget_lets_the_system_recover() {
    let model = variant(
        CLIENT,
        r#"client = { timeout = "200ms", retries = 3, backoff = "none", jitter = "none", retry_budget = 0.1 }"#,
    );
    let late = success_ratio(&model, 900, 1200);
    println!("retry budget 10%: {late:.4}");
    assert!(late > 0.99, "{late}");
}

#[test]
fn jittered_backoff_with_load_shedding_lets_the_system_recover() {
    let model = variant(
        CLIENT,
        r#"client = { timeout = "200ms", retries = 3, backoff = "exponential(base=100ms, cap=2s)", jitter = "full" }"#,
    )
    .replace("queue_capacity = 200 ", "queue_capacity = 10 ");
    assert!(model.contains("queue_capacity = 10 "));
    let late = success_ratio(&model, 900, 1200);
    println!("jittered backoff + shedding: {late:.4}");
    assert!(late > 0.99, "{late}");
}

/// The model with `setting` added to its layer (a server option).
fn with_server_option(setting: &str) -> String {
    variant(
        "queue_capacity = 200 ",
        &format!("{setting}\nqueue_capacity = 200 "),
    )
}

#[test]
fn a_queue_timeout_lets_the_system_recover() {
    // Requests that waited past 150 ms are shed unserved: the queue holds only work
    // whose callers still wait, and goodput returns with capacity.
    let late = success_ratio(&with_server_option(r#"queue_timeout = "150ms""#), 900, 1200);
    println!("queue timeout 150 ms: {late:.4}");
    assert!(late > 0.99, "{late}");
}

#[test]
fn adaptive_lifo_lets_the_system_recover() {
    // Under congestion the newest request, whose caller still waits, is served first.
    let late = success_ratio(
        &with_server_option(r#"queue_order = "adaptive-lifo""#),
        900,
        1200,
    );
    println!("adaptive LIFO: {late:.4}");
    assert!(late > 0.99, "{late}");
}

#[test]
fn dropping_timed_out_requests_alone_does_not_unstick_a_fifo_queue() {
    // In FIFO order every request served has waited nearly the whole timeout, so it
    // times out during its service anyway: the server still works for nobody.
    let late = success_ratio(&with_server_option("drop_timed_out = true"), 900, 1200);
    println!("drop timed out, FIFO: {late:.4}");
    assert!(late < 0.5, "{late}");
    let with_lifo = success_ratio(
        &with_server_option("drop_timed_out = true\nqueue_order = \"adaptive-lifo\""),
        900,
        1200,
    );
    println!("drop timed out, adaptive LIFO: {with_lifo:.4}");
    assert!(with_lifo > 0.99, "{with_lifo}");
}

//! The generator's promises to its users, tested through the model text it writes:
//! `rollsim check` accepts it, the same parameters write the same bytes, fleets are
//! sized for the load the file itself implies, the committed `models/services-32.toml`
//! is what the generator writes, and bad parameters are refused naming their flag.

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::{Rate, RngStreams, SimDuration};
use crate::scenario::{self, Scenario, work};

use super::sizing::{Edge, Node, holding_times, peak_rates_per_s};
use super::{GraphParams, services_model};

fn generated(params: &GraphParams) -> String {
    services_model(params).unwrap_or_else(|e| panic!("{params:?}: {e}"))
}

/// Parses and checks `text` as `rollsim check` does (`scenario::parse`, then the work
/// limits).
fn checked(text: &str) -> Scenario {
    let model =
        scenario::parse(text, Path::new("generated.toml")).unwrap_or_else(|e| panic!("{e}"));
    let estimate = work::estimate(&model);
    assert!(estimate.within_limits().is_ok(), "{estimate}");
    model
}

fn varied() -> Vec<GraphParams> {
    let base = GraphParams::default();
    vec![
        base.clone(),
        GraphParams {
            services: 64,
            depth: 6,
            fan_out: 3,
            duration: SimDuration::from_hours(12),
            ..base.clone()
        },
        GraphParams {
            services: 2,
            depth: 1,
            duration: SimDuration::from_hours(6),
            ..base.clone()
        },
        GraphParams {
            services: 40,
            depth: 2,
            fan_out: 4,
            cache_share: 1.0,
            seed: 9,
            ..base.clone()
        },
        GraphParams {
            edge_rate: Rate::per_second_checked(300.0).unwrap(),
            cache_share: 0.0,
            target_busy: 0.6,
            seed: u64::MAX,
            ..base
        },
    ]
}

#[test]
fn generated_model_passes_check() {
    for params in varied() {
        let model = checked(&generated(&params));
        assert_eq!(model.name, format!("services-{}", params.services));
        assert_eq!(model.layers.len(), params.services as usize);
        assert_eq!(model.traffic.entry, "edge");
        assert_eq!(model.seed, params.seed);
        assert_eq!(model.duration, params.duration);
        assert!(model.traffic.shape.is_some(), "a daily shape");
        let kills: Vec<&str> = model.chaos.kills.iter().map(|k| k.layer.as_str()).collect();
        let data = model
            .layers
            .keys()
            .filter(|n| n.starts_with("data-"))
            .count();
        assert_eq!(kills.len(), params.services as usize - data, "{kills:?}");
        assert!(kills.iter().all(|k| !k.starts_with("data-")), "{kills:?}");
    }
}

#[test]
fn same_parameters_give_the_same_file() {
    for params in varied() {
        assert_eq!(generated(&params), generated(&params), "{params:?}");
    }
    let one = generated(&GraphParams::default());
    let other = generated(&GraphParams {
        seed: 2,
        ..GraphParams::default()
    });
    assert_ne!(one, other, "another seed draws another graph");
    // The header says how to write it again.
    assert!(one.contains(&GraphParams::default().command_line()));
}

/// The layers of `model` in topological order (callers first), from its entry.
fn topological(model: &Scenario) -> Vec<String> {
    fn visit(name: &str, model: &Scenario, done: &mut Vec<String>) {
        if done.iter().any(|d| d == name) {
            return;
        }
        for call in &model.layers[name].calls {
            visit(&call.layer, model, done);
        }
        done.push(name.to_string());
    }
    let mut order = Vec::new();
    visit(&model.traffic.entry, model, &mut order);
    order.reverse();
    order
}

#[test]
fn fleets_are_sized_for_the_target_busy_share() {
    // From the file alone: its peak rate through its calls and caches, each layer's
    // holding time (service time plus the wait for its calls, their queues at the
    // file's sizes), and the busy share that gives its instances and workers.
    for params in varied() {
        let model = checked(&generated(&params));
        let order = topological(&model);
        assert_eq!(order.len(), model.layers.len(), "every layer reached");
        let index: BTreeMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let nodes: Vec<Node> = order
            .iter()
            .map(|name| {
                let layer = &model.layers[name];
                Node {
                    service_time: layer.service_time,
                    workers: layer.workers,
                    calls: layer
                        .calls
                        .iter()
                        .map(|c| Edge {
                            to: index[c.layer.as_str()],
                            count: c.count,
                            miss_ratio: c.cache.as_ref().map_or(1.0, |k| 1.0 - k.hit_ratio),
                        })
                        .collect(),
                }
            })
            .collect();
        let rates = peak_rates_per_s(&nodes, model.traffic.rate.per_second());
        // Another stream than the generator's: its Monte Carlo estimate, not its draws.
        let mut rng = RngStreams::new(1234).stream("test.holding");
        let holdings = holding_times(&nodes, &rates, &mut rng, |i, _| {
            model.layers[&order[i]].instances
        });
        for (i, name) in order.iter().enumerate() {
            let layer = &model.layers[name];
            let busy_workers = rates[i] * holdings[i].mean_ms / 1000.0;
            let busy = |instances: u32| busy_workers / f64::from(instances * layer.workers);
            // Within the Monte Carlo estimates' noise (two estimates of one holding time
            // differ by up to ~2%: measured over 7 seeds and these graphs).
            assert!(
                busy(layer.instances) <= params.target_busy * 1.04,
                "{name}: {} instances are {:.3} busy, over {}",
                layer.instances,
                busy(layer.instances),
                params.target_busy
            );
            if layer.instances > 3 {
                assert!(
                    busy(layer.instances - 1) > params.target_busy * 0.96,
                    "{name}: {} instances would do ({:.3} busy)",
                    layer.instances - 1,
                    busy(layer.instances - 1)
                );
            }
        }
    }
}

#[test]
fn committed_services_32_is_what_the_generator_writes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/services-32.toml");
    let fresh = generated(&GraphParams::default());
    let regenerate = "cargo run --release -- generate services --out models/services-32.toml";
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; write it with `{regenerate}`", path.display()));
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "models/services-32.toml is not what the generator writes (first difference at \
             line {}: {:?} in the file, {:?} generated); rewrite it with `{regenerate}`",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end>"),
            fresh.lines().nth(line).unwrap_or("<end>")
        );
    }
}

#[test]
fn bad_parameters_are_refused_with_a_message_naming_the_flag() {
    let refused = |params: GraphParams, flag: &str, needles: &[&str]| {
        let error = services_model(&params).unwrap_err();
        assert_eq!(error.flag, flag, "{error}");
        let text = error.to_string();
        assert!(text.starts_with(flag), "{text}");
        for needle in needles {
            assert!(text.contains(needle), "{needle:?} not in {text}");
        }
    };
    refused(
        GraphParams {
            services: 500,
            ..GraphParams::default()
        },
        "--services",
        &["500", "64"],
    );
    refused(
        GraphParams {
            depth: 30,
            ..GraphParams::default()
        },
        "--depth",
        &["30", "between 2 and 24"],
    );
    // A week of 32 services is over the memory a run may hold.
    refused(
        GraphParams {
            duration: SimDuration::from_hours(24 * 7),
            ..GraphParams::default()
        },
        "--duration",
        &["7d", "fit in 46h", "--set duration=7d --force"],
    );
    // More instances than a layer may have.
    refused(
        GraphParams {
            edge_rate: Rate::per_second_checked(5_000_000.0).unwrap(),
            ..GraphParams::default()
        },
        "--edge-rate",
        &[
            "5000000/s",
            "would need",
            "more than the 100000 a layer may have",
        ],
    );
}

#[test]
fn the_longest_duration_offered_is_accepted() {
    let week = GraphParams {
        duration: SimDuration::from_hours(24 * 7),
        ..GraphParams::default()
    };
    let message = services_model(&week).unwrap_err().to_string();
    let hours: u64 = message
        .split("fit in ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|h| h.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {message}"));
    let longest = GraphParams {
        duration: SimDuration::from_hours(hours),
        ..GraphParams::default()
    };
    let text = services_model(&longest).unwrap_or_else(|e| panic!("{message}: {e}"));
    checked(&text);
    let over = GraphParams {
        duration: SimDuration::from_hours(hours + 1),
        ..GraphParams::default()
    };
    assert!(services_model(&over).is_err());
}

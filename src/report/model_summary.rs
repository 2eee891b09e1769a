//! What a model describes, in words: its traffic, each layer (instances, workers,
//! service time, balancer, callers' timeout and retries, calls), its chaos and its
//! rollouts. `rollsim check` prints it; the HTML report opens with it.

use crate::scenario::{Scenario, balancer::BalancerSpec};

/// The model in words: a first line (name, length, seed, traffic), then one indented
/// line per layer, fault and rollout.
pub fn describe(s: &Scenario) -> String {
    let mut out = format!(
        "{}: valid model. {} simulated, seed {}, {} at layer {:?}{}.\n",
        s.name,
        s.duration,
        s.seed,
        s.traffic.rate,
        s.traffic.entry,
        if s.traffic.shape.is_some() {
            " (peak of a daily shape)"
        } else {
            ""
        }
    );
    for (name, layer) in &s.layers {
        let balancer = match &layer.balancer {
            BalancerSpec::Elb {
                deregistration_delay,
                ..
            } => format!("elb, draining {deregistration_delay}"),
            BalancerSpec::Discovery {
                refresh_interval,
                server_cache_interval,
                list_refresh_interval,
                ..
            } => format!(
                "discovery, server cache {server_cache_interval} + client refresh \
                 {refresh_interval} + balancer list {list_refresh_interval}"
            ),
        };
        let calls: Vec<String> = layer
            .calls
            .iter()
            .map(|c| format!("{}×{}", c.count, c.layer))
            .collect();
        out.push_str(&format!(
            "  layer {name}: {} instances × {} workers, service {}, {balancer}; callers time out after {} with {} retries{}\n",
            layer.instances,
            layer.workers,
            layer.service_time,
            layer.client.timeout,
            layer.client.retries,
            if calls.is_empty() { String::new() } else { format!("; calls {}", calls.join(", ")) }
        ));
    }
    let layers_named = |layers: &[String]| {
        if layers.is_empty() {
            "every layer".to_string()
        } else {
            layers.join(", ")
        }
    };
    for kill in &s.chaos.kills {
        let per_hour = format!("{:.3}", kill.rate.per_second() * 3600.0);
        let per_hour = per_hour.trim_end_matches('0').trim_end_matches('.');
        out.push_str(&format!(
            "  chaos: kills at {per_hour}/h on {}\n",
            kill.layer
        ));
    }
    for outage in &s.chaos.zone_outages {
        out.push_str(&format!(
            "  chaos: at {}, {}% of the instances of {} lost\n",
            outage.at,
            outage.fraction * 100.0,
            layers_named(&outage.layers)
        ));
    }
    for impairment in &s.chaos.impairments {
        let setting = match (impairment.capacity, impairment.factor, impairment.added) {
            (Some(capacity), _, _) => format!(" to {}% of CPU", capacity * 100.0),
            (_, Some(factor), _) => format!(" ×{factor}"),
            (_, _, Some(added)) => format!(" +{added}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  chaos: {}{setting} on {}% of the instances of {}, from {} for {}\n",
            impairment.kind.name(),
            impairment.share * 100.0,
            layers_named(&impairment.layers),
            impairment.at,
            impairment.duration
        ));
    }
    for rollout in &s.rollouts {
        out.push_str(&format!(
            "  rollout of {} at {} by {}: {}\n",
            rollout.layer,
            rollout.start,
            rollout.strategy,
            if rollout.release.is_healthy() {
                "a healthy release"
            } else {
                "a defective release"
            }
        ));
    }
    out
}

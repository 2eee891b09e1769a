//! What each strategy costs and how it fails, rehearsed on the simulated world and
//! measured as DESIGN.md §2 defines: red/black doubles the fleet and fails nothing;
//! rolling trades capacity for instances; switches take as long as the balancer makes
//! them; bad releases are caught and rolled back, faster from a warm cluster than by
//! relaunching; a leak escapes a short bake and not a long one.

use std::path::Path;

use rollsim::metrics::{RolloutMetrics, Slo};
use rollsim::model::World;
use rollsim::rehearsal::metrics::rollout_metrics;
use rollsim::rehearsal::{rehearse, rehearse_with_baseline};
use rollsim::rollout::{Outcome, RollbackPath, RolloutRecord};
use rollsim::scenario;

/// edge (ELB) → api (BALANCER) → db; the rollout replaces api.
const MODEL: &str = r#"
seed = 8
duration = "DURATION"
[traffic]
entry = "edge"
rate = "RATE"
[layers.edge]
instances = 20
workers = 16
service_time = "exp(2ms)"
calls = [{ layer = "api" }]
balancer = { kind = "elb", health_check_interval = "5s", healthy_threshold = 2, deregistration_delay = "30s" }
client = { timeout = "3s", retries = 0 }
[layers.api]
instances = 8
workers = 8
service_time = "exp(20ms)"
launch_time = "det(20s)"
boot_time = "det(40s)"
warmup = "0s"
calls = [{ layer = "db" }]
BALANCER
client = { timeout = "2s", retries = 1 }
[layers.db]
instances = 4
workers = 16
service_time = "exp(4ms)"
[[rollouts]]
layer = "api"
start = "5m"
ROLLOUT
"#;

const ELB: &str = r#"balancer = { kind = "elb", health_check_interval = "5s", healthy_threshold = 2, deregistration_delay = "30s" }"#;

struct Run {
    record: RolloutRecord,
    metrics: RolloutMetrics,
}

fn rehearse_model(rate: &str, duration: &str, balancer: &str, rollout: &str) -> Run {
    let text = MODEL
        .replace("RATE", rate)
        .replace("DURATION", duration)
        .replace("BALANCER", balancer)
        .replace("ROLLOUT", rollout);
    let model =
        scenario::parse(&text, Path::new("rollout.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let (rehearsal, baseline) = rehearse_with_baseline(&model);
    let record = rehearsal.records[0].clone();
    let metrics = rollout_metrics(
        &rehearsal.world,
        &baseline,
        &record,
        Slo {
            instance_hour_price: Some(0.10),
            availability: 0.999,
            latency_p99: rollsim::engine::SimDuration::from_millis(500),
        },
    );
    println!("{rollout}\n{metrics:#?}");
    for (t, note) in &record.timeline {
        println!("  {t}  {note}");
    }
    Run { record, metrics }
}

#[test]
fn red_black_peaks_at_twice_the_fleet_and_fails_nothing() {
    let run = rehearse_model(
        "1000/s",
        "30m",
        ELB,
        r#"red_black = { canary = { instances = 1, duration = "5m" }, bake = "10m", cleanup = "destroy" }"#,
    );
    assert_eq!(run.record.outcome, Outcome::Promoted);
    let m = &run.metrics;
    assert!(
        (m.peak_instances_ratio - 2.0).abs() < 0.13,
        "{}",
        m.peak_instances_ratio
    );
    assert!(m.min_serving_ratio >= 1.0);
    assert!(
        m.failed_requests <= 5,
        "no more failures than without the rollout: {}",
        m.failed_requests
    );
    let ratio = m.downstream_rate_ratio.expect("api calls db");
    assert!((ratio - 1.0).abs() < 0.1, "no caches, no herd: {ratio}");
    assert!(
        m.extra_instance_hours > 0.5,
        "a parallel fleet for the bake costs hours"
    );
}

#[test]
fn rolling_with_a_quarter_surge_peaks_at_a_quarter_more() {
    let run = rehearse_model(
        "1000/s",
        "30m",
        ELB,
        r#"strategy = "rolling"
           rolling = { max_surge = "25%", max_unavailable = "0" }"#,
    );
    assert_eq!(run.record.outcome, Outcome::Promoted);
    let m = &run.metrics;
    assert!(
        (m.peak_instances_ratio - 1.25).abs() < 0.01,
        "{}",
        m.peak_instances_ratio
    );
    assert!(
        m.min_serving_ratio >= 1.0,
        "no surge below the fleet: {}",
        m.min_serving_ratio
    );
    assert!(m.extra_instance_hours < 0.5);
}

#[test]
fn rolling_without_surge_dips_to_three_quarters_and_slows_a_busy_layer() {
    // api at ~71% busy workers (1 900/s × ~24 ms over 64 workers); ~95% on 6 instances.
    let rolling = rehearse_model(
        "1900/s",
        "30m",
        ELB,
        r#"strategy = "rolling"
           rolling = { max_surge = "0", max_unavailable = "25%" }"#,
    );
    assert_eq!(rolling.record.outcome, Outcome::Promoted);
    let m = &rolling.metrics;
    assert!(
        (m.min_serving_ratio - 0.75).abs() < 0.01,
        "{}",
        m.min_serving_ratio
    );
    assert!(
        m.peak_instances_ratio <= 1.0 + 1e-9,
        "{}",
        m.peak_instances_ratio
    );
    let red_black = rehearse_model(
        "1900/s",
        "30m",
        ELB,
        r#"red_black = { bake = "5m", cleanup = "destroy" }"#,
    );
    let (slow, fast) = (
        m.latency_p99.unwrap(),
        red_black.metrics.latency_p99.unwrap(),
    );
    assert!(
        slow.as_secs_f64() > 1.3 * fast.as_secs_f64(),
        "p99 {slow} rolling vs {fast} red/black"
    );
}

#[test]
fn an_elb_switch_is_immediate_and_discovery_is_bounded_by_its_caches() {
    let switch = |balancer: &str| {
        rehearse_model("1000/s", "20m", balancer, r#"red_black = { bake = "5m" }"#)
            .metrics
            .switch_latency
            .expect("it switched")
            .as_secs_f64()
    };
    for delay in ["30s", "300s"] {
        let elb = switch(&format!(
            r#"balancer = {{ kind = "elb", health_check_interval = "5s", healthy_threshold = 2, deregistration_delay = "{delay}" }}"#
        ));
        assert!(
            elb <= 2.0,
            "new requests leave a deregistered target at once: {elb} s"
        );
    }
    let discovery = |refresh: u32, caches: &str| {
        switch(&format!(
            r#"balancer = {{ kind = "discovery", refresh_interval = "{refresh}s"{caches} }}"#
        ))
    };
    // Without the registry's and the balancers' caches, only the client's fetch: 20
    // calling instances refresh at their own phases, the last one ~0.95 interval later.
    let no_caches = r#", server_cache_interval = "0s", list_refresh_interval = "0s""#;
    let (ten, thirty) = (discovery(10, no_caches), discovery(30, no_caches));
    assert!((6.0..=11.0).contains(&ten), "{ten}");
    assert!((20.0..=31.0).contains(&thirty), "{thirty}");
    // With Eureka's and Ribbon's caches at their defaults (30 s each) the change waits
    // for all three: longer than one refresh, at most the three intervals.
    let chained = discovery(30, "");
    assert!((30.0..=91.0).contains(&chained), "{chained}");
}

const BAD: &str = r#"release = { error_rate = 0.05 }"#;

#[test]
fn a_bad_release_is_rolled_back_faster_by_red_black_than_by_rolling() {
    let red_black = rehearse_model(
        "1000/s",
        "30m",
        ELB,
        &format!("{BAD}\nred_black = {{ bake = \"10m\" }}"),
    );
    let rolling = rehearse_model(
        "1000/s",
        "30m",
        ELB,
        &format!(
            "{BAD}\nstrategy = \"rolling\"\nrolling = {{ max_surge = \"25%\", max_unavailable = \"0\" }}"
        ),
    );
    for run in [&red_black, &rolling] {
        assert_eq!(run.record.outcome, Outcome::RolledBack);
        assert!(run.metrics.detection_time.is_some() && run.metrics.restore_time.is_some());
        assert!(
            run.metrics.failed_requests > 0,
            "the bad version failed requests"
        );
    }
    assert_eq!(
        red_black.record.rollback_path,
        Some(RollbackPath::WarmCluster)
    );
    assert_eq!(
        rolling.record.rollback_path,
        Some(RollbackPath::BatchByBatch)
    );
    let (fast, slow) = (
        red_black.metrics.restore_time.unwrap(),
        rolling.metrics.restore_time.unwrap(),
    );
    assert!(
        fast < slow,
        "red/black restores in {fast}, rolling in {slow}"
    );
}

#[test]
fn a_defect_found_after_destroying_the_old_cluster_takes_the_slower_relaunch_path() {
    // Healthy through the bake; errors from 15 min of uptime on.
    let leak = r#"release = { leak = { onset = "15m", ramp = "1m", max_error_rate = 0.3 } }"#;
    let destroyed = rehearse_model(
        "1000/s",
        "50m",
        ELB,
        &format!(
            "{leak}\nred_black = {{ bake = \"5m\", cleanup = \"destroy\" }}\nmonitor = \"40m\""
        ),
    );
    let kept_warm = rehearse_model(
        "1000/s",
        "50m",
        ELB,
        &format!(
            "{leak}\nred_black = {{ bake = \"5m\", cleanup = \"disable\", disabled_for = \"40m\" }}\nmonitor = \"40m\""
        ),
    );
    assert_eq!(destroyed.record.rollback_path, Some(RollbackPath::Relaunch));
    assert_eq!(
        kept_warm.record.rollback_path,
        Some(RollbackPath::WarmCluster)
    );
    let (relaunch, warm) = (
        destroyed.metrics.restore_time.unwrap(),
        kept_warm.metrics.restore_time.unwrap(),
    );
    assert!(
        relaunch > warm + rollsim::engine::SimDuration::from_secs(50),
        "relaunch {relaunch} vs warm {warm}"
    );
    assert!(destroyed.metrics.failed_requests > kept_warm.metrics.failed_requests);
}

#[test]
fn a_leak_escapes_a_short_bake_and_is_caught_by_a_long_one() {
    let leak = r#"release = { leak = { onset = "15m", ramp = "2m", max_error_rate = 0.2 } }"#;
    let short = rehearse_model(
        "1000/s",
        "50m",
        ELB,
        &format!("{leak}\nred_black = {{ bake = \"5m\", cleanup = \"destroy\" }}"),
    );
    let long = rehearse_model(
        "1000/s",
        "50m",
        ELB,
        &format!("{leak}\nred_black = {{ bake = \"30m\", cleanup = \"destroy\" }}"),
    );
    assert_eq!(
        short.record.outcome,
        Outcome::Promoted,
        "the short bake misses it"
    );
    assert!(short.metrics.bad_version_requests().is_some_and(|n| n > 0));
    assert_eq!(
        long.record.outcome,
        Outcome::RolledBack,
        "the long bake catches it"
    );
    assert_eq!(long.record.rollback_path, Some(RollbackPath::WarmCluster));
}

#[test]
fn the_mann_whitney_judge_passes_a_healthy_canary_and_fails_a_bad_one() {
    let rollout = |release: &str| {
        format!(
            r#"{release}
red_black = {{ canary = {{ instances = 1, duration = "6m" }}, bake = "5m", cleanup = "destroy" }}
analysis = {{ judge = "mann-whitney", interval = "2m" }}"#
        )
    };
    let healthy = rehearse_model("1000/s", "30m", ELB, &rollout(""));
    assert_eq!(healthy.record.outcome, Outcome::Promoted);
    let passes = healthy
        .record
        .timeline
        .iter()
        .filter(|(_, n)| n.starts_with("canary check: pass"))
        .count();
    assert_eq!(passes, 3, "every canary check passed");

    let bad = rehearse_model(
        "1000/s",
        "30m",
        ELB,
        &rollout(r#"release = { error_rate = 0.02 }"#),
    );
    assert_eq!(bad.record.outcome, Outcome::RolledBack);
    assert_eq!(bad.record.rollback_path, Some(RollbackPath::Canary));
    let reason = bad.record.abort_reason.clone().unwrap();
    assert!(reason.contains("score 0/100: error rate"), "{reason}");

    let slow = rehearse_model(
        "1000/s",
        "30m",
        ELB,
        &rollout(r#"release = { latency_factor = 2.0 }"#),
    );
    let marginal = slow
        .record
        .timeline
        .iter()
        .any(|(_, n)| n.contains("marginal (score 50/100"));
    assert!(
        marginal,
        "twice as slow, no errors: latency fails, errors pass → 50/100"
    );
    assert_eq!(
        slow.record.outcome,
        Outcome::RolledBack,
        "a canary of marginal checks is not promoted"
    );
}

#[test]
fn a_progressive_canary_exposes_a_bad_release_to_its_weight_only() {
    let canary = r#"strategy = "canary"
canary = { steps = [{ weight = 10, pause = "5m" }, { weight = 50, pause = "5m" }] }"#;
    let healthy = rehearse_model("1000/s", "30m", ELB, canary);
    assert_eq!(healthy.record.outcome, Outcome::Promoted);
    let notes: Vec<&str> = healthy
        .record
        .timeline
        .iter()
        .map(|(_, n)| n.as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("v1 takes 10% of traffic")),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("v1 takes 50% of traffic")),
        "{notes:#?}"
    );
    assert!(healthy.metrics.failed_requests <= 5);

    let bad = rehearse_model("1000/s", "30m", ELB, &format!("{BAD}\n{canary}"));
    assert_eq!(bad.record.outcome, Outcome::RolledBack);
    assert_eq!(bad.record.rollback_path, Some(RollbackPath::Canary));
    let red_black = rehearse_model(
        "1000/s",
        "30m",
        ELB,
        &format!("{BAD}\nred_black = {{ bake = \"10m\" }}"),
    );
    // The same two failed checks, at 10% of the traffic instead of all of it.
    let (exposed, full) = (
        bad.metrics
            .bad_version_requests()
            .expect("a defective release"),
        red_black
            .metrics
            .bad_version_requests()
            .expect("a defective release"),
    );
    assert!(
        exposed * 4 < full,
        "canary exposed {exposed} requests, red/black {full}"
    );
    assert!(bad.metrics.failed_requests * 4 < red_black.metrics.failed_requests);
}

#[test]
fn rolling_red_black_shifts_by_target_percentages_then_switches_and_bakes() {
    let run = rehearse_model(
        "1000/s",
        "40m",
        ELB,
        r#"strategy = "rolling-red-black"
rolling_red_black = { target_percentages = [25, 50, 100], pause = "3m" }
red_black = { bake = "5m", cleanup = "destroy" }"#,
    );
    assert_eq!(run.record.outcome, Outcome::Promoted);
    let notes: Vec<&str> = run
        .record
        .timeline
        .iter()
        .map(|(_, n)| n.as_str())
        .collect();
    for expected in [
        "step 1: v1 to 2 instances for 25%",
        "step 2: v1 to 4 instances for 50%",
        "step 3: v1 to 8 instances for 100%",
        "switching: v0 disabled",
    ] {
        assert!(
            notes.iter().any(|n| n.starts_with(expected)),
            "{expected} in {notes:#?}"
        );
    }
    assert!((run.metrics.peak_instances_ratio - 2.0).abs() < 0.13);
    assert!(run.metrics.failed_requests <= 5);
}

#[test]
fn a_progressive_shift_switches_at_its_full_step_and_discovery_spreads_it_over_the_caches() {
    // The switch command of a progressive shift is the weight that puts 100% on the new
    // version, not the disabling of the old cluster a pause later (by then the traffic
    // is long on the new one). Behind Eureka's default caches the callers see the
    // weight as they see a registration: tens of seconds.
    let run = rehearse_model(
        "1000/s",
        "40m",
        r#"balancer = { kind = "discovery" }"#,
        r#"strategy = "rolling-red-black"
rolling_red_black = { target_percentages = [50, 100], pause = "3m" }
red_black = { bake = "5m", cleanup = "destroy" }"#,
    );
    assert_eq!(run.record.outcome, Outcome::Promoted);
    let full_step = run
        .record
        .timeline
        .iter()
        .find(|(_, n)| n.starts_with("v1 takes 100% of traffic"))
        .map(|(t, _)| *t)
        .expect("a 100% step");
    assert_eq!(run.record.switched_at, Some(full_step));
    let switch = run
        .metrics
        .switch_latency
        .expect("it switched")
        .as_secs_f64();
    assert!(
        (30.0..=110.0).contains(&switch),
        "the weight travels with the registry's caches: {switch} s"
    );
}

/// Share of `layer`'s attempts that `version` took in seconds `from..to`.
fn version_share(world: &World, layer: &str, version: u32, seconds: std::ops::Range<u32>) -> f64 {
    let (mut mine, mut all) = (0u64, 0u64);
    for series in world
        .observations()
        .clusters
        .iter()
        .filter(|c| c.layer == layer)
    {
        for (k, window) in series.windows.iter().enumerate() {
            let s = series.first_window + k as u32;
            if seconds.contains(&s) {
                all += u64::from(window.attempts);
                if series.version == version {
                    mine += u64::from(window.attempts);
                }
            }
        }
    }
    mine as f64 / all as f64
}

#[test]
fn without_a_traffic_router_a_canary_takes_its_share_of_instances_not_its_weight() {
    // 5% of 8 instances: a router sends 5%; without one, Argo runs ⌈8 × 5%⌉ = 1 canary
    // beside ⌈8 × 95%⌉ = 8 stable instances, and the canary takes 1 of 9 shares.
    let share_in_step = |traffic: &str| {
        let rollout = format!(
            "strategy = \"canary\"\ncanary = {{ steps = [{{ weight = 5, pause = \"10m\" }}], \
             traffic = \"{traffic}\" }}"
        );
        let text = MODEL
            .replace("RATE", "1000/s")
            .replace("DURATION", "25m")
            .replace("BALANCER", ELB)
            .replace("ROLLOUT", &rollout);
        let model = scenario::parse(&text, Path::new("canary.toml")).unwrap();
        let rehearsal = rehearse(&model);
        let record = &rehearsal.records[0];
        assert_eq!(record.outcome, Outcome::Promoted, "{:#?}", record.timeline);
        let (step_at, note) = record
            .timeline
            .iter()
            .find(|(_, n)| n.starts_with("v1 takes"))
            .expect("the step begins");
        let from = (step_at.as_nanos() / 1_000_000_000) as u32 + 60;
        (
            version_share(&rehearsal.world, "api", 1, from..from + 480),
            note.clone(),
        )
    };
    let (routed, routed_note) = share_in_step("weights");
    let (by_pods, pods_note) = share_in_step("replicas");
    assert!((routed - 0.05).abs() < 0.01, "{routed} ({routed_note})");
    assert!(
        (by_pods - 1.0 / 9.0).abs() < 0.015,
        "{by_pods} ({pods_note})"
    );
    assert!(pods_note.contains("1 of 9 instances"), "{pods_note}");
}

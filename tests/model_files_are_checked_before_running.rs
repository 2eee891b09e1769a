//! Model files: the shipped ones load; malformed and hostile ones get an error that
//! names the file, line, column and field, and exit code 2, never a panic.

use std::path::Path;

use assert_cmd::Command;
use rollsim::scenario::{self, ScenarioError};

const VALID_START: &str = "[traffic]\nrate = \"100/s\"\n[layers.edge]\ninstances = 4\n";

fn error_of(source: &str) -> ScenarioError {
    scenario::parse(source, Path::new("bad.toml")).expect_err("the model should be refused")
}

fn assert_refused(source: &str, position: (usize, usize), field: &str, needle: &str) {
    let error = error_of(source);
    assert_eq!(error.position, Some(position), "{error}");
    assert_eq!(error.field, field, "{error}");
    assert!(
        error.message.contains(needle),
        "expected {needle:?} in: {error}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("bad.toml:{}:{}: ", position.0, position.1))
    );
}

#[test]
fn shipped_models_load() {
    for name in ["quickstart", "netflix-2011", "metastable"] {
        let path = format!("{}/models/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let model = scenario::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(model.name, name);
        assert!(model.layers.contains_key(&model.traffic.entry));
    }
}

#[test]
fn defaults_come_from_real_systems() {
    use rollsim::scenario::balancer::BalancerSpec;
    let model = scenario::parse(VALID_START, Path::new("x.toml")).unwrap();
    let edge = &model.layers["edge"];
    match &edge.balancer {
        BalancerSpec::Elb {
            deregistration_delay,
            health_check_interval,
            healthy_threshold,
            unhealthy_threshold,
            ..
        } => {
            assert_eq!(*unhealthy_threshold, 2); // AWS ALB
            assert_eq!(deregistration_delay.to_string(), "5m"); // AWS: 300 s
            assert_eq!(health_check_interval.to_string(), "30s"); // AWS ALB
            assert_eq!(*healthy_threshold, 5); // AWS ALB
        }
        other => panic!("default balancer should be an ELB, got {other:?}"),
    }
    assert_eq!(edge.queue_capacity, 100); // Tomcat acceptCount
    assert_eq!(model.seed, 1);
    assert_eq!(model.duration.to_string(), "1h");
}

#[test]
fn wrong_types_and_unknown_fields_name_the_field_and_line() {
    assert_refused(
        "[traffic]\nrate = \"100/s\"\n[layers.edge]\ninstances = \"four\"\n",
        (4, 13),
        "layers.edge.instances",
        "invalid type",
    );
    assert_refused(
        &format!("{VALID_START}colour = \"red\"\n"),
        (5, 1),
        "layers.edge.colour",
        "unknown field `colour`, expected one of",
    );
    assert_refused(
        &format!("{VALID_START}balancer = {{ kind = \"nginx\" }}\n"),
        (5, 21),
        "layers.edge.balancer.kind",
        "expected `elb` or `discovery`",
    );
}

#[test]
fn bad_durations_rates_and_distributions_say_what_is_allowed() {
    assert_refused(
        "duration = \"1000y\"\n[traffic]\nrate = \"1/s\"\n[layers.edge]\ninstances = 1\n",
        (1, 12),
        "duration",
        "unknown unit \"y\"",
    );
    assert_refused(
        "[traffic]\nrate = \"0/s\"\n[layers.edge]\ninstances = 4\n",
        (2, 8),
        "traffic.rate",
        "must be positive",
    );
    assert_refused(
        "[traffic]\nrate = -5\n[layers.edge]\ninstances = 4\n",
        (2, 8),
        "traffic.rate",
        "must be positive",
    );
    assert_refused(
        &format!("{VALID_START}service_time = \"lognormal(mean=5ms, p99=1ms)\"\n"),
        (5, 16),
        "layers.edge.service_time",
        "must exceed the mean",
    );
}

#[test]
fn impossible_graphs_are_refused_before_running() {
    assert_refused(
        &format!("{VALID_START}calls = [{{ layer = \"edge\" }}]\n"),
        (5, 20),
        "layers.edge.calls[0].layer",
        "calls itself",
    );
    assert_refused(
        &format!(
            "{VALID_START}calls = [{{ layer = \"midle\" }}]\n[layers.middle]\ninstances = 2\n"
        ),
        (5, 20),
        "layers.edge.calls[0].layer",
        "no layer \"midle\"; the layers are \"edge\", \"middle\"",
    );
    let cycle = "[traffic]\nrate = \"1/s\"\nentry = \"a\"\n[layers.a]\ninstances = 1\ncalls = [{ layer = \"b\" }]\n[layers.b]\ninstances = 1\ncalls = [{ layer = \"a\" }]\n";
    assert!(error_of(cycle).message.contains("cycle: a → b → a"));
    assert!(
        error_of("[traffic]\nrate = \"1/s\"\nentry = \"web\"\n[layers.edge]\ninstances = 1\n")
            .message
            .contains("no layer \"web\"")
    );
    assert!(
        error_of("[traffic]\nrate = \"1/s\"\n[layers]\n")
            .message
            .contains("at least one layer")
    );
}

#[test]
fn absurd_sizes_are_refused_not_attempted() {
    // 10^12 instances does not fit, 10^6 is over the limit, zero is no cluster at all.
    assert_refused(
        "[traffic]\nrate = \"1/s\"\n[layers.edge]\ninstances = 1000000000000\n",
        (4, 13),
        "layers.edge.instances",
        "u32",
    );
    assert_refused(
        "[traffic]\nrate = \"1/s\"\n[layers.edge]\ninstances = 1000000\n",
        (4, 13),
        "layers.edge.instances",
        "between 1 and 100000",
    );
    assert_refused(
        "[traffic]\nrate = \"1/s\"\n[layers.edge]\ninstances = 0\n",
        (4, 13),
        "layers.edge.instances",
        "between 1 and 100000",
    );
    // A 1000-year run cannot even be written; 50 years can, and is refused.
    assert_refused(
        "duration = \"438000h\"\n[traffic]\nrate = \"1/s\"\n[layers.edge]\ninstances = 1\n",
        (1, 12),
        "duration",
        "366 days",
    );
    assert_refused(
        "duration = \"300d\"\n[traffic]\nrate = \"1000000/s\"\n[layers.edge]\ninstances = 1\n",
        (3, 8),
        "traffic.rate",
        "more than the",
    );
    assert_refused(
        &format!("{VALID_START}[layers.edge.client]\nretries = 1000000\n"),
        (6, 11),
        "layers.edge.client.retries",
        "at most 100",
    );
}

#[test]
fn syntax_errors_point_at_the_spot() {
    let error = error_of("[traffic\nrate = ");
    assert_eq!(error.position, Some((1, 9)));
    assert!(error.message.contains("not valid TOML"));
}

#[test]
fn the_cli_exits_2_with_the_error_and_never_panics() {
    let dir = std::env::temp_dir().join(format!("rollsim-bad-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "zero.toml",
            "[traffic]\nrate = \"1/s\"\n[layers.edge]\ninstances = 0\n",
            "zero.toml:4:13: field `layers.edge.instances`",
        ),
        ("binary.toml", "\u{0}\u{1}\u{2}garbage", "not valid TOML"),
        ("empty.toml", "", "missing field `traffic`"),
        ("repeated.toml", &"[a]\n".repeat(2000), "duplicate key"),
        (
            "deep.toml",
            &format!("[{}b]\n", "a.".repeat(20_000)),
            "bad.toml",
        ),
    ];
    for command in ["check", "run"] {
        for (name, source, needle) in cases {
            let needle = if needle == "bad.toml" { name } else { needle };
            let path = dir.join(name);
            std::fs::write(&path, source).unwrap();
            let output = Command::cargo_bin("rollsim")
                .unwrap()
                .arg(command)
                .arg(&path)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command} {name}: {stderr}");
            assert!(
                stderr.contains(needle),
                "{command} {name}: expected {needle:?} in {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{command} {name}: {stderr}");
        }
        let missing = Command::cargo_bin("rollsim")
            .unwrap()
            .args([command, "no/such/model.toml"])
            .output()
            .unwrap();
        assert_eq!(missing.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&missing.stderr)
                .contains("no/such/model.toml: cannot read the model file")
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn impairments_say_which_setting_their_kind_needs() {
    let with = |impairment: &str| format!("{VALID_START}[chaos]\nimpairments = [{impairment}]\n");
    let refused = |impairment: &str, field: &str, needle: &str| {
        let error = error_of(&with(impairment));
        assert_eq!(error.field, field, "{error}");
        assert!(error.message.contains(needle), "{needle:?} in {error}");
        assert_eq!(error.position.map(|p| p.0), Some(6), "{error}");
    };
    refused(
        r#"{ kind = "cpu_cut", at = "1m", duration = "1m" }"#,
        "chaos.impairments[0].capacity",
        "needs `capacity`",
    );
    refused(
        r#"{ kind = "cpu_cut", capacity = 1.5, at = "1m", duration = "1m" }"#,
        "chaos.impairments[0].capacity",
        "must be in [0.001, 1)",
    );
    refused(
        r#"{ kind = "slowdown", factor = 0.5, at = "1m", duration = "1m" }"#,
        "chaos.impairments[0].factor",
        "must be in (1, 1000]",
    );
    refused(
        r#"{ kind = "blackhole", factor = 2.0, at = "1m", duration = "1m" }"#,
        "chaos.impairments[0].factor",
        "not a setting of `blackhole` (it takes no parameter)",
    );
    refused(
        r#"{ kind = "latency", added = "0s", at = "1m", duration = "1m" }"#,
        "chaos.impairments[0].added",
        "must be in (0s,",
    );
    refused(
        r#"{ kind = "blackhole", share = 0, at = "1m", duration = "1m" }"#,
        "chaos.impairments[0].share",
        "must be in (0, 1]",
    );
    refused(
        r#"{ kind = "blackhole", at = "1m", duration = "1m", layers = ["edg"] }"#,
        "chaos.impairments[0].layers[0]",
        "no layer \"edg\"; the layers are \"edge\"",
    );
    let error = error_of(&with(
        r#"{ kind = "partition", at = "1m", duration = "1m" }"#,
    ));
    assert!(
        error.to_string().contains("cpu_cut") && error.to_string().contains("blackhole"),
        "lists the kinds: {error}"
    );
    scenario::parse(
        &with(r#"{ kind = "latency", added = "200ms", share = 0.5, at = "1m", duration = "30s" }"#),
        Path::new("ok.toml"),
    )
    .expect("a valid impairment");
}

#[test]
fn server_options_are_checked() {
    let error = error_of(&format!("{VALID_START}queue_timeout = \"0s\"\n"));
    assert_eq!(error.field, "layers.edge.queue_timeout", "{error}");
    assert!(error.message.contains("must be between 1ns and"), "{error}");
    let error = error_of(&format!("{VALID_START}queue_order = \"lifo\"\n"));
    assert!(
        error.to_string().contains("fifo") && error.to_string().contains("adaptive-lifo"),
        "lists the orders: {error}"
    );
    scenario::parse(
        &format!("{VALID_START}drop_timed_out = true\nqueue_timeout = \"100ms\"\nqueue_order = \"adaptive-lifo\"\n"),
        Path::new("ok.toml"),
    )
    .expect("valid server options");
}

#[test]
fn canary_scales_apart_from_weights_need_a_traffic_router_and_an_instance() {
    // Argo Rollouts heeds setCanaryScale and dynamicStableScale only with trafficRouting
    // (utils/replicaset/canary.go, UseSetCanaryScale, CalculateReplicaCountsForTrafficRoutedCanary).
    let model = |canary: &str| {
        format!(
            "{VALID_START}[[rollouts]]\nlayer = \"edge\"\nstrategy = \"canary\"\ncanary = {canary}\n"
        )
    };
    let by_pods = model(r#"{ traffic = "replicas", steps = [{ weight = 50, scale = 1 }] }"#);
    let error = error_of(&by_pods);
    assert_eq!(error.field, "rollouts[0].canary.steps[0].scale", "{error}");
    assert!(error.message.contains("traffic router"), "{error}");
    let shrinking = model(r#"{ traffic = "replicas", dynamic_stable_scale = true }"#);
    let error = error_of(&shrinking);
    assert_eq!(
        error.field, "rollouts[0].canary.dynamic_stable_scale",
        "{error}"
    );
    let empty = model(r#"{ steps = [{ weight = 50, scale = "0%" }] }"#);
    let error = error_of(&empty);
    assert!(error.message.contains("at least 1"), "{error}");
    let fine = model(r#"{ steps = [{ weight = 50, scale = 3 }], dynamic_stable_scale = true }"#);
    scenario::parse(&fine, Path::new("ok.toml")).unwrap_or_else(|e| panic!("{e}"));
}

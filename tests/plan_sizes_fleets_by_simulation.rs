//! `rollsim plan` finds, per layer, a fleet size that meets the SLO at the peak while
//! one instance fewer does not — both judged by the planner's own runs.

use assert_cmd::Command;

#[test]
fn plan_finds_a_size_that_meets_the_slo_where_one_fewer_does_not() {
    // Quickstart at 1 200 requests/s (6× its rate) with a 150 ms p99 target.
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args([
            "plan",
            "models/quickstart.toml",
            "--slo-p99",
            "150ms",
            "--set",
            "traffic.rate=1200/s",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for layer in json["layers"].as_array().unwrap() {
        let smallest = layer["smallest"].as_u64().expect("a size meets the SLO");
        let judged = |n: u64| {
            layer["evaluations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["instances"] == n)
                .unwrap_or_else(|| panic!("{} judged at {n}: {layer}", layer["layer"]))
                .clone()
        };
        assert_eq!(judged(smallest)["meets"], true, "{layer}");
        assert!(smallest > 1, "{layer}");
        assert_eq!(judged(smallest - 1)["meets"], false, "{layer}");
        assert!(judged(smallest)["latency_p99_ms"].as_f64().unwrap() <= 150.0);
    }
}

#[test]
fn plan_refuses_a_bad_target() {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(["plan", "models/quickstart.toml", "--availability", "120"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("percentage in (0, 100]"));
}

#[test]
fn plan_recommends_the_cheaper_strategy_unless_it_fails_more() {
    let plan = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["plan", "models/quickstart.toml", "--json", "--runs", "3"];
        args.extend_from_slice(extra);
        let output = Command::cargo_bin("rollsim")
            .unwrap()
            .args(&args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    // At 200/s neither fails anything: rolling is cheaper.
    let calm = plan(&[]);
    let advice = &calm["rollouts"][0];
    assert_eq!(advice["recommended"], "rolling", "{advice}");
    assert!(
        advice["recommendation"]
            .as_str()
            .unwrap()
            .starts_with("Roll backend with rolling")
    );
    // At 1 200/s the fleet has no headroom: rolling's capacity dip fails far more.
    let busy = plan(&["--slo-p99", "150ms", "--set", "traffic.rate=1200/s"]);
    assert_eq!(
        busy["rollouts"][0]["recommended"], "red-black",
        "{}",
        busy["rollouts"][0]
    );
}

#[test]
fn at_a_quiet_hour_the_same_fleet_allows_a_larger_rolling_batch() {
    let plan = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "plan",
            "models/quickstart.toml",
            "--json",
            "--slo-p99",
            "150ms",
            "--set",
            "traffic.rate=1200/s",
            "--set",
            "traffic.shape={ peak_hour = 20, trough_ratio = 0.35 }",
        ];
        args.extend_from_slice(extra);
        let output = Command::cargo_bin("rollsim")
            .unwrap()
            .args(&args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let evening = plan(&["--hour", "20"]);
    let morning = plan(&["--hour", "8"]);
    assert_eq!(evening["rate_per_second"], 1200.0);
    assert!((morning["rate_per_second"].as_f64().unwrap() - 420.0).abs() < 1e-6);
    let batch = |v: &serde_json::Value| v["layers"][0]["largest_rolling_batch"].as_u64().unwrap();
    assert_eq!(batch(&evening), 0, "no headroom at the peak");
    assert!(
        batch(&morning) >= 2,
        "at 35% of the peak: {}",
        morning["layers"][0]
    );
}

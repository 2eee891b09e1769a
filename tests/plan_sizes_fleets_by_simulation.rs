//! `rollsim plan` finds, per layer, a fleet size that meets the SLO at the peak while
//! one instance fewer does not — both judged by the planner's own runs; advises a
//! strategy; and finds the hours of the day at which each strategy can roll.

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
fn plan_refuses_a_bad_target_or_scan_step() {
    for (flag, value, message) in [
        ("--availability", "120", "percentage in (0, 100]"),
        ("--every", "5m", "--every must be between 15m and 12h"),
    ] {
        let output = Command::cargo_bin("rollsim")
            .unwrap()
            .args(["plan", "models/quickstart.toml", flag, value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains(message));
    }
}

#[test]
fn plan_recommends_the_cheaper_strategy_unless_it_fails_more() {
    let plan = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["models/quickstart.toml", "--json", "--runs", "3"];
        args.extend_from_slice(extra);
        plan_json(&args)
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
            "models/quickstart.toml",
            "--json",
            "--slo-p99",
            "150ms",
            "--set",
            "traffic.rate=1200/s",
            "--set",
            "traffic.shape={ peak_hour = 20, trough_ratio = 0.35 }",
            "--every",
            "12h",
        ];
        args.extend_from_slice(extra);
        plan_json(&args)
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

fn plan_json(args: &[&str]) -> serde_json::Value {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .arg("plan")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn for_a_defective_release_plan_advises_the_strategy_that_always_rolls_it_back() {
    // Retries hide a 5% error rate from the entry layer, so neither strategy fails
    // requests; rolling is cheaper, but its batch-by-batch rollback (the rollout starts
    // 2 minutes in; the rollback ends 9.4–9.8 minutes in) is still under way when the
    // 9-minute run ends, so the bad version still serves, while red/black rolled back
    // every time (done by 7.7 minutes) and restored traffic faster.
    let json = plan_json(&[
        "models/quickstart.toml",
        "--json",
        "--runs",
        "3",
        "--set",
        "rollout.release.error_rate=0.05",
        "--set",
        "duration=\"9m\"",
    ]);
    let advice = &json["rollouts"][0];
    assert_eq!(advice["recommended"], "red-black", "{advice}");
    let words = advice["recommendation"].as_str().unwrap();
    assert!(words.contains("defective"), "{words}");
    let strategy = |name: &str| {
        advice["strategies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["strategy"] == name)
            .unwrap()
            .clone()
    };
    let (red_black, rolling) = (strategy("red-black"), strategy("rolling"));
    assert_eq!(red_black["rolled_back_runs"], 3, "{red_black}");
    assert!(
        rolling["rolled_back_runs"].as_u64().unwrap() < 3,
        "{rolling}"
    );
    assert!(
        red_black["restore_time_s"].as_f64().unwrap() < rolling["restore_time_s"].as_f64().unwrap()
    );
}

#[test]
fn plan_finds_the_hours_at_which_rolling_keeps_the_slo_and_plots_them() {
    // 700 requests/s at 18:00, 20% of it at 06:00. Rolling two of the four backends
    // at a time (no surge) halves the backend: fine at night, not at the peak, while
    // red/black keeps the whole old fleet serving until the switch.
    let dir = std::env::temp_dir().join(format!("rollsim-plan-plot-{}", std::process::id()));
    let json = plan_json(&[
        "models/quickstart.toml",
        "--json",
        "--quiet",
        "--runs",
        "3",
        "--slo-p99",
        "200ms",
        "--set",
        "traffic.rate=700/s",
        "--set",
        "traffic.shape={ peak_hour = 18, trough_ratio = 0.2 }",
        "--set",
        "rollout.rolling.max_surge=0",
        "--set",
        "rollout.rolling.max_unavailable=2",
        "--every",
        "6h",
        "--plot",
        dir.to_str().unwrap(),
    ]);
    let safe = json["safe_hours"].as_array().unwrap();
    let strategy = |name: &str| safe.iter().find(|s| s["strategy"] == name).unwrap().clone();
    let at = |s: &serde_json::Value, hour: f64| {
        s["hours"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["hour"] == hour)
            .unwrap()
            .clone()
    };
    let (red_black, rolling) = (strategy("red-black"), strategy("rolling"));
    assert_eq!(rolling["hours"].as_array().unwrap().len(), 4);
    for hour in [0.0, 6.0, 12.0, 18.0] {
        assert_eq!(
            at(&red_black, hour)["safe"],
            true,
            "{}",
            at(&red_black, hour)
        );
    }
    assert_eq!(red_black["windows"], serde_json::json!([[0.0, 24.0]]));
    let peak = at(&rolling, 18.0);
    assert_eq!(peak["safe"], false, "{peak}");
    assert!((peak["rate_per_second"].as_f64().unwrap() - 700.0).abs() < 1.0);
    let night = at(&rolling, 6.0);
    assert_eq!(night["safe"], true, "{night}");
    assert!((night["rate_per_second"].as_f64().unwrap() - 140.0).abs() < 1.0);
    // The figure: an SVG and a PNG.
    let svg = std::fs::read_to_string(dir.join("plan.svg")).unwrap();
    assert!(svg.contains("rolling") && svg.contains("requests per second"));
    let png = std::fs::read(dir.join("plan.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    std::fs::remove_dir_all(&dir).ok();
}

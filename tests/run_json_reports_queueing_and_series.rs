//! `rollsim run --json` carries, per layer, the queueing figures a capacity engineer
//! checks (mean latency, mean queueing delay, P(wait), L, W, λ) and they obey Little's
//! law and Erlang C; `--series FILE` writes the per-second series as CSV whose rows add
//! up to the run's totals, and refuses a path it must not write before running.

use assert_cmd::Command;
use serde_json::Value;

fn rollsim(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-series-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_json(args: &[&str]) -> Value {
    let output = rollsim(&[&["run", "--json"], args].concat());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn number(layer: &Value, field: &str) -> f64 {
    layer[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} missing in {layer}"))
}

#[test]
fn littles_law_holds_per_layer_in_run_json() {
    // Quickstart at 600 requests/s: the edge's workers are busy enough to queue.
    let json = run_json(&[
        "models/quickstart.toml",
        "--set",
        "traffic.rate=600/s",
        "--set",
        "duration=5m",
    ]);
    let layers = json["world"]["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    for layer in layers {
        let l = number(layer, "mean_in_system");
        let lambda = number(layer, "throughput_per_s");
        let w = number(layer, "mean_time_in_system_ms") / 1e3;
        assert!(l > 0.5, "{layer}");
        assert!(
            (l - lambda * w).abs() <= 0.01 * l,
            "{}: L = {l} against λW = {lambda} × {w} = {}",
            layer["layer"],
            lambda * w
        );
        let wq = number(layer, "queueing_delay_mean_ms");
        let p_wait = number(layer, "wait_probability");
        assert!((0.0..=1.0).contains(&p_wait), "{layer}");
        assert!(wq >= 0.0 && wq < w * 1e3, "{layer}");
        let mean = number(layer, "latency_mean_ms");
        let (p50, p99) = (
            number(layer, "latency_p50_ms"),
            number(layer, "latency_p99_ms"),
        );
        assert!(p50 < mean && mean < p99, "{layer}");
    }
}

#[test]
fn run_json_queueing_figures_match_erlang_c() {
    // One instance of 10 workers fed Poisson arrivals at 800/s with exp(10ms) service:
    // M/M/10 at a = 8, where Erlang C gives P(wait) = 0.4092 and Wq = 0.2046 × 10 ms.
    let dir = scratch("mmc");
    let model = dir.join("mmc.toml");
    std::fs::write(
        &model,
        r#"
name = "mmc"
seed = 5
duration = "10m"

[traffic]
entry = "edge"
rate = "800/s"

[layers.edge]
instances = 1
workers = 10
queue_capacity = 100000
service_time = "exp(10ms)"
balancer = { kind = "elb" }
client = { timeout = "1h", retries = 0 }
"#,
    )
    .unwrap();
    let json = run_json(&[model.to_str().unwrap()]);
    let edge = &json["world"]["layers"][0];
    let p_wait = number(edge, "wait_probability");
    let wq_ms = number(edge, "queueing_delay_mean_ms");
    assert!((p_wait - 0.4092).abs() <= 0.03, "P(wait) {p_wait}");
    assert!((wq_ms - 2.046).abs() <= 0.2 * 2.046, "Wq {wq_ms} ms");
    // W = Wq + E[S]; L = λW.
    let w_ms = number(edge, "mean_time_in_system_ms");
    assert!(
        (w_ms - wq_ms - 10.0).abs() <= 0.3,
        "W {w_ms} ms, Wq {wq_ms} ms"
    );
}

/// The series file as rows of named fields.
fn read_csv(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("the series file");
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), header.len(), "{line}");
            header
                .iter()
                .cloned()
                .zip(fields.into_iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn series_rows_sum_to_the_run_totals() {
    let dir = scratch("sums");
    let path = dir.join("series.csv");
    let json = run_json(&[
        "models/quickstart.toml",
        "--set",
        "duration=4m",
        "--series",
        path.to_str().unwrap(),
    ]);
    let rows = read_csv(&path);
    let layers = json["world"]["layers"].as_array().unwrap();
    // Four simulated minutes, one row per second per layer.
    assert_eq!(rows.len(), 240 * layers.len());
    for layer in layers {
        let name = layer["layer"].as_str().unwrap();
        let sum = |column: &str| -> u64 {
            rows.iter()
                .filter(|r| r["layer"] == name)
                .map(|r| r[column].parse::<u64>().unwrap())
                .sum()
        };
        for (column, field) in [
            ("calls_issued", "requests"),
            ("calls_succeeded", "succeeded"),
            ("attempts_arrived", "attempts"),
        ] {
            assert_eq!(
                sum(column),
                layer[field].as_u64().unwrap(),
                "{name}: Σ {column} against the run's {field}"
            );
        }
    }
    let first = &rows[0];
    assert_eq!(
        (first["second"].as_str(), first["start_s"].as_str()),
        ("0", "0")
    );
    assert!(first["latency_p99_ms"].parse::<f64>().unwrap() > 0.0);
}

#[test]
fn series_to_a_link_or_a_missing_directory_is_refused_before_running() {
    let dir = scratch("refused");
    let target = dir.join("elsewhere.csv");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.join("series.csv");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let missing = dir.join("no-such-dir").join("series.csv");
    // A place that cannot be written fails at run time (1); a link is refused as
    // input to fix (2).
    let mut cases = vec![(missing, "cannot write there", 1)];
    if cfg!(unix) {
        cases.push((link, "symbolic link", 2));
    }
    for (path, why, code) in cases {
        let output = rollsim(&["run", "--series", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(code));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(why), "{stderr}");
        // Refused before the (built-in, one simulated hour) model ran.
        assert!(!stderr.contains("simulated"), "{stderr}");
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
}

#[test]
fn compare_json_gives_each_layers_queueing_figures_per_strategy() {
    let output = rollsim(&[
        "compare",
        "models/quickstart.toml",
        "--strategy",
        "red-black",
        "--strategy",
        "rolling",
        "--runs",
        "2",
        "--set",
        "duration=4m",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let layers = json["layers"].as_array().expect("layers");
    let names: Vec<&str> = layers
        .iter()
        .map(|l| l["layer"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["edge", "backend"]);
    for layer in layers {
        let figures = layer["figures"].as_array().unwrap();
        let by_name = |name: &str| {
            figures
                .iter()
                .find(|f| f["figure"] == name)
                .unwrap_or_else(|| panic!("{name} in {layer}"))
        };
        for name in [
            "latency_mean_ms",
            "queueing_delay_mean_ms",
            "wait_probability",
            "mean_in_system",
            "mean_time_in_system_ms",
            "throughput_per_s",
        ] {
            let figure = by_name(name);
            for strategy in ["red-black", "rolling"] {
                let interval = &figure["by_strategy"][strategy];
                assert_eq!(interval["n"], 2, "{name} {strategy}: {interval}");
                assert!(interval["mean"].as_f64().unwrap() >= 0.0);
            }
            assert!(figure["difference_vs_first"]["rolling"]["mean"].is_f64());
        }
        // Little's law holds for each strategy's mean too (each run obeys it).
        for strategy in ["red-black", "rolling"] {
            let mean = |name: &str| {
                by_name(name)["by_strategy"][strategy]["mean"]
                    .as_f64()
                    .unwrap()
            };
            let (l, lambda, w) = (
                mean("mean_in_system"),
                mean("throughput_per_s"),
                mean("mean_time_in_system_ms") / 1e3,
            );
            assert!(
                (l - lambda * w).abs() <= 0.02 * l,
                "{strategy}: {l} vs {}",
                lambda * w
            );
        }
    }
}

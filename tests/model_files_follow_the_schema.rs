//! `models/schema.json`, the JSON Schema editors use to complete and check model files,
//! accepts every model rollsim ships and refuses the mistakes it is there to catch
//! (an unknown field, a wrong strategy, a misspelt duration). That the committed schema
//! is the one the code generates is checked in `scenario::reference`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let text = fs::read_to_string(root().join("models/schema.json")).expect("models/schema.json");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft7::new(&schema).expect("the schema is a valid draft-07 schema")
}

/// A TOML model as the JSON an editor validates.
fn as_json(text: &str) -> Value {
    let table: toml::Table = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(table).expect("TOML converts to JSON")
}

/// Every model file rollsim ships: `models/`, the experiments' models and the tests'.
fn shipped_models() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut add = |dir: PathBuf, only: Option<&str>| {
        let Ok(entries) = fs::read_dir(&dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let wanted = match only {
                Some(only) => name == only,
                None => name.ends_with(".toml"),
            };
            if wanted && path.is_file() {
                files.push(path);
            }
        }
    };
    add(root().join("models"), None);
    add(root().join("models/imported"), None);
    add(root().join("tests/models"), None);
    for experiment in fs::read_dir(root().join("experiments"))
        .expect("experiments/")
        .flatten()
    {
        add(experiment.path(), Some("model.toml"));
    }
    files.sort();
    files
}

/// The schema's complaints about `model`, one per line.
fn errors(validator: &jsonschema::Validator, model: &Value) -> Vec<String> {
    validator
        .iter_errors(model)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_shipped_model_validates_against_the_schema() {
    let validator = validator();
    let models = shipped_models();
    assert!(
        models.len() >= 13,
        "only {} models found: {models:?}",
        models.len()
    );
    let mut failures = Vec::new();
    for path in &models {
        let text = fs::read_to_string(path).expect("readable model");
        // Each is a model rollsim itself accepts…
        rollsim::scenario::parse(&text, path)
            .unwrap_or_else(|e| panic!("{}: rollsim refuses it: {e}", path.display()));
        // …and so must the schema.
        for error in errors(&validator, &as_json(&text)) {
            failures.push(format!("{}: {error}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "shipped models the schema refuses:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_form_of_value_the_parser_accepts_validates() {
    // Values in each form the model's own parsers take: numbers and text for rates and
    // counts, a seed above TOML's integers in quotes, every distribution and backoff,
    // optional tables, both balancer kinds and every strategy's table.
    let model = r#"
        seed = "18446744073709551615"
        duration = "1h 30m"
        fidelity = "exact"
        [slo]
        availability = 0.99
        latency_p99 = "250ms"
        [traffic]
        rate = 120.5
        shape = {}
        points = [{ at = "10m", rate = "3/ms" }]
        bursts = [{ at = "5m", duration = "1m", factor = 2 }]
        herds = [{ at = "7m", clients = 1000, kind = "reconnect", layer = "edge" }]
        [layers.edge]
        instances = 2
        service_time = "weibull(mean=10ms, shape=0.7)"
        launch_time = "30s"
        queue_order = "adaptive-lifo"
        queue_timeout = "100ms"
        drop_timed_out = true
        autoscaler = { min = 1, max = 4 }
        calls = [{ layer = "db", cache = { hit_ratio = 0.5 } }]
        client = { backoff = "fixed(100ms)", jitter = "decorrelated", retry_budget = 0.2 }
        [layers.db]
        instances = 1
        balancer = { kind = "discovery", server_cache_interval = "0s", algorithm = "least-outstanding" }
        client = { backoff = "none" }
        [chaos]
        kills = [{ layer = "edge", rate = "2/h" }]
        zone_outages = [{ at = "20m", fraction = 0.5 }]
        impairments = [{ kind = "cpu_cut", at = "1m", duration = "1m", capacity = 0.5 }]
        [[rollouts]]
        layer = "edge"
        strategy = "canary"
        canary = { steps = [{ weight = 25 }, { weight = 50, pause = "1m" }], traffic = "replicas" }
        rolling = { max_surge = 1, max_unavailable = "12.5%" }
        red_black = { canary = {}, cleanup = "scale-down" }
        rolling_red_black = { target_percentages = [50, 100] }
        release = { leak = { onset = "1h" }, crash_after = "exp(5m)", above_load = 0.8 }
        analysis = { judge = "mann-whitney" }
    "#;
    rollsim::scenario::parse(model, Path::new("every-form.toml")).expect("rollsim accepts it");
    let errors = errors(&validator(), &as_json(model));
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn an_unknown_field_a_wrong_strategy_or_a_misspelt_duration_fails_the_schema() {
    let validator = validator();
    let good = fs::read_to_string(root().join("models/quickstart.toml")).expect("quickstart");
    assert!(validator.is_valid(&as_json(&good)));
    for (change, from, to) in [
        ("an unknown field", "workers = 8", "wrokers = 8"),
        (
            "a wrong strategy",
            "strategy = \"red-black\"",
            "strategy = \"blue-green\"",
        ),
        (
            "a misspelt duration",
            "duration = \"10m\"",
            "duration = \"10 minutes\"",
        ),
        ("a wrong balancer kind", "kind = \"elb\"", "kind = \"alb\""),
        ("a negative count", "instances = 4", "instances = -4"),
        (
            "a rate in words",
            "rate = \"200/s\"",
            "rate = \"200 per second\"",
        ),
    ] {
        assert!(
            good.contains(from),
            "{change}: {from:?} is not in quickstart"
        );
        let bad = good.replacen(from, to, 1);
        let model = as_json(&bad);
        assert!(
            !validator.is_valid(&model),
            "{change} ({to}) passed the schema"
        );
        // The model's parser refuses it too: the schema is not stricter than rollsim.
        assert!(
            rollsim::scenario::parse(&bad, Path::new("bad.toml")).is_err(),
            "{change}: rollsim accepts {to}"
        );
    }
}

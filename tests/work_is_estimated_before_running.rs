//! Every model's work (simulated events and memory) is estimated before it runs:
//! every model shipped (models/, experiments/, the tests' models, every sweep point)
//! is within the limits; models no run could finish (fan-out chains, a kill rate of
//! 10¹²/s, a herd of 10⁸ clients at once, 64 layers × 100 000 instances, a year of
//! per-second series) are refused by `check`, `run`, `compare`, `plan` and `sweep` with
//! exit 2 within seconds, under a memory limit, naming the estimate, the limit and the
//! field that drives it; `--force` runs them anyway; and the estimate holds against
//! the events a run really takes.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rollsim::plan::sweep::{ExperimentSpec, Grid, model_of};
use rollsim::scenario::{self, ModelText, work};

const DEADLINE: Duration = Duration::from_secs(20);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-work-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tomls(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_model_and_sweep_point_is_within_the_work_limits() {
    let mut models = tomls(&root().join("models"));
    models.extend(tomls(&root().join("tests/models")));
    let mut sweeps = vec![root().join("experiments/example-sweep.toml")];
    for entry in std::fs::read_dir(root().join("experiments")).unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            models.extend(
                tomls(&dir)
                    .into_iter()
                    .filter(|p| p.ends_with("model.toml")),
            );
            sweeps.extend(
                tomls(&dir)
                    .into_iter()
                    .filter(|p| p.ends_with("sweep.toml")),
            );
        }
    }
    assert!(models.len() >= 10, "{models:?}");
    for path in &models {
        let model = scenario::load(path).unwrap();
        let estimate = work::estimate(&model);
        assert!(
            estimate.within_limits().is_ok(),
            "{}: {estimate}",
            path.display()
        );
    }
    let mut points = 0;
    for path in &sweeps {
        let spec: ExperimentSpec = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let model_path = if spec.model == "builtin" {
            root().join("models/netflix-2011.toml")
        } else {
            path.parent().unwrap().join(&spec.model)
        };
        let source = std::fs::read_to_string(&model_path).unwrap();
        let text = ModelText::parse(&source, &model_path).unwrap();
        let grid = Grid::new(&spec).unwrap();
        for i in 0..grid.len() {
            let model = model_of(&text, &grid.point(i)).unwrap();
            let estimate = work::estimate(&model);
            assert!(
                estimate.within_limits().is_ok(),
                "{} point {i}: {estimate}",
                path.display()
            );
            points += 1;
        }
    }
    assert!(points >= 20, "{points} sweep points checked");
}

/// `rollsim COMMAND MODEL` under a 1 GB address-space limit exits 2 within the
/// deadline, naming the estimate, the limit and every `needle`.
fn refused_by_every_command(dir: &Path, name: &str, model: &str, needles: &[&str]) {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, model).unwrap();
    let experiment = dir.join(format!("{name}-sweep.toml"));
    std::fs::write(
        &experiment,
        format!("model = \"{name}.toml\"\n[grid]\n\"tag.k\" = [1, 2]\n"),
    )
    .unwrap();
    let out = dir.join(format!("{name}-out"));
    let model = path.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["check", model],
        vec!["run", model],
        vec!["compare", model, "--runs", "2"],
        vec!["plan", model, "--runs", "1"],
        vec![
            "sweep",
            experiment.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    ];
    for args in commands {
        let limited = format!(
            "ulimit -v 1000000 && exec {} {}",
            env!("CARGO_BIN_EXE_rollsim"),
            args.join(" ")
        );
        let (code, stderr) = common::run_within_deadline("sh", &["-c", &limited], DEADLINE);
        assert_eq!(code, Some(2), "{name}: {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        for needle in [
            "the run is estimated at",
            "more than the limit of",
            "--force",
        ]
        .iter()
        .chain(needles)
        {
            assert!(
                stderr.contains(needle),
                "{name}: {args:?}: expected {needle:?} in {stderr}"
            );
        }
    }
    assert!(
        !out.join("results.jsonl").exists(),
        "{name}: a refused sweep writes nothing"
    );
}

const ROLLOUT: &str = "\n[[rollouts]]\nlayer = \"edge\"\nstart = \"1m\"\n";

#[test]
fn a_fan_out_chain_is_refused_naming_the_call_that_multiplies() {
    let dir = scratch("chain");
    let mut model =
        String::from("duration = \"1h\"\n[traffic]\nentry = \"edge\"\nrate = \"100/s\"\n");
    for (layer, next) in [("edge", "b"), ("b", "c"), ("c", "d")] {
        model.push_str(&format!(
            "[layers.{layer}]\ninstances = 4\ncalls = [{{ layer = \"{next}\", count = 100 }}]\n"
        ));
    }
    model.push_str("[layers.d]\ninstances = 4\n");
    model.push_str(ROLLOUT);
    refused_by_every_command(
        &dir,
        "chain",
        &model,
        &[
            "calls[0].count = 100",
            "edge → b → c → d gives 1.0e8 requests/s at layer d",
        ],
    );
}

fn small(extra: &str) -> String {
    format!(
        "duration = \"10m\"\n[traffic]\nrate = \"100/s\"\n[layers.edge]\ninstances = 4\n{extra}{ROLLOUT}"
    )
}

#[test]
fn a_kill_rate_of_a_trillion_per_second_is_refused() {
    refused_by_every_command(
        &scratch("kills"),
        "kills",
        &small("[[chaos.kills]]\nlayer = \"edge\"\nrate = \"1000000000000/s\"\n"),
        &[
            "chaos.kills[0].rate = 1000000000000/s",
            "lower the kill rate",
        ],
    );
}

#[test]
fn a_herd_of_a_hundred_million_at_once_is_refused_for_its_memory() {
    refused_by_every_command(
        &scratch("herd"),
        "herd",
        &small("[[traffic.herds]]\nat = \"1m\"\nclients = 100000000\n"),
        &[
            "GiB of memory",
            "traffic.herds[0].clients = 100000000",
            "longer spread",
        ],
    );
}

#[test]
fn sixty_four_layers_of_a_hundred_thousand_instances_are_refused() {
    let mut model =
        String::from("duration = \"1h\"\n[traffic]\nentry = \"l0\"\nrate = \"100/s\"\n");
    for i in 0..64 {
        model.push_str(&format!("[layers.l{i}]\ninstances = 100000\n"));
        if i < 63 {
            model.push_str(&format!("calls = [{{ layer = \"l{}\" }}]\n", i + 1));
        }
    }
    model.push_str("\n[[rollouts]]\nlayer = \"l0\"\nstart = \"1m\"\n");
    refused_by_every_command(
        &scratch("wide"),
        "wide",
        &model,
        &[
            "layers.l0.instances = 100000",
            "6500000 instances in all over 1h",
        ],
    );
}

#[test]
fn a_year_of_per_second_series_is_refused_for_its_memory() {
    refused_by_every_command(
        &scratch("year"),
        "year",
        &small("")
            .replace("duration = \"10m\"", "duration = \"366d\"")
            .replace("100/s", "1/s"),
        &["GiB of memory", "duration = 366d", "shorten the duration"],
    );
}

#[test]
fn force_runs_a_model_over_the_limits() {
    let dir = scratch("force");
    let path = dir.join("kills.toml");
    std::fs::write(
        &path,
        small("[[chaos.kills]]\nlayer = \"edge\"\nrate = \"1000000000000/s\"\n"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(["run", path.to_str().unwrap(), "--force"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // It is running (the estimate was right: it would not finish), so stop it.
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.starts_with("warning:") && first.contains("running: --force"),
        "{first}"
    );
    assert!(still_running, "--force went on to simulate");
}

/// Of a healthy run: retries are not counted (a retry storm, as in
/// `models/metastable.toml`, takes up to 1 + retries times as many).
#[test]
fn the_estimate_is_at_least_the_events_a_run_takes_and_within_ten_times() {
    for name in [
        "models/quickstart.toml",
        "tests/models/autoscaled_leak.toml",
        "tests/models/crash_loop_rolling.toml",
        "tests/models/two_rollouts_one_layer.toml",
    ] {
        let model = scenario::load(&root().join(name)).unwrap();
        let estimated = work::estimate(&model).events();
        let mut world = rollsim::rehearsal::rehearse(&model).world;
        let events = world.summary().events as f64;
        assert!(
            estimated >= events && estimated <= 10.0 * events,
            "{name}: estimated {estimated:.2e} events, ran {events:.2e}"
        );
    }
}

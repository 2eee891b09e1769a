//! Hostile and extreme input is refused quickly, with exit code 2 and a message naming
//! what is wrong: FIFOs (never blocked on), devices (never read), directories, results
//! files that are symbolic links (never written through), grids too big to build, a
//! `--set` of a layer that does not exist, JSON with a key twice, a zero p99 target and
//! rates with exponents or hundreds of digits. Every hostile file is made here.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Longest any refusal may take.
const DEADLINE: Duration = Duration::from_secs(20);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `rollsim args` exits 2 within the deadline, and its message holds every `needle`.
fn refused(args: &[&str], needles: &[&str]) {
    let (code, stderr) = common::run_within_deadline(env!("CARGO_BIN_EXE_rollsim"), args, DEADLINE);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

fn experiment(dir: &Path, model: &str) -> PathBuf {
    let path = dir.join("sweep.toml");
    std::fs::write(
        &path,
        format!("model = {model:?}\n[grid]\n\"rollout.strategy\" = [\"rolling\"]\n"),
    )
    .unwrap();
    path
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe.toml");
    mkfifo(&fifo);
    let fifo = text(&fifo);
    let named = &["pipe.toml", "a named pipe (FIFO), not a regular file"];
    refused(&["check", fifo], named);
    refused(&["run", fifo], named);
    refused(&["import", fifo], named);
    refused(
        &["check", "models/quickstart.toml", "--rollout", fifo],
        named,
    );
    refused(&["sweep", fifo], named);
    let out = dir.join("merged.jsonl");
    refused(&["merge", fifo, "--out", text(&out)], named);
    assert!(!out.exists(), "nothing written");
    let sweep = experiment(&dir, "pipe.toml");
    refused(&["sweep", text(&sweep), "--out", text(&dir)], named);
    refused(
        &[
            "summarize",
            text(&sweep),
            "--results",
            fifo,
            "--out",
            text(&dir),
        ],
        named,
    );
    // A FIFO where the results go.
    let results_dir = dir.join("out");
    std::fs::create_dir_all(&results_dir).unwrap();
    mkfifo(&results_dir.join("results.jsonl"));
    let sweep = experiment(&dir, "builtin");
    refused(
        &[
            "sweep",
            text(&sweep),
            "--out",
            text(&results_dir),
            "--resume",
        ],
        &["results.jsonl", "a named pipe (FIFO), not a regular file"],
    );
}

#[cfg(unix)]
#[test]
fn devices_are_refused_without_reading_them() {
    let dir = scratch("device");
    let named = &["/dev/zero", "a character device, not a regular file"];
    refused(&["check", "/dev/zero"], named);
    refused(&["import", "/dev/zero"], named);
    refused(
        &["run", "models/quickstart.toml", "--rollout", "/dev/zero"],
        named,
    );
    refused(&["sweep", "/dev/zero"], named);
    refused(
        &["merge", "/dev/zero", "--out", text(&dir.join("m.jsonl"))],
        named,
    );
    let sweep = experiment(&dir, "builtin");
    refused(
        &[
            "summarize",
            text(&sweep),
            "--results",
            "/dev/zero",
            "--out",
            text(&dir),
        ],
        named,
    );
    let sweep = experiment(&dir, "/dev/zero");
    refused(&["sweep", text(&sweep), "--out", text(&dir)], named);
}

#[test]
fn a_directory_is_refused_as_a_model_or_results() {
    let dir = scratch("directory");
    refused(
        &["check", text(&dir)],
        &["the model file is a directory, not a regular file"],
    );
    refused(
        &["merge", text(&dir), "--out", text(&dir.join("m.jsonl"))],
        &["the results file is a directory"],
    );
}

#[cfg(unix)]
#[test]
fn a_results_file_that_is_a_symlink_is_never_written_through() {
    let dir = scratch("symlink");
    let target = dir.join("precious.txt");
    std::fs::write(&target, "keep me\n").unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&target, out.join("results.jsonl")).unwrap();
    let sweep = experiment(&dir, "builtin");
    let link = &["results.jsonl", "is a symbolic link"];
    refused(&["sweep", text(&sweep), "--out", text(&out)], link);
    refused(
        &["sweep", text(&sweep), "--out", text(&out), "--resume"],
        link,
    );
    // merge --out, summary.csv and figures likewise.
    let good = dir.join("good.jsonl");
    std::fs::write(&good, "{\"point\":0,\"seed\":1,\"rollouts\":[]}\n").unwrap();
    refused(
        &[
            "merge",
            text(&good),
            "--out",
            text(&out.join("results.jsonl")),
        ],
        link,
    );
    std::os::unix::fs::symlink(&target, out.join("summary.csv")).unwrap();
    refused(
        &[
            "summarize",
            text(&sweep),
            "--results",
            text(&good),
            "--out",
            text(&out),
        ],
        &["summary.csv", "is a symbolic link"],
    );
    let figures = dir.join("figures");
    std::fs::create_dir_all(&figures).unwrap();
    std::os::unix::fs::symlink(&target, figures.join("summary.svg")).unwrap();
    refused(
        &[
            "summarize",
            "experiments/bake-time/sweep.toml",
            "--results",
            "experiments/bake-time/results.jsonl",
            "--out",
            text(&figures),
        ],
        &["summary.svg", "is a symbolic link"],
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
}

#[cfg(unix)]
#[test]
fn a_huge_grid_is_refused_with_its_count_under_a_memory_limit() {
    let dir = scratch("grid");
    let keys = |n: usize| -> String {
        (0..n)
            .map(|k| format!("\"tag.k{k}\" = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n"))
            .collect()
    };
    let huge = dir.join("huge.toml");
    std::fs::write(&huge, format!("model = \"builtin\"\n[grid]\n{}", keys(10))).unwrap();
    // 1 GB of address space: the old cross product took 3 GB in 2 s.
    let limited = format!(
        "ulimit -v 1000000 && exec {} sweep {} --out {}",
        env!("CARGO_BIN_EXE_rollsim"),
        text(&huge),
        text(&dir)
    );
    let (code, stderr) = common::run_within_deadline("sh", &["-c", &limited], DEADLINE);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("the grid has 10000000000 points") && stderr.contains("at most 1000000"),
        "{stderr}"
    );
    // Exactly 10^6 points is a grid, but not with two runs each.
    let million = dir.join("million.toml");
    std::fs::write(
        &million,
        format!("model = \"builtin\"\nruns = 2\n[grid]\n{}", keys(6)),
    )
    .unwrap();
    refused(
        &["sweep", text(&million), "--out", text(&dir)],
        &["2000000 runs (1000000 points × 2 runs); at most 1000000"],
    );
    assert!(!dir.join("results.jsonl").exists(), "nothing written");
}

#[test]
fn a_set_never_adds_a_layer() {
    refused(
        &[
            "check",
            "models/quickstart.toml",
            "--set",
            "layers.edg.instances=80",
        ],
        &[
            "--set layers.edg.instances=80",
            "the model has no layer `edg`; its layers are backend, edge",
        ],
    );
    refused(
        &[
            "check",
            "models/quickstart.toml",
            "--set",
            "layers.\"edg\".instances=80",
        ],
        &["no layer `edg`"],
    );
    refused(
        &[
            "check",
            "models/quickstart.toml",
            "--set",
            "rollouts.backend.strategy=rolling",
        ],
        &["`backend` is not an index", "0 (layer backend)"],
    );
}

#[test]
fn a_quoted_layer_name_is_that_layer() {
    let output = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args([
            "check",
            "models/quickstart.toml",
            "--set",
            "layers.\"edge\".instances=5",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("layer edge: 5 instances"), "{stdout}");
    assert!(
        !stdout.contains("layer \"edge\":"),
        "no second layer: {stdout}"
    );
}

#[test]
fn json_with_a_key_twice_is_refused_with_the_key_and_line() {
    let dir = scratch("json");
    let file = dir.join("rollout.json");
    std::fs::write(
        &file,
        "{\n  \"apiVersion\": \"argoproj.io/v1alpha1\",\n  \"kind\": \"Rollout\",\n  \"kind\": \"Deployment\"\n}\n",
    )
    .unwrap();
    refused(
        &["import", text(&file)],
        &["rollout.json:4:", "the key \"kind\" appears twice"],
    );
}

#[test]
fn plan_refuses_a_p99_target_of_zero() {
    refused(
        &["plan", "models/quickstart.toml", "--slo-p99", "0s"],
        &["--slo-p99 must be between 1ns and 1d, got 0s"],
    );
}

#[test]
fn rates_with_an_exponent_or_hundreds_of_digits_are_refused() {
    refused(
        &[
            "check",
            "models/quickstart.toml",
            "--set",
            "traffic.rate=1e-300/s",
        ],
        &["traffic.rate", "a rate takes no exponent"],
    );
    let (code, stderr) = common::run_within_deadline(
        env!("CARGO_BIN_EXE_rollsim"),
        &[
            "check",
            "models/quickstart.toml",
            "--set",
            "traffic.rate=1e-300",
        ],
        DEADLINE,
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid rate \"1e-300\": a rate must be at least one per ~32 years"),
        "{stderr}"
    );
    assert!(stderr.len() < 400, "no rate in 300 digits: {stderr}");
}

//! Every study under `experiments/` is reproducible from what is committed: its results
//! file is complete and canonical, its summary (what the README quotes) is regenerated
//! byte for byte from the results, and the quick variant of its command runs and gives
//! exactly the committed result lines for the runs it makes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rollsim::plan::sweep::{self, ExperimentSpec};

/// The studies: every folder of `experiments/` with a `sweep.toml`.
fn studies() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("experiments")
        .unwrap()
        .filter_map(|entry| {
            let dir = entry.unwrap().path();
            dir.join("sweep.toml").is_file().then_some(dir)
        })
        .collect();
    found.sort();
    found
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-exp-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    dir
}

fn rollsim(args: &[&str]) {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "rollsim {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn there_are_studies() {
    assert!(studies().len() >= 4, "{:?}", studies());
}

#[test]
fn committed_results_are_complete_and_canonical() {
    for dir in studies() {
        let spec: ExperimentSpec =
            toml::from_str(&std::fs::read_to_string(dir.join("sweep.toml")).unwrap()).unwrap();
        let points = sweep::Grid::new(&spec).unwrap();
        let text = std::fs::read_to_string(dir.join("results.jsonl"))
            .unwrap_or_else(|e| panic!("{}: results.jsonl: {e}", dir.display()));
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        assert_eq!(
            lines.len(),
            points.len() * spec.runs,
            "{}: every run of the sweep is in",
            dir.display()
        );
        for line in &lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(value["rollouts"].as_array().is_some_and(|r| !r.is_empty()));
        }
        assert_eq!(
            sweep::canonical(lines),
            text,
            "{}: canonical order",
            dir.display()
        );
    }
}

#[test]
fn summaries_and_figures_regenerate_from_the_results() {
    for dir in studies() {
        let out = scratch(&format!("summary-{}", name(&dir)));
        let experiment = dir.join("sweep.toml");
        let results = dir.join("results.jsonl");
        rollsim(&[
            "summarize",
            experiment.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            std::fs::read_to_string(out.join("summary.csv")).unwrap(),
            std::fs::read_to_string(dir.join("summary.csv")).unwrap(),
            "{}: summary.csv is what the results give",
            dir.display()
        );
        let figures = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "png")
            })
            .count();
        assert!(figures >= 1, "{}: at least one figure", dir.display());
        std::fs::remove_dir_all(&out).ok();
    }
}

#[test]
fn quick_variants_run_and_give_the_committed_results() {
    for dir in studies() {
        let out = scratch(&format!("quick-{}", name(&dir)));
        let experiment = dir.join("sweep.toml");
        rollsim(&[
            "sweep",
            experiment.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--limit",
            "2",
            "--quiet",
        ]);
        let quick = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
        let committed = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
        let quick_lines: Vec<&str> = quick.lines().collect();
        assert_eq!(quick_lines.len(), 2);
        for line in quick_lines {
            assert!(
                committed.lines().any(|c| c == line),
                "{}: a fresh run differs from the committed result:\n{line}",
                dir.display()
            );
        }
        std::fs::remove_dir_all(&out).ok();
    }
}

//! Sweeps that span machines and survive interruptions: shards merged equal one
//! unsharded run byte for byte; a sweep stopped part-way (even mid-line) and resumed
//! ends with the same file as one never stopped; thread count changes nothing.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const EXPERIMENT: &str = "experiments/example-sweep.toml";

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn rollsim(args: &[&str], threads: Option<&str>) -> std::process::Output {
    let mut cmd = Command::cargo_bin("rollsim").unwrap();
    cmd.args(args);
    if let Some(threads) = threads {
        cmd.env("RAYON_NUM_THREADS", threads);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn sweep(out: &Path, extra: &[&str], threads: Option<&str>) {
    let mut args = vec!["sweep", EXPERIMENT, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    rollsim(&args, threads);
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn sharded_and_merged_equals_unsharded_byte_for_byte() {
    let whole = dir("whole");
    sweep(&whole, &[], None);
    let expected = read(whole.join("results.jsonl"));
    assert_eq!(expected.lines().count(), 12);

    let shards = dir("shards");
    for k in 1..=3 {
        sweep(&shards, &["--shard", &format!("{k}/3")], None);
    }
    let merged = shards.join("merged.jsonl");
    let files: Vec<String> = (1..=3)
        .map(|k| {
            shards
                .join(format!("results-{k}-of-3.jsonl"))
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap()]);
    rollsim(&args, None);
    assert_eq!(read(merged), expected);
}

#[test]
fn an_interrupted_sweep_resumed_ends_with_the_same_file() {
    let whole = dir("uninterrupted");
    sweep(&whole, &[], Some("1"));
    let expected = read(whole.join("results.jsonl"));

    let resumed = dir("resumed");
    sweep(&resumed, &["--limit", "5"], None);
    let partial = resumed.join("results.jsonl");
    assert_eq!(
        read(partial.clone()).lines().count(),
        5,
        "what finished is kept"
    );
    // Killed while writing a line.
    let mut text = read(partial.clone());
    text.push_str("{\"overrides\":{\"duration\":\"15m\"},\"point\":3,\"se");
    std::fs::write(&partial, text).unwrap();
    // Without --resume the results are not overwritten.
    let refused = Command::cargo_bin("rollsim")
        .unwrap()
        .args(["sweep", EXPERIMENT, "--out", resumed.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    sweep(&resumed, &["--resume"], None);
    assert_eq!(read(partial), expected);
}

#[test]
fn bad_experiments_are_refused_before_anything_runs() {
    let bad = dir("bad");
    std::fs::create_dir_all(&bad).unwrap();
    for (text, needle) in [
        (
            "model = \"../models/quickstart.toml\"\nrns = 3\n",
            "unknown field `rns`",
        ),
        (
            "model = \"../models/quickstart.toml\"\n[grid]\n\"layers.backend.instances\" = [4, 0]\n",
            "must be between 1 and 100000, got 0",
        ),
        ("model = \"nowhere.toml\"\n", "cannot read the model file"),
    ] {
        let file = bad.join("experiment.toml");
        std::fs::write(&file, text).unwrap();
        // The model path is relative to the experiment file.
        let text = text.replace(
            "../models/",
            &format!("{}/models/", env!("CARGO_MANIFEST_DIR")),
        );
        std::fs::write(&file, text).unwrap();
        let output = Command::cargo_bin("rollsim")
            .unwrap()
            .args(["sweep", file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
    }
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(["sweep", EXPERIMENT, "--shard", "4/3"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("1 ≤ K ≤ N"));
}

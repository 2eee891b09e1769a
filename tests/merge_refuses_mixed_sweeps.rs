//! Results of different sweeps are never mixed, and nothing is merged, summarised or
//! resumed silently wrong: `merge` and `summarize` refuse (exit 2, naming the files,
//! lines and what differs) shards of sweeps with another seed or grid, conflicting
//! copies of a run, garbage, TOML and missing shards (listed, unless
//! `--allow-partial`); old results without a fingerprint are summarised alone but not
//! merged; `--resume` drops only a cut last line and refuses anything else wrong; a
//! lock refuses a second sweep on the same results file. Every sweep and every bad file
//! is made here, small (a few runs of the quickstart model, well under a second each).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-mixed-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `rollsim args`: its exit code and stderr.
fn rollsim(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (output.status.code(), stderr)
}

fn succeeds(args: &[&str]) -> String {
    let (code, stderr) = rollsim(args);
    assert_eq!(code, Some(0), "{args:?}: {stderr}");
    stderr
}

/// `rollsim args` exits 2 and its message holds every `needle`.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let (code, stderr) = rollsim(args);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
    }
    stderr
}

/// An experiment in `dir` named `name`.toml: 2 bake times × 2 seeds from `seed` of the
/// quickstart model (4 runs), the first bake `bake`.
fn experiment(dir: &Path, name: &str, seed: u64, bake: &str) -> PathBuf {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/quickstart.toml");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "model = {:?}\nruns = 2\nseed = {seed}\n\
             set = {{ \"duration\" = \"10m\", \"rollout.strategy\" = \"red-black\" }}\n\
             [grid]\n\"rollout.red_black.bake\" = [{bake:?}, \"3m\"]\n",
            text(&model)
        ),
    )
    .unwrap();
    path
}

/// Runs shard `k` of `n` of `experiment` into `out`; its results file.
fn shard(experiment: &Path, out: &Path, k: usize, n: usize) -> PathBuf {
    succeeds(&[
        "sweep",
        text(experiment),
        "--out",
        text(out),
        "--shard",
        &format!("{k}/{n}"),
        "--quiet",
    ]);
    out.join(format!("results-{k}-of-{n}.jsonl"))
}

/// Runs all of `experiment` into `out`; its results file.
fn whole(experiment: &Path, out: &Path) -> PathBuf {
    succeeds(&["sweep", text(experiment), "--out", text(out), "--quiet"]);
    out.join("results.jsonl")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn merge_refuses_shards_of_different_sweeps() {
    let dir = scratch("different");
    let six = experiment(&dir, "six", 1, "6m");
    let first = shard(&six, &dir.join("a"), 1, 2);
    let other_seed = shard(&experiment(&dir, "seed2", 2, "6m"), &dir.join("b"), 2, 2);
    let merged = dir.join("merged.jsonl");
    refused(
        &[
            "merge",
            text(&first),
            text(&other_seed),
            "--out",
            text(&merged),
        ],
        &[
            "b/results-2-of-2.jsonl:1",
            "a/results-1-of-2.jsonl:1",
            "another sweep",
            "the first seed (1 vs 2)",
        ],
    );
    // A 7m bake point is not averaged into a 6m one.
    let seven = shard(&experiment(&dir, "seven", 1, "7m"), &dir.join("c"), 2, 2);
    refused(
        &["merge", text(&first), text(&seven), "--out", text(&merged)],
        &[
            "another sweep",
            "set, grid or points",
            "rollout.red_black.bake=6m",
            "rollout.red_black.bake=7m",
        ],
    );
    assert!(!merged.exists(), "nothing written");
    // The shards of one sweep merge.
    let second = shard(&six, &dir.join("a"), 2, 2);
    succeeds(&["merge", text(&first), text(&second), "--out", text(&merged)]);
    assert_eq!(read(&merged).lines().count(), 4);
}

#[test]
fn merge_names_the_missing_shard_and_runs_or_merges_partially_when_asked() {
    let dir = scratch("missing");
    let sweep = experiment(&dir, "sweep", 1, "6m");
    let first = shard(&sweep, &dir, 1, 2);
    let merged = dir.join("merged.jsonl");
    refused(
        &["merge", text(&first), "--out", text(&merged)],
        &[
            "2 of the sweep's 4 runs are absent",
            "shard 2/2 (results-2-of-2.jsonl): 2 of its 2 runs absent",
            "e.g. point 0 (duration=10m, rollout.red_black.bake=6m, rollout.strategy=red-black) seed 2",
            "--allow-partial",
        ],
    );
    assert!(!merged.exists(), "nothing written");
    let said = succeeds(&[
        "merge",
        text(&first),
        "--out",
        text(&merged),
        "--allow-partial",
    ]);
    assert!(
        said.contains("warning: a partial merge")
            && said.contains("(partial: 2 of the sweep's 4 runs absent)"),
        "{said}"
    );
    assert_eq!(read(&merged), read(&first));
    // summarize needs every run too.
    let out = dir.join("summary");
    refused(
        &[
            "summarize",
            text(&sweep),
            "--results",
            text(&merged),
            "--out",
            text(&out),
        ],
        &["2 of the sweep's 4 runs are absent", "--allow-partial"],
    );
    assert!(!out.join("summary.csv").exists());
    let said = succeeds(&[
        "summarize",
        text(&sweep),
        "--results",
        text(&merged),
        "--out",
        text(&out),
        "--allow-partial",
    ]);
    assert!(said.contains("warning:"), "{said}");
    assert!(read(&out.join("summary.csv")).contains(",n,"));
}

/// `line` with its first rollout's `failed_requests` one higher: the same run (point,
/// seed, sweep), another result.
fn altered(line: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
    let failed = &mut value["rollouts"][0]["failed_requests"];
    *failed = serde_json::json!(failed.as_i64().unwrap() + 1);
    value.to_string()
}

#[test]
fn merge_keeps_identical_copies_of_a_run_once_and_refuses_conflicting_ones() {
    let dir = scratch("duplicates");
    let sweep = experiment(&dir, "sweep", 1, "6m");
    let expected = read(&whole(&sweep, &dir.join("whole")));
    let first = shard(&sweep, &dir, 1, 2);
    let second = shard(&sweep, &dir, 2, 2);
    let merged = dir.join("merged.jsonl");
    let said = succeeds(&[
        "merge",
        text(&first),
        text(&second),
        text(&first),
        "--out",
        text(&merged),
    ]);
    assert!(said.contains("2 runs were given more than once"), "{said}");
    assert_eq!(read(&merged), expected);
    let conflicting = dir.join("conflicting.jsonl");
    let lines: Vec<String> = read(&second).lines().map(str::to_string).collect();
    std::fs::write(&conflicting, altered(&lines[1]) + "\n").unwrap();
    refused(
        &[
            "merge",
            text(&first),
            text(&second),
            text(&conflicting),
            "--out",
            text(&merged),
        ],
        &[
            "conflicting.jsonl:1 and ",
            "results-2-of-2.jsonl:2",
            "with different results",
        ],
    );
}

#[test]
fn merge_and_summarize_refuse_garbage_and_toml_naming_the_file_and_line() {
    let dir = scratch("garbage");
    let sweep = experiment(&dir, "sweep", 1, "6m");
    let results = whole(&sweep, &dir.join("whole"));
    let lines: Vec<String> = read(&results).lines().map(str::to_string).collect();
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        format!(
            "{}\n{}\nnot json at all\n{}\n",
            lines[0], lines[1], lines[2]
        ),
    )
    .unwrap();
    let merged = dir.join("merged.jsonl");
    let expected = [
        "bad.jsonl:3: not a sweep result line",
        "\"not json at all\"",
    ];
    refused(&["merge", text(&bad), "--out", text(&merged)], &expected);
    refused(
        &[
            "summarize",
            text(&sweep),
            "--results",
            text(&bad),
            "--out",
            text(&dir),
        ],
        &expected,
    );
    refused(
        &[
            "merge",
            text(&results),
            text(&sweep),
            "--out",
            text(&merged),
        ],
        &["sweep.toml:1: not a sweep result line (this looks like TOML"],
    );
    assert!(!merged.exists(), "nothing written");
    assert!(!dir.join("summary.csv").exists(), "nothing written");
}

/// `text` without the sweep stamp of its lines: what earlier versions wrote.
fn unstamped(text: &str) -> String {
    text.lines()
        .map(|line| {
            let start = line.find(",\"sweep\":").unwrap();
            format!("{}}}\n", &line[..start])
        })
        .collect()
}

#[test]
fn old_results_without_a_fingerprint_are_summarised_alone_but_never_merged() {
    let dir = scratch("old");
    let sweep = experiment(&dir, "sweep", 1, "6m");
    let results = whole(&sweep, &dir.join("whole"));
    let old = dir.join("old.jsonl");
    std::fs::write(&old, unstamped(&read(&results))).unwrap();
    let merged = dir.join("merged.jsonl");
    refused(
        &["merge", text(&old), "--out", text(&merged)],
        &[
            "old.jsonl:1: no sweep fingerprint",
            "again with this version",
        ],
    );
    refused(
        &["merge", text(&results), text(&old), "--out", text(&merged)],
        &[
            "old.jsonl:1 has no sweep fingerprint",
            "whole/results.jsonl:1 has one",
        ],
    );
    let out = dir.join("summary");
    let said = succeeds(&[
        "summarize",
        text(&sweep),
        "--results",
        text(&old),
        "--out",
        text(&out),
    ]);
    assert!(
        said.contains("note:") && said.contains("without sweep fingerprints"),
        "{said}"
    );
    assert_eq!(
        read(&out.join("summary.csv")),
        read(&dir.join("whole/summary.csv")),
        "the same summary as the same results with their fingerprint"
    );
}

#[test]
fn summarize_refuses_the_results_of_another_experiment() {
    let dir = scratch("another");
    let results = whole(&experiment(&dir, "six", 1, "6m"), &dir.join("six"));
    let seven = experiment(&dir, "seven", 1, "7m");
    refused(
        &[
            "summarize",
            text(&seven),
            "--results",
            text(&results),
            "--out",
            text(&dir),
        ],
        &[
            "holds results of another sweep than",
            "seven.toml",
            "set, grid or points",
        ],
    );
    assert!(!dir.join("summary.csv").exists());
}

#[test]
fn resume_drops_only_a_cut_last_line_and_refuses_any_other_bad_line() {
    let dir = scratch("resume");
    let sweep = experiment(&dir, "sweep", 1, "6m");
    let expected = read(&whole(&sweep, &dir.join("whole")));
    let lines: Vec<&str> = expected.lines().collect();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let results = out.join("results.jsonl");
    let resume = ["sweep", text(&sweep), "--out", text(&out), "--resume"];
    // A bad line in the middle is refused, and the file is left as it was.
    let broken = format!("{}\n{{\"point\":1,\"se\n{}\n", lines[0], lines[3]);
    std::fs::write(&results, &broken).unwrap();
    refused(&resume, &["results.jsonl:2: not a sweep result line"]);
    assert_eq!(read(&results), broken, "no result lost");
    // A bad last line that ends with its newline was written whole: refused too.
    let garbage_last = format!("{}\ngarbage\n", lines[0]);
    std::fs::write(&results, &garbage_last).unwrap();
    refused(&resume, &["results.jsonl:2: not a sweep result line"]);
    assert_eq!(read(&results), garbage_last);
    // A last line cut short (no newline) is what a killed sweep leaves: dropped, said.
    std::fs::write(&results, format!("{}\n{}", lines[0], &lines[1][..40])).unwrap();
    let said = succeeds(&resume);
    assert!(
        said.contains("results.jsonl:2: dropped a last line cut short"),
        "{said}"
    );
    assert_eq!(read(&results), expected);
}

#[test]
fn resume_refuses_the_results_of_another_sweep() {
    let dir = scratch("resume-other");
    let out = dir.join("out");
    let results = whole(&experiment(&dir, "seed1", 1, "6m"), &out);
    let before = read(&results);
    let other = experiment(&dir, "seed2", 2, "6m");
    refused(
        &["sweep", text(&other), "--out", text(&out), "--resume"],
        &["holds results of another sweep", "the first seed (1 vs 2)"],
    );
    assert_eq!(read(&results), before, "no result lost");
}

/// This machine's name as the lock writes it.
#[cfg(target_os = "linux")]
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[cfg(target_os = "linux")]
#[test]
fn a_second_sweep_on_the_same_results_file_is_refused_by_its_lock() {
    let dir = scratch("lock");
    let sweep = experiment(&dir, "sweep", 1, "6m");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let lock = out.join("results.jsonl.lock");
    // A sweep running: this test's own process holds the lock.
    std::fs::write(
        &lock,
        format!(
            "rollsim sweep\npid {}\nhost {}\n",
            std::process::id(),
            host()
        ),
    )
    .unwrap();
    refused(
        &["sweep", text(&sweep), "--out", text(&out)],
        &[
            "results.jsonl.lock: another sweep or merge (process",
            "delete the lock file",
        ],
    );
    // Nor is a merge written into it.
    refused(
        &[
            "merge",
            text(&sweep),
            "--out",
            text(&out.join("results.jsonl")),
        ],
        &["results.jsonl.lock: another sweep or merge"],
    );
    assert!(lock.exists(), "another's lock is left alone");
    assert!(!out.join("results.jsonl").exists(), "nothing written");
    // The shards of a sweep have their own files and locks: they run side by side.
    shard(&sweep, &out, 1, 2);
    // A lock left by a sweep that was killed is taken over, and released at the end.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(
        &lock,
        format!("rollsim sweep\npid {pid}\nhost {}\n", host()),
    )
    .unwrap();
    let said = succeeds(&["sweep", text(&sweep), "--out", text(&out)]);
    assert!(
        said.contains(&format!("taking over the lock of process {pid}")),
        "{said}"
    );
    assert!(!lock.exists(), "released at the end");
    assert_eq!(read(&out.join("results.jsonl")).lines().count(), 4);
    // Released on an error path too (results already there, no --resume).
    refused(
        &["sweep", text(&sweep), "--out", text(&out)],
        &["already has results"],
    );
    assert!(!lock.exists(), "released after a refusal");
}

#[test]
fn merge_and_summarize_refuse_devices_and_endless_lines_under_a_memory_limit() {
    // Under a 500 MB address-space limit: a device is refused unread, and one 700 MB
    // line with no end is refused when reading it runs out of memory, with exit 2 and a
    // message, within seconds; nothing is written.
    let dir = scratch("endless");
    let endless = dir.join("endless.jsonl");
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&endless).unwrap());
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..700 {
            file.write_all(&chunk).unwrap();
        }
    }
    let experiment = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/bake-time/sweep.toml");
    let out = dir.join("merged.jsonl");
    let commands: [Vec<&str>; 4] = [
        vec!["merge", text(&endless), "--out", text(&out)],
        vec!["merge", "/dev/zero", "--out", text(&out)],
        vec!["summarize", text(&experiment), "--results", text(&endless)],
        vec!["summarize", text(&experiment), "--results", "/dev/zero"],
    ];
    for args in commands {
        let limited = format!(
            "ulimit -v 500000 && exec {} {}",
            env!("CARGO_BIN_EXE_rollsim"),
            args.join(" ")
        );
        let started = std::time::Instant::now();
        let output = std::process::Command::new("sh")
            .args(["-c", &limited])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            started.elapsed().as_secs() < 20,
            "{args:?} took {:?}",
            started.elapsed()
        );
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}

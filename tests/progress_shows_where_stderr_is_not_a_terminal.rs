//! `--progress auto|always|never`: long commands show their progress on stderr, also
//! where stderr is not a terminal (a file, a pipe, a CI log), as plain lines with
//! done / total, the simulated time, the elapsed time and an estimate; never on stdout.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs rollsim with `args`, stderr redirected to a file (not a terminal, not a pipe):
/// its output and what the file got.
fn with_stderr_in_a_file(args: &[&str], name: &str) -> (Output, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.stderr"));
    let output = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stderr(File::create(&path).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "rollsim {args:?} failed");
    (output, std::fs::read_to_string(&path).unwrap())
}

fn progress_lines<'a>(stderr: &'a str, what: &str) -> Vec<&'a str> {
    stderr
        .lines()
        .filter(|l| l.starts_with(&format!("{what}: ")))
        .collect()
}

#[test]
fn compare_prints_progress_lines_when_stderr_is_a_file() {
    let (output, stderr) = with_stderr_in_a_file(
        &["compare", "models/quickstart.toml", "--runs", "2"],
        "compare-auto",
    );
    let lines = progress_lines(&stderr, "rehearsals");
    // 2 strategies × 2 runs; each run also simulates a baseline: 6 × 10 minutes.
    let last = lines.last().expect("a progress line in the file");
    assert!(
        last.starts_with("rehearsals: 4/4 done, 1h 00m of 1h 00m simulated (")
            && last.ends_with(", ETA 0s)"),
        "the last line says all is done, with the elapsed time and an estimate: {last}"
    );
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "plain lines in a file, no bar drawn in place: {stderr:?}"
    );
    // Progress is stderr's: stdout is the same without it.
    let (quiet, _) = with_stderr_in_a_file(
        &[
            "compare",
            "models/quickstart.toml",
            "--runs",
            "2",
            "--progress",
            "never",
        ],
        "compare-never-stdout",
    );
    assert_eq!(output.stdout, quiet.stdout);
}

#[test]
fn progress_never_prints_no_progress_lines_and_keeps_the_timing() {
    let (_, stderr) = with_stderr_in_a_file(
        &[
            "--progress",
            "never",
            "compare",
            "models/quickstart.toml",
            "--runs",
            "2",
        ],
        "compare-never",
    );
    assert!(progress_lines(&stderr, "rehearsals").is_empty(), "{stderr}");
    assert!(
        stderr.contains("4 rehearsals and 2 baseline runs in"),
        "{stderr}"
    );
}

#[test]
fn quiet_is_progress_never_unless_progress_always() {
    let args = [
        "compare",
        "models/quickstart.toml",
        "--runs",
        "2",
        "--quiet",
    ];
    let (_, stderr) = with_stderr_in_a_file(&args, "compare-quiet");
    assert!(stderr.is_empty(), "--quiet prints nothing: {stderr}");
    let mut always = args.to_vec();
    always.extend(["--progress", "always"]);
    let (_, stderr) = with_stderr_in_a_file(&always, "compare-quiet-always");
    assert_eq!(
        progress_lines(&stderr, "rehearsals").len(),
        stderr.lines().count(),
        "--quiet --progress always: progress, and no timing lines: {stderr}"
    );
    assert!(!stderr.is_empty());
}

#[test]
fn a_short_run_shows_no_progress_unless_progress_always() {
    let (_, stderr) = with_stderr_in_a_file(&["run", "models/quickstart.toml"], "run-auto");
    assert!(progress_lines(&stderr, "run").is_empty(), "{stderr}");
    let (_, stderr) = with_stderr_in_a_file(
        &["run", "models/quickstart.toml", "--progress", "always"],
        "run-always",
    );
    let lines = progress_lines(&stderr, "run");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("run: 10m 00s of 10m 00s simulated (")),
        "a run's progress is in simulated time: {stderr}"
    );
}

#[test]
fn sweep_prints_progress_lines_when_stderr_is_a_file() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress-sweep");
    let _ = std::fs::remove_dir_all(&out);
    let (_, stderr) = with_stderr_in_a_file(
        &[
            "sweep",
            "experiments/example-sweep.toml",
            "--out",
            out.to_str().unwrap(),
            "--limit",
            "4",
        ],
        "sweep",
    );
    let lines = progress_lines(&stderr, "runs");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("runs: 4/4 done (") && l.ends_with(", ETA 0s)")),
        "{stderr}"
    );
}

#[test]
fn help_documents_the_progress_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(["compare", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for word in ["--progress <WHEN>", "always", "never", "every 5 s"] {
        assert!(help.contains(word), "{word} missing from --help: {help}");
    }
}

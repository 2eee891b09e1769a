//! The exit code says what kind of failure ended a command: 2 for input the user must
//! fix (with the same messages as ever), 1 for a failure while running (HAProxy,
//! writing results), 130 for an interruption (a sweep keeps what it finished).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rollsim");

fn rollsim(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("rollsim runs")
}

/// A fresh scratch directory for `name`.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-exit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// `output` ended with `code` and exactly `stderr`.
fn assert_ends(output: &Output, code: i32, stderr: &str) {
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{said}");
    assert_eq!(said, stderr);
}

/// `output` ended with `code` and its stderr holds `needle` (and no panic).
fn assert_ends_saying(output: &Output, code: i32, needle: &str) {
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{said}");
    assert!(said.contains(needle), "expected {needle:?} in {said}");
    assert!(!said.contains("panicked"), "{said}");
}

fn quickstart_with(dir: &Path, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string("models/quickstart.toml").expect("the model");
    assert!(text.contains(from), "{from}");
    let path = dir.join(name);
    std::fs::write(&path, text.replacen(from, to, 1)).expect("a model file");
    path.to_str().expect("a UTF-8 path").to_string()
}

#[test]
fn bad_input_exits_2_with_the_same_messages_as_before() {
    let dir = scratch("bad-input");
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, "name = \"x\"\n[layers.edge\ninstances = 3\n").unwrap();
    let broken = broken.to_str().unwrap();
    assert_ends(
        &rollsim(&["run", broken]),
        2,
        &format!("error: {broken}:2:13: not valid TOML: unclosed table, expected `]`\n"),
    );
    let unknown = quickstart_with(&dir, "unknown.toml", "seed = 1\n", "seed = 1\nbogus = 3\n");
    let output = rollsim(&["check", &unknown]);
    assert_ends_saying(
        &output,
        2,
        &format!("error: {unknown}:6:1: field `bogus`: unknown field `bogus`, expected one of"),
    );
    assert_ends_saying(
        &rollsim(&[
            "run",
            "models/quickstart.toml",
            "--set",
            "layers.edge.bogus=3",
        ]),
        2,
        "error: models/quickstart.toml: field `layers.edge.bogus`: unknown field `bogus`, \
         expected one of `instances`",
    );
    assert_ends(
        &rollsim(&[
            "run",
            "models/quickstart.toml",
            "--set",
            "layers.nope.instances=3",
        ]),
        2,
        "error: models/quickstart.toml: --set layers.nope.instances=3: the model has no layer \
         `nope`; its layers are backend, edge (a --set never adds a layer)\n",
    );
    assert_ends_saying(
        &rollsim(&["run", "models/quickstart.toml", "--strategy", "bogus"]),
        2,
        "error: invalid value 'bogus' for '--strategy <STRATEGY>': unknown strategy \"bogus\"",
    );
    assert_ends(
        &rollsim(&["run", "models/metastable.toml", "--strategy", "rolling"]),
        2,
        "error: --strategy rolling: the model metastable has no [[rollouts]] section to apply \
         it to\n",
    );
    assert_ends(
        &rollsim(&["run", "/nonexistent/model.toml"]),
        2,
        "error: /nonexistent/model.toml: cannot read the model file: No such file or directory \
         (os error 2)\n",
    );
}

#[test]
fn a_strategy_is_an_override_whose_error_names_the_field_and_the_flag() {
    let output = rollsim(&[
        "run",
        "models/quickstart.toml",
        "--strategy",
        "rolling",
        "--set",
        "rollout.analysis.delay=20m",
        "--set",
        "rollout.red_black.bake=1h",
    ]);
    assert_ends(
        &output,
        2,
        "error: models/quickstart.toml: field `rollouts[0].rolling.healthy_deadline`: 10m is \
         shorter than the analysis delay plus one interval (21m): the rolling strategy could \
         never pass it (with --set rollout.analysis.delay=20m, --set rollout.red_black.bake=1h, \
         --strategy rolling)\n",
    );
}

#[test]
fn the_files_own_error_keeps_its_line_even_with_overrides() {
    let dir = scratch("own-error");
    let model = quickstart_with(&dir, "zero.toml", "instances = 4", "instances = 0");
    let output = rollsim(&["check", &model, "--set", "layers.backend.workers=9"]);
    assert_ends(
        &output,
        2,
        &format!(
            "error: {model}:13:13: field `layers.edge.instances`: must be between 1 and \
             100000, got 0\n"
        ),
    );
    // An override may mend the file: the changed model is what is checked.
    let output = rollsim(&["check", &model, "--set", "layers.edge.instances=4"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[cfg(feature = "live")]
#[test]
fn a_missing_or_failing_haproxy_exits_1() {
    let empty = scratch("no-haproxy");
    let output = Command::new(BIN)
        .args(["live", "models/live.toml"])
        .env("PATH", &empty)
        .output()
        .expect("rollsim runs");
    assert_ends_saying(&output, 1, "apt-get install -y haproxy");
    // An haproxy that refuses every configuration.
    let failing = scratch("failing-haproxy");
    let haproxy = failing.join("haproxy");
    std::fs::write(
        &haproxy,
        "#!/bin/sh\necho 'broken on purpose' >&2\nexit 1\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&haproxy, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = Command::new(BIN)
        .args(["live", "models/live.toml"])
        .env("PATH", &failing)
        .output()
        .expect("rollsim runs");
    assert_ends_saying(&output, 1, "HAProxy refused the generated configuration");
    assert_ends_saying(&output, 1, "broken on purpose");
}

#[test]
fn an_io_failure_while_writing_results_exits_1() {
    let dir = scratch("io");
    let file = dir.join("a-regular-file");
    std::fs::write(&file, "not a directory").unwrap();
    let under = |name: &str| file.join(name).to_str().unwrap().to_string();
    let series = under("series.csv");
    let quick = ["run", "models/quickstart.toml", "--set", "duration=3m"];
    let mut args = quick.to_vec();
    args.extend(["--series", &series]);
    assert_ends_saying(&rollsim(&args), 1, "Not a directory");
    let out = under("out");
    assert_ends_saying(
        &rollsim(&["sweep", "experiments/example-sweep.toml", "--out", &out]),
        1,
        "Not a directory",
    );
    #[cfg(target_os = "linux")]
    {
        let mut args = quick.to_vec();
        args.push("--json");
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let output = Command::new(BIN)
            .args(&args)
            .stdout(full)
            .output()
            .expect("rollsim runs");
        assert_ends_saying(
            &output,
            1,
            "error: failed printing to stdout: No space left on device",
        );
    }
    // A link is refused as input to fix, before anything runs.
    #[cfg(unix)]
    {
        let link = dir.join("series.csv");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let mut args = quick.to_vec();
        args.extend(["--series", link.to_str().unwrap()]);
        assert_ends_saying(&rollsim(&args), 2, "symbolic link");
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_sweep_exits_130_and_keeps_what_it_finished() {
    let dir = scratch("interrupted");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/quickstart.toml");
    let experiment = dir.join("sweep.toml");
    std::fs::write(
        &experiment,
        format!(
            "model = {:?}\nruns = 200\nseed = 1\nset = {{ \"duration\" = \"5m\" }}\n",
            model.to_str().unwrap()
        ),
    )
    .unwrap();
    let results = dir.join("results.jsonl");
    let mut child = Command::new(BIN)
        .args(["sweep", experiment.to_str().unwrap(), "--quiet"])
        .env("RAYON_NUM_THREADS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollsim starts");
    let started = Instant::now();
    while std::fs::read_to_string(&results).map_or(0, |t| t.lines().count()) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no result after 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().expect("rollsim ends");
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert!(!stderr.contains("error:"), "{stderr}");
    let kept = std::fs::read_to_string(&results).unwrap();
    let lines = kept.lines().count();
    assert!((2..200).contains(&lines), "{lines} lines kept");
    for line in kept.lines() {
        let _: serde_json::Value = serde_json::from_str(line).expect("every line whole");
    }
    assert!(
        !dir.join("results.jsonl.lock").exists(),
        "the lock is released"
    );
    // What was kept is resumed, not run again.
    let output = rollsim(&[
        "sweep",
        experiment.to_str().unwrap(),
        "--resume",
        "--limit",
        "1",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(&results).unwrap().lines().count(),
        lines + 1
    );
}

#[test]
fn the_exit_codes_are_in_the_help() {
    let output = rollsim(&["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for said in [
        "2 bad input",
        "1 a failure while running",
        "130 interrupted",
    ] {
        assert!(help.contains(said), "{said}: {help}");
    }
}

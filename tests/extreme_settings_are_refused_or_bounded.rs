//! Smaller extremes of issue 16 (point 6): a log-normal cv that would round every
//! service time to zero, two rollouts of one layer at once, seeds above 2⁶³, a
//! `--plot` directory that cannot be written, and plots of long runs. Every model is
//! made here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rollsim::rehearsal::rehearse;
use rollsim::scenario;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-extreme-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rollsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .output()
        .unwrap()
}

fn refused(args: &[&str], needles: &[&str]) -> Output {
    ended_with(2, args, needles)
}

/// `rollsim args` exits `code` and says every `needle`.
fn ended_with(code: i32, args: &[&str], needles: &[&str]) -> Output {
    let out = rollsim(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
    }
    out
}

const TWO_LAYERS: &str = r#"duration = "30m"
[traffic]
rate = "100/s"
[layers.edge]
instances = 4
launch_time = "5s"
boot_time = "10s"
calls = [{ layer = "backend" }]
[layers.backend]
instances = 4
launch_time = "LAUNCH"
boot_time = "10s"
"#;

fn rollout(start: &str, bake: &str) -> String {
    format!(
        "[[rollouts]]\nlayer = \"backend\"\nstart = \"{start}\"\nred_black = {{ bake = \"{bake}\" }}\nanalysis = {{ interval = \"30s\" }}\n"
    )
}

#[test]
fn a_lognormal_cv_above_a_hundred_is_refused() {
    let dir = scratch("cv");
    let path = dir.join("cv.toml");
    let model = TWO_LAYERS.replace("LAUNCH", "5s").replace(
        "[layers.backend]\n",
        "[layers.backend]\nservice_time = \"lognormal(mean=20ms, cv=100000000000000000000)\"\n",
    );
    std::fs::write(&path, model).unwrap();
    refused(
        &["check", path.to_str().unwrap()],
        &["layers.backend.service_time", "cv must be at most 100"],
    );
}

#[test]
fn two_rollouts_of_one_layer_at_once_are_refused_naming_both() {
    let dir = scratch("overlap");
    let path = dir.join("overlap.toml");
    let model = TWO_LAYERS.replace("LAUNCH", "5s") + &rollout("1m", "10m") + &rollout("5m", "2m");
    std::fs::write(&path, model).unwrap();
    refused(
        &["check", path.to_str().unwrap()],
        &[
            "rollouts[1].start",
            "rollouts[1] of layer \"backend\" starts at 5m, while rollouts[0]",
            "start it at 11m or later",
        ],
    );
}

#[test]
fn a_rollout_due_while_another_of_its_layer_is_still_deciding_waits_for_it() {
    // The first one's launches take 4 minutes: at 5m it is still baking (until ~7m).
    let model = TWO_LAYERS.replace("LAUNCH", "4m") + &rollout("1m", "2m") + &rollout("5m", "2m");
    let scenario = scenario::parse(&model, Path::new("wait.toml")).unwrap();
    let rehearsal = rehearse(&scenario);
    let (first, second) = (&rehearsal.records[0], &rehearsal.records[1]);
    let promoted_at = first
        .timeline
        .iter()
        .find(|(_, note)| note == "promoted")
        .map(|(at, _)| *at)
        .unwrap_or_else(|| panic!("{:#?}", first.timeline));
    let started = second.started_at.unwrap();
    assert!(started >= promoted_at, "{:#?}", second.timeline);
    assert!(
        second
            .timeline
            .iter()
            .any(|(_, note)| note.contains("waited") && note.contains("due at 5m")),
        "{:#?}",
        second.timeline
    );
    assert_eq!((second.old_version, second.new_version), (1, 2));
}

#[test]
fn seeds_take_the_whole_u64_range_from_the_command_line_and_the_file() {
    let dir = scratch("seed");
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/quickstart.toml");
    let quickstart = quickstart.to_str().unwrap();
    let max = "18446744073709551615";
    let by_set = rollsim(&["run", quickstart, "--set", &format!("seed={max}")]);
    let by_flag = rollsim(&["run", quickstart, "--seed", max]);
    let quoted = dir.join("quoted.toml");
    std::fs::write(
        &quoted,
        std::fs::read_to_string(quickstart)
            .unwrap()
            .replace("seed = 1", &format!("seed = \"{max}\"")),
    )
    .unwrap();
    let by_file = rollsim(&["run", quoted.to_str().unwrap()]);
    for out in [&by_set, &by_flag, &by_file] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(by_set.stdout, by_flag.stdout);
    assert_eq!(by_file.stdout, by_flag.stdout);
    let check = rollsim(&["check", quoted.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&check.stdout).contains(&format!("seed {max}")));
    refused(
        &["check", quickstart, "--set", "seed=-1"],
        &[
            "field `seed`",
            "an integer from 0 to 18446744073709551615",
            "got -1",
        ],
    );
    refused(
        &["check", quickstart, "--set", "seed=18446744073709551616"],
        &["field `seed`", "18446744073709551616"],
    );
}

#[test]
fn a_plot_directory_that_cannot_be_written_is_refused_before_simulating() {
    let dir = scratch("plot");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let inside = file.join("plots");
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/quickstart.toml");
    for command in ["run", "compare"] {
        // The place, not the input, is at fault: a failure at run time (1).
        let out = ended_with(
            1,
            &[
                command,
                quickstart.to_str().unwrap(),
                "--plot",
                inside.to_str().unwrap(),
            ],
            &["--plot", "cannot write figures there"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("simulated"),
            "{command}: simulated first: {stderr}"
        );
    }
}

#[test]
fn plots_of_long_runs_keep_a_bounded_number_of_points() {
    let dir = scratch("long");
    let path = dir.join("long.toml");
    std::fs::write(
        &path,
        "duration = \"2d\"\n[traffic]\nrate = \"2/s\"\n[layers.edge]\ninstances = 2\n\
         [[rollouts]]\nlayer = \"edge\"\nstart = \"1m\"\n",
    )
    .unwrap();
    let plots = dir.join("plots");
    let out = rollsim(&[
        "run",
        path.to_str().unwrap(),
        "--plot",
        plots.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.is_empty(), "the report is printed");
    let svg = std::fs::metadata(plots.join("rollout-1-edge.svg"))
        .unwrap()
        .len();
    // Per-second instance counts alone would be 172 800 points per version (several MB).
    assert!(svg < 1_000_000, "{svg} bytes");
}

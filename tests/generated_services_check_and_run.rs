//! `rollsim generate services` writes a model `rollsim check` accepts and `rollsim run`
//! runs, in which every service receives traffic and, at the evening peak, keeps
//! about the target share of its workers busy; bad parameters are refused with exit
//! code 2, naming the flag and what it allows, never with a panic.

use std::path::PathBuf;

use assert_cmd::Command;

fn rollsim(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-generate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bad_parameters_are_refused_naming_the_flag() {
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &["--services", "500"],
            &["--services 500", "between 2", "64"],
        ),
        (&["--depth", "0"], &["--depth 0", "between 2 and 24"]),
        (&["--fan-out", "0"], &["--fan-out 0", "between 1 and 16"]),
        (&["--data-share", "1.5"], &["--data-share 1.5", "(0, 1)"]),
        (
            &["--duration", "7d"],
            &["--duration 7d", "fit in 46h", "--force"],
        ),
        (&["--edge-rate", "lots"], &["--edge-rate"]),
    ];
    for (flags, needles) in cases {
        let mut args = vec!["generate", "services"];
        args.extend_from_slice(flags);
        let output = rollsim(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?} wrote a model");
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{args:?}: {needle:?} not in {stderr}"
            );
        }
    }
}

#[test]
fn the_generated_model_is_checked_and_runs_with_traffic_at_every_service() {
    let dir = scratch("run");
    let model = dir.join("services.toml");
    let model_arg = model.to_str().unwrap();
    let output = rollsim(&["generate", "services", "--out", model_arg]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The file is what stdout gets.
    let stdout = rollsim(&["generate", "services"]).stdout;
    assert_eq!(std::fs::read(&model).unwrap(), stdout);

    let check = rollsim(&["check", model_arg]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Ten minutes from the evening peak (Monday 20:00).
    let run = rollsim(&[
        "run",
        model_arg,
        "--set",
        "duration=10m",
        "--set",
        "traffic.shape.start=20",
        "--json",
        "--progress",
        "never",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["world"]["fidelity"], "fast");
    let layers = json["world"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 32);
    for layer in layers {
        let name = layer["layer"].as_str().unwrap();
        let requests = layer["requests"].as_u64().unwrap();
        assert!(
            requests > 1_000_000,
            "{name}: {requests} requests in 10 minutes"
        );
        let success = layer["success_ratio"].as_f64().unwrap();
        assert!(success > 0.99, "{name}: success {success}");
        // Sized for 40% at the peak; fast mode's representatives and the caches
        // warming at the start move it a little.
        let busy = layer["utilisation"].as_f64().unwrap();
        assert!(
            (0.3..=0.46).contains(&busy),
            "{name}: {busy:.3} of its workers busy at the peak"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! Same seed → byte-identical output, whatever the thread count.

use assert_cmd::Command;

fn validate_stdout(seed: &str, threads: Option<&str>) -> Vec<u8> {
    let mut cmd = Command::cargo_bin("rollsim").unwrap();
    cmd.args(["validate", "--scale", "0.02", "--seed", seed]);
    if let Some(threads) = threads {
        cmd.env("RAYON_NUM_THREADS", threads);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn validate_output_is_byte_identical_for_the_same_seed() {
    let first = validate_stdout("7", None);
    assert_eq!(first, validate_stdout("7", None));
    assert_eq!(first, validate_stdout("7", Some("1")));
    assert_ne!(first, validate_stdout("8", None));
}

#[test]
fn validate_json_is_byte_identical_for_the_same_seed() {
    let run = || {
        Command::cargo_bin("rollsim")
            .unwrap()
            .args(["validate", "--scale", "0.02", "--seed", "3", "--json"])
            .output()
            .unwrap()
            .stdout
    };
    let first = run();
    assert_eq!(first, run());
    let parsed: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 9);
}

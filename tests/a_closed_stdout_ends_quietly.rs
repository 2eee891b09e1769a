//! A reader that stops early (`rollsim run | head -n 1`) closes the pipe: rollsim then
//! ends at once with success, without a panic or a "Broken pipe" message.

use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_ends_the_run_quietly_with_success() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(["run", "models/quickstart.toml", "--set", "duration=3m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollsim starts");
    // Close the reading end before rollsim writes anything.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("rollsim ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}

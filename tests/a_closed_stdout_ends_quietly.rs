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

/// `rollsim run models/quickstart.toml | head -n 1`: one line read, then the pipe
/// closed. The exit code is 0 and stderr is empty (the run's wall-time line goes only
/// to a terminal).
#[test]
fn a_reader_that_takes_one_line_leaves_success_and_a_clean_stderr() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(["run", "models/quickstart.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollsim starts");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut first)
        .expect("a line");
    // The reader is dropped here, as `head` exits after its line.
    assert!(!first.is_empty());
    let output = child.wait_with_output().expect("rollsim ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
}

//! Helpers shared by several test files (each test file is its own crate; a file uses
//! what it needs).
#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rollsim::model::World;

/// Runs `program args`, killing it if it outlives `deadline`: its exit code and stderr.
pub fn run_within_deadline(
    program: &str,
    args: &[&str],
    deadline: Duration,
) -> (Option<i32>, String) {
    run_within_deadline_to(program, args, Stdio::null(), deadline)
}

/// Runs `program args` with its stdout to `stdout` (e.g. a file), killing it if it
/// outlives `deadline`: its exit code and stderr.
pub fn run_within_deadline_to(
    program: &str,
    args: &[&str],
    stdout: Stdio,
    deadline: Duration,
) -> (Option<i32>, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still running after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

/// Success ratio of the entry layer's calls resolved in windows `[from_s, to_s)`.
pub fn success_ratio(world: &World, from_s: usize, to_s: usize) -> f64 {
    let windows = &world.observations().layers[0][from_s..to_s];
    let succeeded: u64 = windows.iter().map(|w| u64::from(w.succeeded)).sum();
    let failed: u64 = windows
        .iter()
        .map(|w| w.failed.iter().map(|n| u64::from(*n)).sum::<u64>())
        .sum();
    succeeded as f64 / (succeeded + failed).max(1) as f64
}

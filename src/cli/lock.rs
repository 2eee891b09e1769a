//! The lock a sweep (or a merge) holds on the results file it writes, so two never
//! write the same file at once (duplicated lines, a lost `summary.csv`).
//!
//! [`ResultsLock::take`] creates `FILE.lock` beside the results file with `create_new`
//! (O_EXCL: it fails if anything, even a dangling link, is there) and writes the pid and
//! host into it; dropping the lock removes the file if it is still ours, on success and
//! on every error path. A lock left by a sweep that was killed is taken over with a
//! note when it names this host and a pid that is not running (judged by `/proc/PID`
//! on Linux); elsewhere, or when in doubt, the sweep is refused with the lock's path and
//! what to do. The lock is per results file, so the shards of one sweep
//! (`results-K-of-N.jsonl`) may run at once in the same folder.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

/// A held lock on a results file; released when dropped.
#[derive(Debug)]
pub(crate) struct ResultsLock {
    path: PathBuf,
    contents: String,
}

/// This machine's name, as far as std can tell, for the lock's contents.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The pid and host written in a lock file.
fn owner(contents: &str) -> Option<(u32, String)> {
    let mut pid = None;
    let mut host = None;
    for line in contents.lines() {
        if let Some(p) = line.strip_prefix("pid ") {
            pid = p.trim().parse().ok();
        } else if let Some(h) = line.strip_prefix("host ") {
            host = Some(h.trim().to_string());
        }
    }
    Some((pid?, host?))
}

/// Whether process `pid` is known not to be running (only Linux can tell, with std).
fn surely_gone(pid: u32) -> bool {
    cfg!(target_os = "linux")
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

impl ResultsLock {
    /// Takes the lock on `results` (the file a sweep is about to write).
    /// Another sweep's lock is a refusal (bad input: wait, or choose another place);
    /// a lock file that cannot be made is a failure at run time.
    pub(crate) fn take(results: &Path) -> Result<ResultsLock, Error> {
        let mut name = results
            .file_name()
            .ok_or_else(|| Error::BadInput(format!("{}: not a file name", results.display())))?
            .to_os_string();
        name.push(".lock");
        let path = results.with_file_name(name);
        let contents = format!(
            "rollsim writing {}\npid {}\nhost {}\n",
            results.display(),
            std::process::id(),
            host()
        );
        let create = || {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut file| file.write_all(contents.as_bytes()))
        };
        match create() {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let held = std::fs::read_to_string(&path).unwrap_or_default();
                match owner(&held) {
                    Some((pid, host)) if host == self::host() && surely_gone(pid) => {
                        // Looked at again just before removing: another sweep may have
                        // taken it over meanwhile.
                        if std::fs::read_to_string(&path).unwrap_or_default() != held {
                            return Err(busy(&path, results, &held));
                        }
                        std::fs::remove_file(&path)
                            .map_err(|e| Error::Failed(format!("{}: {e}", path.display())))?;
                        eprintln!(
                            "note: {}: taking over the lock of process {pid}, which is no longer running",
                            path.display()
                        );
                        create().map_err(|_| busy(&path, results, &held))?;
                    }
                    _ => return Err(busy(&path, results, &held)),
                }
            }
            Err(e) => {
                return Err(Error::Failed(format!(
                    "{}: cannot create the lock file: {e}",
                    path.display()
                )));
            }
        }
        Ok(ResultsLock { path, contents })
    }
}

fn busy(lock: &Path, results: &Path, held: &str) -> Error {
    let by = match owner(held) {
        Some((pid, host)) => format!("process {pid} on {host}"),
        None => "another process".to_string(),
    };
    Error::BadInput(format!(
        "{}: another sweep or merge ({by}) is writing {}; wait for it to end, or, if none \
         is running, delete the lock file {}",
        lock.display(),
        results.display(),
        lock.display()
    ))
}

impl Drop for ResultsLock {
    fn drop(&mut self) {
        if std::fs::read_to_string(&self.path).is_ok_and(|held| held == self.contents) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rollsim-lock-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_second_lock_on_the_same_results_is_refused_until_the_first_is_dropped() {
        let dir = scratch("twice");
        let results = dir.join("results.jsonl");
        let first = ResultsLock::take(&results).unwrap();
        let error = ResultsLock::take(&results).unwrap_err().to_string();
        assert!(
            error.contains("results.jsonl.lock") && error.contains(&std::process::id().to_string()),
            "{error}"
        );
        let shard = ResultsLock::take(&dir.join("results-1-of-2.jsonl"));
        assert!(shard.is_ok(), "another results file has its own lock");
        drop(first);
        assert!(!dir.join("results.jsonl.lock").exists());
        assert!(ResultsLock::take(&results).is_ok());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_of_a_process_that_is_gone_is_taken_over() {
        let dir = scratch("stale");
        let results = dir.join("results.jsonl");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        std::fs::write(
            dir.join("results.jsonl.lock"),
            format!("rollsim sweep\npid {pid}\nhost {}\n", host()),
        )
        .unwrap();
        let lock = ResultsLock::take(&results).unwrap();
        let held = std::fs::read_to_string(dir.join("results.jsonl.lock")).unwrap();
        assert!(held.contains(&format!("pid {}\n", std::process::id())));
        drop(lock);
        assert!(!dir.join("results.jsonl.lock").exists());
    }
}

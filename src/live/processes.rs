//! Process supervision for a live run: every child process (HAProxy, instances) and the
//! run's temporary directory (HAProxy's configuration and admin socket) belong to one
//! [`Supervisor`], which leaves nothing behind.
//!
//! # How children are held
//! 1. Each child starts in a process group of its own (so a signal reaches whatever it
//!    forks), with `kill_on_drop`, and with the parent-death signal set to SIGKILL: if
//!    rollsim itself is killed outright, the kernel kills its children.
//! 2. The supervisor owns every child handle; callers hold a [`ChildId`], signal it,
//!    and ask whether it has exited (reaping it).
//! 3. [`Supervisor::shutdown`] ends them all: SIGTERM to each group, a grace period,
//!    SIGKILL to what is left, every child reaped, the directory removed. The live
//!    command calls it after a run, after an error and after Ctrl-C (SIGINT, SIGTERM,
//!    SIGHUP); [`Drop`] does the same without the grace period, as a last resort (a
//!    panic).

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::Error;

/// Time children get between SIGTERM and SIGKILL at shutdown.
const GRACE: Duration = Duration::from_millis(1500);

/// A child of the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ChildId(u32);

impl ChildId {
    /// No child (one already reaped).
    pub(crate) const GONE: ChildId = ChildId(u32::MAX);
}

/// The children and the temporary directory of one live run.
#[derive(Debug)]
pub(crate) struct Supervisor {
    dir: PathBuf,
    children: Vec<(ChildId, Child)>,
    next: u32,
}

impl Supervisor {
    /// A supervisor with a fresh, private temporary directory (a failure at run time if
    /// it cannot be made).
    pub(crate) fn new() -> Result<Supervisor, Error> {
        remove_stale_dirs(&std::env::temp_dir());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("rollsim-live-{}-{nanos:09}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| {
            Error::failed(format!(
                "cannot create the run's directory {}: {e}",
                dir.display()
            ))
        })?;
        Ok(Supervisor {
            dir,
            children: Vec::new(),
            next: 0,
        })
    }

    /// The run's temporary directory (removed at shutdown).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts `command` as a supervised child (stdin closed; stdout and stderr as the
    /// command sets them).
    pub(crate) fn spawn(&mut self, mut command: Command) -> std::io::Result<(ChildId, Child)> {
        command
            .stdin(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: prctl is async-signal-safe and touches only the calling (child) process.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        let id = ChildId(self.next);
        self.next += 1;
        Ok((id, child))
    }

    /// Takes `child` (from [`Supervisor::spawn`], after taking its pipes) into custody.
    pub(crate) fn adopt(&mut self, id: ChildId, child: Child) {
        self.children.push((id, child));
    }

    /// The process id of a child still held.
    pub(crate) fn pid(&self, id: ChildId) -> Option<u32> {
        self.children
            .iter()
            .find(|(c, _)| *c == id)
            .and_then(|(_, child)| child.id())
    }

    /// Sends `signal` to the child's process group.
    pub(crate) fn signal(&self, id: ChildId, signal: i32) {
        if let Some(pid) = self.pid(id) {
            signal_group(pid, signal);
        }
    }

    /// If the child has exited: reaps it, forgets it and returns its status.
    pub(crate) fn try_exit(&mut self, id: ChildId) -> Option<ExitStatus> {
        let index = self.children.iter().position(|(c, _)| *c == id)?;
        match self.children[index].1.try_wait() {
            Ok(Some(status)) => {
                self.children.swap_remove(index);
                Some(status)
            }
            Ok(None) => None,
            Err(_) => {
                // Already reaped elsewhere: it is gone.
                self.children.swap_remove(index);
                Some(std::os::unix::process::ExitStatusExt::from_raw(0))
            }
        }
    }

    /// Children still held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.children.len()
    }

    /// Ends every child (SIGTERM, then SIGKILL after a grace period), reaps them all
    /// and removes the directory.
    pub(crate) async fn shutdown(&mut self) {
        for (_, child) in &self.children {
            if let Some(pid) = child.id() {
                signal_group(pid, libc::SIGTERM);
            }
        }
        let deadline = tokio::time::Instant::now() + GRACE;
        for (_, child) in &mut self.children {
            if tokio::time::timeout_at(deadline, child.wait())
                .await
                .is_err()
            {
                if let Some(pid) = child.id() {
                    signal_group(pid, libc::SIGKILL);
                }
                let _ = child.kill().await;
            }
        }
        self.children.clear();
        self.remove_dir();
    }

    fn remove_dir(&self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            if let Some(pid) = child.id() {
                signal_group(pid, libc::SIGKILL);
            }
            let _ = child.start_kill();
        }
        self.remove_dir();
    }
}

/// Removes the run directories (`rollsim-live-PID-NANOS`) in `temp` left by a live run
/// whose process no longer exists (killed with SIGKILL, which no handler sees).
fn remove_stale_dirs(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("rollsim-live-"))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let gone = pid > 0
            && unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Sends `signal` to the process group led by `pid` (children start their own).
fn signal_group(pid: u32, signal: i32) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
    unsafe {
        libc::kill(-pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_of_killed_runs_are_removed_and_live_ones_kept() {
        let temp = std::env::temp_dir().join(format!("rollsim-stale-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&temp);
        std::fs::create_dir_all(&temp).unwrap();
        // A process that has exited: its pid is free (reaped).
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();
        let stale = temp.join(format!("rollsim-live-{dead_pid}-000000001"));
        let mine = temp.join(format!("rollsim-live-{}-000000002", std::process::id()));
        let other = temp.join("rollsim-live-notapid");
        for dir in [&stale, &mine, &other] {
            std::fs::create_dir_all(dir.join("inside")).unwrap();
        }
        remove_stale_dirs(&temp);
        assert!(!stale.exists(), "a dead run's directory is removed");
        assert!(mine.exists() && other.exists(), "others are kept");
        std::fs::remove_dir_all(&temp).unwrap();
    }

    #[tokio::test]
    async fn shutdown_ends_children_and_removes_the_directory() {
        let mut supervisor = Supervisor::new().expect("a temp dir");
        let dir = supervisor.dir().to_path_buf();
        std::fs::write(dir.join("file"), "x").expect("writable");
        let mut command = Command::new("sleep");
        command.arg("30");
        let (id, child) = supervisor.spawn(command).expect("sleep runs");
        supervisor.adopt(id, child);
        let pid = supervisor.pid(id).expect("running");
        supervisor.shutdown().await;
        assert_eq!(supervisor.len(), 0);
        assert!(!dir.exists());
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }
}

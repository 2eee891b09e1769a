//! Ctrl-C (SIGINT) during a long command that does not run live processes. A sweep
//! ([`finish_what_runs`]) notes it, starts no new run and lets the runs under way end
//! and be written, then stops with exit code 130: what finished is kept for
//! `--resume`; a second Ctrl-C ends it at once. `plan` and `compare`, which keep
//! nothing until the end, stop at once ([`exit_at_once`]), also with 130. (`live` has
//! its own handling: every process is stopped first.)
//!
//! The handlers only touch an atomic flag and call write(2) and _exit(2), which a
//! signal handler may.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the first SIGINT after [`finish_what_runs`].
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From now on, a first SIGINT sets the flag [`interrupted`] reads (and says so on
/// stderr); a second ends the process at once with exit code 130.
pub(crate) fn finish_what_runs() {
    #[cfg(unix)]
    install(finish);
}

/// From now on, SIGINT ends the process at once with exit code 130.
pub(crate) fn exit_at_once() {
    #[cfg(unix)]
    install(at_once);
}

/// Whether SIGINT came since [`finish_what_runs`].
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The three C library functions the handlers need, declared here: the simulator
/// without the live mode does not depend on the libc crate (`.ci/run` checks).
#[cfg(unix)]
mod sys {
    use std::os::raw::{c_int, c_void};

    /// SIGINT's number, 2 on every Unix.
    pub(super) const SIGINT: c_int = 2;
    pub(super) const STDERR: c_int = 2;

    unsafe extern "C" {
        pub(super) fn signal(signum: c_int, handler: usize) -> usize;
        pub(super) fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
        pub(super) fn _exit(status: c_int) -> !;
    }
}

#[cfg(unix)]
fn install(handler: extern "C" fn(std::os::raw::c_int)) {
    // SAFETY: `handler` only touches an atomic and calls write(2) and _exit(2), which
    // are async-signal-safe.
    unsafe {
        sys::signal(sys::SIGINT, handler as usize);
    }
}

#[cfg(unix)]
extern "C" fn finish(_: std::os::raw::c_int) {
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        say_and_exit(b"\ninterrupted by SIGINT again: stopped at once\n");
    }
    say(b"\ninterrupted by SIGINT: finishing the runs under way (Ctrl-C again to stop at once)\n");
}

#[cfg(unix)]
extern "C" fn at_once(_: std::os::raw::c_int) {
    say_and_exit(b"\ninterrupted by SIGINT\n");
}

#[cfg(unix)]
fn say(text: &[u8]) {
    // SAFETY: a write(2) of a static buffer to stderr.
    unsafe {
        sys::write(sys::STDERR, text.as_ptr().cast(), text.len());
    }
}

#[cfg(unix)]
fn say_and_exit(text: &[u8]) -> ! {
    say(text);
    // SAFETY: _exit(2) ends the process without unwinding or running destructors.
    unsafe { sys::_exit(i32::from(crate::error::EXIT_INTERRUPTED)) }
}

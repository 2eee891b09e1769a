//! Progress of long commands on stderr: on a terminal, one line redrawn in place (a bar
//! with the count, elapsed time and ETA), at most ten times a second; where stderr is
//! not a terminal (a pipe, a CI log, `nohup`), one plain line per change, at most one a
//! second, and always the last; nothing with `--quiet`.
//!
//! Wall-clock time is read here, for people watching; never in a simulation.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Progress over steps that may finish on several threads at once.
pub(crate) struct Progress {
    state: Option<Mutex<State>>,
}

struct State {
    what: String,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_drawn: Option<Instant>,
    terminal: bool,
    /// Characters of the line drawn in place (terminal only).
    drawn: usize,
}

/// Progress over `total` steps (a count if `total` is unknown), named `what`.
pub(crate) fn bar(total: Option<u64>, quiet: bool, what: &str) -> Progress {
    if quiet {
        return Progress { state: None };
    }
    let state = State {
        what: what.to_string(),
        total,
        done: 0,
        started: Instant::now(),
        last_drawn: None,
        terminal: std::io::stderr().is_terminal(),
        drawn: 0,
    };
    Progress {
        state: Some(Mutex::new(state)),
    }
}

impl Progress {
    /// `steps` more steps are done.
    pub(crate) fn inc(&self, steps: u64) {
        let Some(state) = &self.state else { return };
        let mut state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.done += steps;
        state.draw();
    }

    /// The work is over: a terminal's line is wiped (a log keeps its lines).
    pub(crate) fn finish_and_clear(&self) {
        let Some(state) = &self.state else { return };
        let state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.terminal && state.drawn > 0 {
            eprint!("\r{}\r", " ".repeat(state.drawn));
            let _ = std::io::stderr().flush();
        }
    }
}

impl State {
    fn draw(&mut self) {
        let now = Instant::now();
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        let last = self.total.is_some_and(|total| self.done >= total);
        if !last && self.last_drawn.is_some_and(|at| now - at < every) {
            return;
        }
        self.last_drawn = Some(now);
        let elapsed = now - self.started;
        let text = match self.total {
            Some(total) => {
                let eta = if self.done == 0 {
                    "?".to_string()
                } else {
                    let left = total.saturating_sub(self.done) as f64;
                    clock(elapsed.mul_f64(left / self.done as f64))
                };
                let counts = format!("{}/{total} done ({}, ETA {eta})", self.done, clock(elapsed));
                if self.terminal {
                    let width = 30usize;
                    let filled = (width as u64 * self.done.min(total) / total.max(1)) as usize;
                    format!(
                        "{} [{}{}] {counts}",
                        self.what,
                        "=".repeat(filled),
                        " ".repeat(width - filled)
                    )
                } else {
                    format!("{}: {counts}", self.what)
                }
            }
            None => format!("{}: {} done ({})", self.what, self.done, clock(elapsed)),
        };
        if self.terminal {
            let pad = self.drawn.saturating_sub(text.chars().count());
            eprint!("\r{text}{}", " ".repeat(pad));
            self.drawn = text.chars().count();
        } else {
            eprintln!("{text}");
        }
        let _ = std::io::stderr().flush();
    }
}

/// A duration as people read it: `42s`, `3m 05s`, `1h 02m`.
fn clock(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(clock(Duration::from_secs(42)), "42s");
        assert_eq!(clock(Duration::from_secs(185)), "3m 05s");
        assert_eq!(clock(Duration::from_secs(3720)), "1h 02m");
    }
}

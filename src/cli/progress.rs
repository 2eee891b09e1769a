//! Progress of long commands on stderr, as `--progress auto|always|never` asks.
//!
//! - On a terminal: one line redrawn in place (a bar with the count, elapsed time and
//!   ETA), at most ten times a second, wiped at the end.
//! - Where stderr is not a terminal (a pipe, a file, a CI log, `nohup`): one plain line
//!   every [`LOG_EVERY`] (done / total, the simulated time where the work is
//!   simulation, elapsed time and an estimate of what is left), and always the last.
//! - `auto` (the default): progress for `compare`, `plan` and `sweep`; for `run` only
//!   once it has taken long enough to be worth it ([`LOG_EVERY`] in a log, a second on a
//!   terminal). `--quiet` (on `compare`, `plan`, `sweep`) is `never` for progress.
//! - `always`: as `auto`, but never silenced: not by `--quiet` (which still drops the
//!   timing lines), not for a short `run`.
//! - `never`: no progress at all.
//!
//! Wall-clock time is read here, for people watching; never in a simulation (which
//! reports how far it got in simulated time).

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::engine::SimDuration;

/// Whether long commands show their progress on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ProgressMode {
    /// A bar on a terminal, a line every few seconds elsewhere; none with `--quiet`, and
    /// for `run` only when it is long.
    #[default]
    Auto,
    /// As auto, even with `--quiet` and for a short `run`.
    Always,
    /// No progress.
    Never,
}

/// How often a log (stderr not a terminal) gets a line.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(5);
/// How often a terminal's bar is redrawn.
const TERMINAL_EVERY: Duration = Duration::from_millis(100);
/// How long a `run` goes before its progress shows on a terminal (`auto`).
const TERMINAL_LONG: Duration = Duration::from_secs(1);

static MODE: OnceLock<ProgressMode> = OnceLock::new();

/// Sets the mode of the whole process (from `--progress`); the first call wins.
pub(crate) fn set_mode(mode: ProgressMode) {
    let _ = MODE.set(mode);
}

fn mode() -> ProgressMode {
    MODE.get().copied().unwrap_or_default()
}

/// Progress over steps (and simulated time) that may advance on several threads at once.
pub(crate) struct Progress {
    state: Option<Mutex<State>>,
}

struct State {
    what: String,
    /// Steps to do, if known, and done.
    total: Option<u64>,
    done: u64,
    /// Simulated time to run and run so far, in milliseconds, if the work is simulation.
    simulated: Option<(u64, u64)>,
    started: Instant,
    last_drawn: Option<Instant>,
    /// Nothing shows before this much time has passed (a short `run` shows nothing).
    hold: Duration,
    terminal: bool,
    /// Characters of the line drawn in place (terminal only).
    drawn: usize,
}

/// Progress over `total` steps (a count if `total` is unknown), named `what`; `quiet`
/// is the command's `--quiet`.
pub(crate) fn bar(total: Option<u64>, quiet: bool, what: &str) -> Progress {
    let show = match mode() {
        ProgressMode::Always => true,
        ProgressMode::Auto => !quiet,
        ProgressMode::Never => false,
    };
    Progress::new(show, total, None, what, Duration::ZERO)
}

/// Progress of simulation: `total` steps (e.g. rehearsals) that simulate `simulated`
/// in all; `quiet` is the command's `--quiet`.
pub(crate) fn simulation(total: u64, simulated: SimDuration, quiet: bool, what: &str) -> Progress {
    let progress = bar(Some(total), quiet, what);
    progress.set_simulated_total(simulated);
    progress
}

/// Progress of one simulated run of `simulated` (`run`): shown in `auto` only once it
/// has taken a while.
pub(crate) fn run(simulated: SimDuration, what: &str) -> Progress {
    let hold = match (mode(), std::io::stderr().is_terminal()) {
        (ProgressMode::Auto, true) => TERMINAL_LONG,
        (ProgressMode::Auto, false) => LOG_EVERY,
        _ => Duration::ZERO,
    };
    Progress::new(
        mode() != ProgressMode::Never,
        None,
        Some(simulated),
        what,
        hold,
    )
}

impl Progress {
    fn new(
        show: bool,
        total: Option<u64>,
        simulated: Option<SimDuration>,
        what: &str,
        hold: Duration,
    ) -> Progress {
        if !show {
            return Progress { state: None };
        }
        let state = State {
            what: what.to_string(),
            total,
            done: 0,
            simulated: simulated.map(|d| (millis(d), 0)),
            started: Instant::now(),
            last_drawn: None,
            hold,
            terminal: std::io::stderr().is_terminal(),
            drawn: 0,
        };
        Progress {
            state: Some(Mutex::new(state)),
        }
    }

    /// No progress at all if `hidden` (work that will not be done).
    pub(crate) fn unless(self, hidden: bool) -> Progress {
        if hidden {
            Progress { state: None }
        } else {
            self
        }
    }

    fn set_simulated_total(&self, simulated: SimDuration) {
        self.with(|state| state.simulated = Some((millis(simulated), 0)));
    }

    fn with(&self, change: impl FnOnce(&mut State)) {
        let Some(state) = &self.state else { return };
        let mut state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut state);
    }

    /// `steps` more steps are done.
    pub(crate) fn inc(&self, steps: u64) {
        self.with(|state| {
            state.done += steps;
            state.draw(Instant::now(), false);
        });
    }

    /// A run went `by` further in simulated time.
    pub(crate) fn simulated(&self, by: SimDuration) {
        self.with(|state| {
            if let Some((_, done)) = &mut state.simulated {
                *done += millis(by);
            }
            state.draw(Instant::now(), false);
        });
    }

    /// The work is over: a terminal's line is wiped; a log gets the last line.
    pub(crate) fn finish_and_clear(&self) {
        self.with(|state| {
            if state.terminal {
                if state.drawn > 0 {
                    eprint!("\r{}\r", " ".repeat(state.drawn));
                    let _ = std::io::stderr().flush();
                }
            } else {
                state.draw(Instant::now(), true);
            }
        });
    }
}

fn millis(d: SimDuration) -> u64 {
    d.as_nanos() / 1_000_000
}

impl State {
    fn draw(&mut self, now: Instant, last: bool) {
        if let Some(text) = self.line_at(now, last) {
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

    /// The line to show at `now`, if one is due (`last`: the work is over).
    fn line_at(&mut self, now: Instant, last: bool) -> Option<String> {
        let elapsed = now - self.started;
        // A run too short to show progress ends as quietly as it went.
        if elapsed < self.hold {
            return None;
        }
        let due = match (self.last_drawn, self.terminal) {
            (Some(at), true) => now - at >= TERMINAL_EVERY,
            (Some(at), false) => now - at >= LOG_EVERY,
            // A terminal's bar shows at once, a log's first line after one period.
            (None, true) => true,
            (None, false) => elapsed >= LOG_EVERY,
        };
        if !last && !due {
            return None;
        }
        self.last_drawn = Some(now);
        Some(self.text(elapsed))
    }

    fn text(&self, elapsed: Duration) -> String {
        // The share done: of simulated time where known (finer than steps), else of steps.
        let share = match (self.simulated, self.total) {
            (Some((total, done)), _) if total > 0 => Some(done as f64 / total as f64),
            (_, Some(total)) if total > 0 => Some(self.done as f64 / total as f64),
            _ => None,
        };
        let eta = match share {
            Some(share) if share > 0.0 => clock(elapsed.mul_f64((1.0 - share.min(1.0)) / share)),
            Some(_) => "?".to_string(),
            None => String::new(),
        };
        let mut counts = Vec::new();
        match self.total {
            Some(total) => counts.push(format!("{}/{total} done", self.done)),
            None if self.simulated.is_none() => counts.push(format!("{} done", self.done)),
            None => {}
        }
        if let Some((total, done)) = self.simulated {
            counts.push(format!(
                "{} of {} simulated",
                clock(Duration::from_millis(done.min(total))),
                clock(Duration::from_millis(total))
            ));
        }
        let timing = if eta.is_empty() {
            format!("({})", clock(elapsed))
        } else {
            format!("({}, ETA {eta})", clock(elapsed))
        };
        let counts = format!("{} {timing}", counts.join(", "));
        match share {
            Some(share) if self.terminal => {
                let width = 30usize;
                let filled = ((width as f64 * share.min(1.0)) as usize).min(width);
                format!(
                    "{} [{}{}] {counts}",
                    self.what,
                    "=".repeat(filled),
                    " ".repeat(width - filled)
                )
            }
            _ => format!("{}: {counts}", self.what),
        }
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

    fn log(total: Option<u64>, simulated_s: Option<u64>, hold: Duration) -> State {
        State {
            what: "rehearsals".into(),
            total,
            done: 0,
            simulated: simulated_s.map(|s| (s * 1000, 0)),
            started: Instant::now(),
            last_drawn: None,
            hold,
            terminal: false,
            drawn: 0,
        }
    }

    #[test]
    fn a_log_gets_a_line_every_few_seconds_and_always_the_last() {
        let mut state = log(Some(8), Some(8 * 3600), Duration::ZERO);
        let t0 = state.started;
        state.done = 1;
        state.simulated = Some((8 * 3600 * 1000, 3600 * 1000));
        assert_eq!(state.line_at(t0 + Duration::from_secs(2), false), None);
        assert_eq!(
            state.line_at(t0 + Duration::from_secs(5), false).as_deref(),
            Some("rehearsals: 1/8 done, 1h 00m of 8h 00m simulated (5s, ETA 35s)")
        );
        assert_eq!(state.line_at(t0 + Duration::from_secs(9), false), None);
        assert!(state.line_at(t0 + Duration::from_secs(10), false).is_some());
        state.done = 8;
        state.simulated = Some((8 * 3600 * 1000, 8 * 3600 * 1000));
        assert_eq!(
            state.line_at(t0 + Duration::from_secs(11), true).as_deref(),
            Some("rehearsals: 8/8 done, 8h 00m of 8h 00m simulated (11s, ETA 0s)")
        );
    }

    #[test]
    fn counts_without_a_total_have_no_estimate() {
        let mut state = log(None, None, Duration::ZERO);
        state.what = "fleet sizes judged".into();
        state.done = 3;
        let t0 = state.started;
        assert_eq!(
            state.line_at(t0 + Duration::from_secs(7), false).as_deref(),
            Some("fleet sizes judged: 3 done (7s)")
        );
    }

    #[test]
    fn a_short_run_shows_nothing_and_a_long_one_its_simulated_time() {
        let mut short = log(None, Some(3600), LOG_EVERY);
        short.what = "run".into();
        let t0 = short.started;
        short.simulated = Some((3_600_000, 3_600_000));
        assert_eq!(short.line_at(t0 + Duration::from_secs(3), true), None);

        let mut long = log(None, Some(3600), LOG_EVERY);
        long.what = "run".into();
        let t0 = long.started;
        long.simulated = Some((3_600_000, 720_000));
        assert_eq!(
            long.line_at(t0 + Duration::from_secs(6), false).as_deref(),
            Some("run: 12m 00s of 1h 00m simulated (6s, ETA 24s)")
        );
        long.simulated = Some((3_600_000, 3_600_000));
        assert_eq!(
            long.line_at(t0 + Duration::from_secs(7), true).as_deref(),
            Some("run: 1h 00m of 1h 00m simulated (7s, ETA 0s)")
        );
    }
}

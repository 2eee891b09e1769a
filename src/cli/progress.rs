//! Progress of long commands on stderr: a bar with ETA on a terminal; where stderr is
//! not a terminal (a pipe, a CI log, `nohup`), one plain line per change, at most one
//! a second; nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// Progress drawn as plain lines: each new state of the bar becomes one line.
#[derive(Debug, Default)]
struct Lines {
    last: Mutex<String>,
}

impl Lines {
    fn emit(&self, text: &str) -> std::io::Result<()> {
        let text = text.trim();
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !text.is_empty() && *last != text {
            eprintln!("{text}");
            *last = text.to_string();
        }
        Ok(())
    }
}

impl TermLike for Lines {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.emit(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.emit(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A bar over `total` steps (a spinner with a count if `total` is unknown).
pub(crate) fn bar(total: Option<u64>, quiet: bool, what: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let terminal = std::io::stderr().is_terminal();
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} (ETA {eta})")
                .expect("a valid template")
                .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg}: {pos} done ({elapsed})")
                .expect("a valid template"),
        ),
    };
    if !terminal {
        bar.set_draw_target(ProgressDrawTarget::term_like_with_hz(
            Box::new(Lines::default()),
            1,
        ));
        bar.set_style(
            match total {
                Some(_) => {
                    ProgressStyle::with_template("{msg}: {pos}/{len} done ({elapsed}, ETA {eta})")
                }
                None => ProgressStyle::with_template("{msg}: {pos} done ({elapsed})"),
            }
            .expect("a valid template"),
        );
    }
    bar.set_message(what.to_string());
    bar
}

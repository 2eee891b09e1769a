//! Progress on a terminal: a bar with ETA on stderr for long commands; nothing when
//! stderr is not a terminal (pipes, CI, tests) or with `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `total` steps (a spinner with a count if `total` is unknown).
pub(crate) fn bar(total: Option<u64>, quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
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
    bar.set_message(what.to_string());
    bar
}

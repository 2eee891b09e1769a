//! `--html FILE`, shared by `run`, `compare` and `plan`: one self-contained HTML page
//! of the results ([`crate::report::html`]), with the command line that reproduces it.

use std::path::PathBuf;

use clap::Args;

use crate::Error;
use crate::report::html::{HtmlFile, command_line};

/// `--html FILE`.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct HtmlChoice {
    /// Also write one self-contained HTML page to FILE: the command that reproduces
    /// it, the model, the results with their intervals, each rollout's timeline with
    /// every analysis check, and the figures as inline SVG (no network, no scripts).
    /// Checked and opened before the run; never through a link.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
}

impl HtmlChoice {
    /// Opens the file if `--html` was given (an unwritable path fails here, before the
    /// work).
    pub(crate) fn open(&self) -> Result<Option<HtmlFile>, Error> {
        self.html.as_deref().map(HtmlFile::create).transpose()
    }
}

/// This process's command line, as the page shows it.
pub(crate) fn this_command() -> String {
    command_line(&std::env::args().collect::<Vec<_>>())
}

/// Writes `page` to `file` and says so on stderr (unless `quiet`).
pub(crate) fn write(file: HtmlFile, page: &str, quiet: bool) -> Result<(), Error> {
    let path = file.write(page)?;
    if !quiet {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

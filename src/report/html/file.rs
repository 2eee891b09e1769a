//! The file named by `--html`: checked and opened before the work, written after it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::scenario::files::check_writable;

/// The file named by `--html`, opened before the run.
#[derive(Debug)]
pub struct HtmlFile {
    path: PathBuf,
    file: std::fs::File,
}

impl HtmlFile {
    /// Checks `path` (not a link, a regular file if it exists) and opens it for
    /// writing, truncated. A path that cannot be opened (no such directory, no
    /// permission) is a failure at run time that names the file.
    pub fn create(path: &Path) -> Result<HtmlFile, Error> {
        check_writable(path, "HTML report")?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| {
                Error::failed(format!(
                    "--html {}: cannot write the report there: {e}",
                    path.display()
                ))
            })?;
        Ok(HtmlFile {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Writes `page`; returns the path written.
    pub fn write(mut self, page: &str) -> Result<PathBuf, Error> {
        self.file
            .write_all(page.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| Error::failed(format!("--html {}: {e}", self.path.display())))?;
        Ok(self.path)
    }
}

//! The files a user names, read and written without surprises: every input (model,
//! rollout, experiment, results) is read through [`read_bounded`], which refuses what
//! is not a regular file (a directory, a device such as `/dev/zero`, a FIFO, a socket)
//! before opening it, so nothing blocks on a FIFO or reads a device without end, and
//! reads at most the limit + 1 bytes whatever the file turns out to be. Every results
//! file written (`sweep --out`, `--resume`, `merge --out`, `summary.csv`, `--plot`)
//! is first checked by [`check_writable`]: a symbolic link or something other than a
//! regular file there is refused, never followed.

use std::fs::{File, FileType};
use std::io::Read;
use std::path::Path;

use super::ScenarioError;
use crate::Error;

/// What `file_type` is, for a message: "a directory", "a named pipe (FIFO)"…
fn describe(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Reads the text of the `kind` file ("model", "results"…) at `path`: only a regular
/// file (a symbolic link to one is followed), of at most `limit` bytes, in UTF-8.
pub(crate) fn read_bounded(path: &Path, kind: &str, limit: u64) -> Result<String, ScenarioError> {
    let whole_file = |message: String| ScenarioError {
        file: path.to_path_buf(),
        position: None,
        field: String::new(),
        message,
    };
    let not_regular = |file_type: FileType| {
        whole_file(format!(
            "the {kind} file is {}, not a regular file; only regular files are read",
            describe(file_type)
        ))
    };
    let too_big = |size: String| {
        whole_file(format!(
            "the file is {size} bytes; a {kind} file may be at most {limit}"
        ))
    };
    let cannot = |e: std::io::Error| whole_file(format!("cannot read the {kind} file: {e}"));
    // `metadata` does not open the file, so it cannot block on a FIFO.
    let before = std::fs::metadata(path).map_err(cannot)?;
    if !before.is_file() {
        return Err(not_regular(before.file_type()));
    }
    if before.len() > limit {
        return Err(too_big(before.len().to_string()));
    }
    let file = File::open(path).map_err(cannot)?;
    // The path may have been replaced between the two looks: judge what was opened.
    let opened = file.metadata().map_err(cannot)?;
    if !opened.is_file() {
        return Err(not_regular(opened.file_type()));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(format!("more than {limit}")));
    }
    String::from_utf8(bytes).map_err(|e| {
        whole_file(format!(
            "the {kind} file is not UTF-8 text (byte {} is not)",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Checks that results may be written at `path`: it is not a symbolic link (which
/// would send them elsewhere) and, if it exists, it is a regular file. Returns whether
/// it exists. Such a refusal is bad input; a path that cannot even be looked at (e.g.
/// under a regular file) is a failure at run time.
pub(crate) fn check_writable(path: &Path, kind: &str) -> Result<bool, Error> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::bad_input(format!(
            "{}: the {kind} file is a symbolic link; results are never written through a \
             link: remove it or choose another place",
            path.display()
        ))),
        Ok(meta) if !meta.is_file() => Err(Error::bad_input(format!(
            "{}: the {kind} file is {}, not a regular file; remove it or choose another place",
            path.display(),
            describe(meta.file_type())
        ))),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::failed(format!("{}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rollsim-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_the_limit() {
        let dir = scratch("big");
        let path = dir.join("m.toml");
        std::fs::write(&path, "x".repeat(11)).unwrap();
        let error = read_bounded(&path, "model", 10).unwrap_err().to_string();
        assert!(error.contains("at most 10"), "{error}");
        assert_eq!(read_bounded(&path, "model", 11).unwrap().len(), 11);
    }

    #[test]
    fn a_directory_is_refused_by_name() {
        let dir = scratch("dir");
        let error = read_bounded(&dir, "model", 10).unwrap_err().to_string();
        assert!(
            error.contains("is a directory, not a regular file"),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_without_reading_it() {
        let error = read_bounded(Path::new("/dev/zero"), "model", 10)
            .unwrap_err()
            .to_string();
        assert!(error.contains("a character device"), "{error}");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        let dir = scratch("utf8");
        let path = dir.join("m.toml");
        std::fs::write(&path, b"ab\xff").unwrap();
        let error = read_bounded(&path, "model", 10).unwrap_err().to_string();
        assert!(error.contains("byte 2"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_never_written_through() {
        let dir = scratch("link");
        let target = dir.join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.join("results.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = check_writable(&link, "results").unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert_eq!(error.exit_code(), crate::error::EXIT_BAD_INPUT);
        assert!(check_writable(&target, "results").unwrap());
        assert!(!check_writable(&dir.join("none"), "results").unwrap());
        assert!(
            check_writable(&dir, "results")
                .unwrap_err()
                .to_string()
                .contains("a directory")
        );
        let under_a_file = target.join("results.jsonl");
        let error = check_writable(&under_a_file, "results").unwrap_err();
        assert_eq!(error.exit_code(), crate::error::EXIT_FAILED, "{error}");
    }
}

//! The crate's error, by kind: what the user must fix, what failed while running, an
//! interruption, a check that ran and failed. The kind, not the message, decides the
//! exit code ([`Error::exit_code`]): 2 bad input, 1 a failure at run time or a failed
//! check, 130 interrupted (128 + SIGINT, as shells report a Ctrl-C).
//!
//! Messages are the user's: a model file's error keeps its file, line, column and field
//! ([`ScenarioError`]); context added on the way up ([`Error::context`]) keeps the kind.

use std::fmt::Display;

use crate::scenario::ScenarioError;

/// What went wrong, by kind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file that cannot be used: which file, line and column, field, and why.
    #[error(transparent)]
    Model(#[from] ScenarioError),
    /// Other input the user must fix: an argument, an experiment, rollout or results
    /// file, a place to write that is refused (a link, a directory).
    #[error("{0}")]
    BadInput(String),
    /// A failure while running: I/O writing results, HAProxy or an instance process in
    /// live mode, a sweep's worker.
    #[error("{0}")]
    Failed(String),
    /// Stopped by a signal (Ctrl-C) before the end; what finished is kept.
    #[error("{0}")]
    Interrupted(String),
    /// A check that ran and failed (`validate`); its report says where.
    #[error("{0}")]
    CheckFailed(String),
}

/// A result whose error is the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit code for input the user must fix.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a failure at run time, and for a check that ran and failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code after an interruption (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

impl Error {
    /// The exit code of this kind of error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Model(_) | Error::BadInput(_) => EXIT_BAD_INPUT,
            Error::Failed(_) | Error::CheckFailed(_) => EXIT_FAILED,
            Error::Interrupted(_) => EXIT_INTERRUPTED,
        }
    }

    /// Bad input, said by `message`.
    pub fn bad_input(message: impl Display) -> Error {
        Error::BadInput(message.to_string())
    }

    /// A failure at run time, said by `message`.
    pub fn failed(message: impl Display) -> Error {
        Error::Failed(message.to_string())
    }

    /// The same error with its message prefixed by `prefix: `.
    #[must_use]
    pub fn context(self, prefix: impl Display) -> Error {
        self.map_message(|message| format!("{prefix}: {message}"))
    }

    /// The same kind of error with its message changed by `change`.
    #[must_use]
    pub fn map_message(self, change: impl FnOnce(String) -> String) -> Error {
        match self {
            Error::Model(e) => Error::BadInput(change(e.to_string())),
            Error::BadInput(m) => Error::BadInput(change(m)),
            Error::Failed(m) => Error::Failed(change(m)),
            Error::Interrupted(m) => Error::Interrupted(change(m)),
            Error::CheckFailed(m) => Error::CheckFailed(change(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_kind() {
        let failed = Error::failed("disk full").context("out.csv");
        assert_eq!(failed.to_string(), "out.csv: disk full");
        assert_eq!(failed.exit_code(), EXIT_FAILED);
        let model = Error::from(ScenarioError {
            file: "m.toml".into(),
            position: Some((2, 3)),
            field: "seed".into(),
            message: "bad".into(),
        });
        assert_eq!(model.exit_code(), EXIT_BAD_INPUT);
        let prefixed = model.context("point 1");
        assert_eq!(
            prefixed.to_string(),
            "point 1: m.toml:2:3: field `seed`: bad"
        );
        assert_eq!(prefixed.exit_code(), EXIT_BAD_INPUT);
        assert_eq!(Error::Interrupted(String::new()).exit_code(), 130);
    }
}

//! How the callers of a layer behave: timeout, retries, backoff, jitter, retry budget.
//! Clients are where retry storms and herds come from.
//!
//! # Default values
//! | field | default | why |
//! |---|---|---|
//! | `timeout` | `1s` | a common client default (Hystrix's is 1 s) |
//! | `retries` | `1` | one retry, as many HTTP clients do |
//! | `backoff` | `exponential(base=50ms, cap=5s)` | AWS SDK-style capped exponential |
//! | `jitter` | `full` | AWS's recommendation ("Exponential Backoff and Jitter") |
//! | `retry_budget` | none | no budget unless asked (Finagle's default budget is 0.2) |

use std::fmt;
use std::str::FromStr;

use crate::engine::SimDuration;

/// The client section of a layer.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ClientSpec {
    /// Give up on an attempt after this long (the server may still finish the work).
    pub timeout: SimDuration,
    /// Further attempts after a failed or timed-out one (0 = never retry).
    #[cfg_attr(test, schemars(range(max = super::limits::MAX_RETRIES)))]
    pub retries: u32,
    /// Wait before each retry.
    pub backoff: Backoff,
    /// Randomisation of the backoff.
    pub jitter: Jitter,
    /// At most this many retries per original request, over a sliding window
    /// (0.1 = 10%); none means unlimited.
    #[cfg_attr(test, schemars(range(min = 0, max = 10)))]
    #[cfg_attr(test, schemars(example = 0.2))]
    pub retry_budget: Option<f64>,
}

impl Default for ClientSpec {
    fn default() -> Self {
        ClientSpec {
            timeout: SimDuration::from_secs(1),
            retries: 1,
            backoff: Backoff::default(),
            jitter: Jitter::default(),
            retry_budget: None,
        }
    }
}

/// The wait before a retry, before jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// Retry at once.
    None,
    /// Always the same wait.
    Fixed(SimDuration),
    /// `base × 2^(attempt − 1)`, at most `cap`.
    Exponential {
        /// Wait before the first retry.
        base: SimDuration,
        /// Longest wait.
        cap: SimDuration,
    },
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::Exponential {
            base: SimDuration::from_millis(50),
            cap: SimDuration::from_secs(5),
        }
    }
}

const BACKOFF_FORMS: &str =
    "write \"none\", \"fixed(100ms)\" or \"exponential(base=50ms, cap=5s)\"";

impl FromStr for Backoff {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "none" {
            return Ok(Backoff::None);
        }
        let duration = |s: &str| s.trim().parse::<SimDuration>().map_err(|e| e.to_string());
        if let Some(inner) = text
            .strip_prefix("fixed(")
            .and_then(|s| s.strip_suffix(')'))
        {
            return Ok(Backoff::Fixed(duration(inner)?));
        }
        if let Some(inner) = text
            .strip_prefix("exponential(")
            .and_then(|s| s.strip_suffix(')'))
        {
            let (mut base, mut cap) = (None, None);
            for part in inner.split(',') {
                match part.split_once('=').map(|(k, v)| (k.trim(), v)) {
                    Some(("base", v)) => base = Some(duration(v)?),
                    Some(("cap", v)) => cap = Some(duration(v)?),
                    _ => {
                        return Err(format!(
                            "unexpected {:?} in {text:?}; {BACKOFF_FORMS}",
                            part.trim()
                        ));
                    }
                }
            }
            let (Some(base), Some(cap)) = (base, cap) else {
                return Err(format!("{text:?} needs both base and cap; {BACKOFF_FORMS}"));
            };
            if base.is_zero() || cap < base {
                return Err(format!(
                    "{text:?}: base must be positive and cap at least base"
                ));
            }
            return Ok(Backoff::Exponential { base, cap });
        }
        Err(format!("unknown backoff {text:?}; {BACKOFF_FORMS}"))
    }
}

impl fmt::Display for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backoff::None => f.write_str("none"),
            Backoff::Fixed(d) => write!(f, "fixed({d})"),
            Backoff::Exponential { base, cap } => write!(f, "exponential(base={base}, cap={cap})"),
        }
    }
}

/// Randomisation of retry waits (see AWS's "Exponential Backoff and Jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Jitter {
    /// The backoff as computed: clients that failed together retry together.
    None,
    /// Uniform between zero and the backoff.
    #[default]
    Full,
    /// Uniform between the base and three times the previous wait, capped.
    Decorrelated,
}

crate::engine::serde_via_str!(Backoff);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoffs_parse_and_print_alike() {
        for text in ["none", "fixed(100ms)", "exponential(base=50ms, cap=5s)"] {
            assert_eq!(text.parse::<Backoff>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn bad_backoffs_say_what_is_allowed() {
        for text in [
            "linear(1s)",
            "exponential(base=50ms)",
            "exponential(base=1s, cap=1ms)",
            "fixed(1parsec)",
        ] {
            let err = text.parse::<Backoff>().unwrap_err();
            assert!(!err.is_empty(), "{text}");
        }
        assert!(
            "linear(1s)"
                .parse::<Backoff>()
                .unwrap_err()
                .contains("exponential(base=50ms, cap=5s)")
        );
    }
}

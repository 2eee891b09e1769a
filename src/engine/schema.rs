//! The JSON Schemas of the engine's values as a model file writes them (durations,
//! rates, distributions), for the model file's schema (`models/schema.json`, made by
//! `scenario::reference`). Tests only: the schema is generated and checked by
//! `cargo test`, never by the binary.
//!
//! # Not stricter than the parsers
//! Each pattern accepts every text its `FromStr` accepts (checked below on examples of
//! every form) and may accept a little more (`1.2.3s`): an editor flags a misspelt
//! unit, `rollsim check` says exactly what is wrong.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::dist::DurationDist;
use super::rate::Rate;
use super::time::SimDuration;

/// A duration: one or more `<number><unit>` parts, or a bare `0`.
pub(crate) const DURATION_PATTERN: &str = r"^\s*(0|([0-9.]+(ns|nsec|us|µs|usec|ms|msec|s|sec|secs|m|min|mins|h|hr|hrs|d|day|days)\s*)+)\s*$";

/// A rate as text: a positive number, optionally per a unit (per second if none).
const RATE_PATTERN: &str = r"^\s*\+?[0-9.]+\s*(/\s*(ns|us|µs|ms|s|sec|m|min|h|hr|d|day)\s*)?$";

/// A distribution written by name with its arguments in parentheses.
const DIST_PATTERN: &str = r"^\s*[A-Za-z-]+\s*\(.*\)\s*$";

impl JsonSchema for SimDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: a number and a unit (ns, us, ms, s, m, h, d; also \
                sec, min, hr, day…), several parts in a row (\"1h30m\"), a fraction that \
                comes to whole nanoseconds (\"1.5s\"), or \"0\". No negative durations.",
            "pattern": DURATION_PATTERN,
            "examples": ["250ms", "30s", "5m", "1h30m"],
        })
    }
}

impl JsonSchema for Rate {
    fn schema_name() -> Cow<'static, str> {
        "Rate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Events per unit of time: \"1200/s\", \"50/ms\", \"6000/min\", \
                \"3/h\", \"1/d\", or a bare number meaning per second. Positive, at least one \
                per ~32 years and at most 10^12 per second; no exponent (write 0.001/s).",
            "anyOf": [
                { "type": "number", "exclusiveMinimum": 0 },
                { "type": "string", "pattern": RATE_PATTERN },
            ],
            "examples": ["200/s", "2/h"],
        })
    }
}

impl JsonSchema for DurationDist {
    fn schema_name() -> Cow<'static, str> {
        "DurationDistribution".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = generator.subschema_for::<SimDuration>();
        json_schema!({
            "description": "A distribution of durations: a fixed duration (\"10ms\") or one \
                of det(10ms), exp(10ms), uniform(5ms, 15ms), lognormal(mean=20ms, p99=120ms), \
                lognormal(mean=20ms, cv=1.5), gamma(mean=10ms, cv=0.5), pareto(mean=10ms, \
                alpha=2.5), weibull(mean=10ms, shape=0.7).",
            "anyOf": [
                duration,
                { "type": "string", "pattern": DIST_PATTERN },
            ],
            "examples": ["lognormal(mean=20ms, p99=100ms)", "uniform(20s, 40s)", "exp(10ms)"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        let schema = serde_json::json!({ "type": "string", "pattern": pattern });
        jsonschema::is_valid(&schema, &serde_json::json!(text))
    }

    /// Asserts that each of `texts` parses as a `T` and matches `pattern`.
    fn parsed_and_matched<T: std::str::FromStr>(pattern: &str, texts: &[&str]) {
        for text in texts {
            assert!(text.parse::<T>().is_ok(), "{text:?} does not parse");
            assert!(matches(pattern, text), "{text:?} does not match {pattern}");
        }
    }

    #[test]
    fn every_duration_the_parser_accepts_matches_the_pattern() {
        parsed_and_matched::<SimDuration>(
            DURATION_PATTERN,
            &[
                "0", " 0 ", "250ms", "1.5s", "1h30m", "1h 30m", "10us", "10µs", "3days", "5mins",
                "2hrs", "100nsec", " 30s ",
            ],
        );
        for text in ["5 minutes", "30", "-1s", "1 parsec", "", "2 d"] {
            assert!(text.parse::<SimDuration>().is_err(), "{text:?}");
            assert!(!matches(DURATION_PATTERN, text), "{text:?}");
        }
    }

    #[test]
    fn every_rate_and_distribution_the_parsers_accept_matches_the_patterns() {
        parsed_and_matched::<Rate>(
            RATE_PATTERN,
            &[
                "1200/s",
                "50/ms",
                " 6000 / min ",
                "3/h",
                "0.5/day",
                "250",
                "+5/s",
            ],
        );
        assert!(!matches(RATE_PATTERN, "5 per second"));
        parsed_and_matched::<DurationDist>(
            DIST_PATTERN,
            &[
                "exp(10ms)",
                "LogNormal(mean=20ms, p99=120ms)",
                " uniform ( 5ms, 15ms ) ",
                "weibull(mean=10ms, shape=0.7)",
            ],
        );
    }
}

//! The JSON Schemas of the model's values that parse from text of their own: counts
//! (`2` or `"25%"`), backoffs and seeds. Like the engine's (durations, rates,
//! distributions), each accepts at least what its parser accepts.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::scenario::client::Backoff;
use crate::scenario::rollout::Count;
use crate::scenario::week::{WeekWindow, WorkingHours};

/// A count as text: a whole number, or a percentage from 0 to 100.
const COUNT_PATTERN: &str = r"^\s*(\+?[0-9]+|[0-9.]+\s*%)\s*$";

/// A backoff: `none`, `fixed(D)` or `exponential(base=D, cap=D)`.
const BACKOFF_PATTERN: &str = r"^\s*(none|fixed\(.*\)|exponential\(.*\))\s*$";

/// A seed as text, for one above TOML's largest integer.
const SEED_PATTERN: &str = r"^\s*\+?[0-9]+\s*$";

impl JsonSchema for Count {
    fn schema_name() -> Cow<'static, str> {
        "Count".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number of instances (2) or a percentage of the layer's size \
                (\"25%\", from 0% to 100%; surge rounds up, unavailability down).",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": u32::MAX },
                { "type": "string", "pattern": COUNT_PATTERN },
            ],
            "examples": ["25%", 1],
        })
    }
}

impl JsonSchema for Backoff {
    fn schema_name() -> Cow<'static, str> {
        "Backoff".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "The wait before a retry, before jitter: \"none\" (at once), \
                \"fixed(100ms)\", or \"exponential(base=50ms, cap=5s)\" (base × 2^(attempt − 1), \
                at most cap).",
            "pattern": BACKOFF_PATTERN,
            "examples": ["exponential(base=50ms, cap=5s)", "fixed(100ms)", "none"],
        })
    }
}

/// The schema of `seed`: a TOML integer from 0, or any u64 in quotes.
pub(crate) fn seed(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": SEED_PATTERN },
        ],
    })
}

impl JsonSchema for WorkingHours {
    fn schema_name() -> Cow<'static, str> {
        "WorkingHours".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "Days and hours: days as a range (mon-fri), a list (mon,wed) or \
                \"every day\", then HH:MM-HH:MM within one day.",
            "examples": ["mon-fri 09:00-17:00", "every day 08:00-20:00"],
        })
    }
}

impl JsonSchema for WeekWindow {
    fn schema_name() -> Cow<'static, str> {
        "WeekWindow".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A stretch of the week, \"DAY HH:MM - DAY HH:MM\"; it may wrap \
                past Sunday midnight.",
            "examples": ["fri 12:00 - mon 09:00"],
        })
    }
}

//! Turning runs into what people read: text tables and JSON.
//!
//! - [`model_summary`]: what a model describes, in words (`rollsim check`, reports).
//! - [`run_summary`]: the per-layer table of `rollsim run`, and its JSON form.
//! - [`series`]: the per-second series of a run as CSV (`run --series`).
//! - [`rollout`]: the rollout metrics and the controller's timeline.
//! - [`canary`]: the canary plan: recommendation, power by size and duration.
//! - [`compare`]: strategies side by side with intervals and paired differences.
//! - [`plan`]: fleet sizes, rollout costs and advice, safe hours.
//! - [`plot`]: figures of rehearsals, comparisons and plans (SVG and PNG).
//! - [`html`]: one self-contained HTML page of a `run`, `compare` or `plan` (`--html`):
//!   the model, the tables and timelines above, and the figures inline.
//! - `versus` (with the `live` feature): a live run beside the simulator's runs of the
//!   same model (`live --vs-sim`).

pub mod canary;
pub mod compare;
pub mod html;
pub mod model_summary;
pub mod plan;
pub mod plot;
pub mod rollout;
pub mod run_summary;
pub mod series;
pub(crate) mod table;
#[cfg(feature = "live")]
pub(crate) mod versus;
pub(crate) mod week;

pub(crate) use table::render as text_table;

/// `value` as pretty JSON text, without a negative zero anywhere (`-0.0` is `0.0`).
pub fn json_text(mut value: serde_json::Value) -> String {
    crate::stats::without_negative_zero(&mut value);
    serde_json::to_string_pretty(&value).expect("JSON values serialize")
}

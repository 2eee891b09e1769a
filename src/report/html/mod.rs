//! One self-contained HTML page of a command's results (`--html FILE` on `run`,
//! `compare` and `plan`), to attach to a change review or show in a meeting.
//!
//! # What a page holds
//! 1. The command that reproduces it, and rollsim's version.
//! 2. The model in words ([`crate::report::model_summary`]): traffic, layers (instances,
//!    balancers, callers), chaos, rollouts; and, when a rollout was imported from
//!    another tool's file, what is judged and what is not ([`ImportNote`]).
//! 3. The results: `run` ([`run_page`]): the per-layer table and, per rollout, the
//!    metrics of DESIGN.md §2 and the controller's timeline, every analysis check with
//!    what it measured; `compare` ([`compare_page`]): per rollout, every metric per
//!    strategy with its 95% interval and the paired differences; `plan`
//!    ([`plan_page`]): the plan's report.
//! 4. The figures, inline as SVG (the same drawings as `--plot`).
//!
//! Every number comes from the same report code as the text output (the tables'
//! rows are built once, [`crate::report::run_summary`], [`crate::report::rollout`],
//! [`crate::report::compare`], [`crate::report::plan`]), so page and terminal agree.
//!
//! # Self-contained and deterministic
//! No script, no stylesheet, font or image to fetch: CSS in a `<style>` element, figures
//! as `<svg>` elements. Every text put in the page is escaped ([`page::escape`]). The
//! same command gives the same bytes: no timestamp, no wall-clock figure.
//!
//! # Writing
//! [`HtmlFile::create`] checks the path and opens it before the simulation (never
//! through a link, never a device or a directory), so a bad path is an error naming the
//! file before minutes of work; [`HtmlFile::write`] fills it afterwards.

mod compare;
mod file;
mod page;
mod plan;
mod run;

pub use compare::compare_page;
pub use file::HtmlFile;
pub use page::{ImportNote, command_line};
pub use plan::{canary_page, plan_page};
pub use run::{RunPage, run_page};

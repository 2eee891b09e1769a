//! The page of `rollsim run --html FILE`: the per-layer table and, per rollout, its
//! metrics, its timeline (every analysis check marked by its result) and its figure.

use super::page::{ImportNote, Page};
use crate::metrics::RolloutMetrics;
use crate::model::WorldSummary;
use crate::report::{rollout, run_summary};
use crate::rollout::{CheckResult, RolloutRecord};

/// What `rollsim run` found, for its page.
pub struct RunPage<'a> {
    /// The command that reproduces it.
    pub command: &'a str,
    /// The model as run.
    pub model: &'a crate::scenario::Scenario,
    /// Notes of imported rollouts.
    pub imports: &'a [ImportNote],
    /// The world's summary.
    pub summary: &'a WorldSummary,
    /// A warning about the whole run (rollouts it ended too soon for).
    pub notice: Option<&'a str>,
    /// Per rollout: its record, its metrics, why a defective release was promoted (if
    /// it was), and its figure as SVG.
    pub rollouts: Vec<(
        &'a RolloutRecord,
        &'a RolloutMetrics,
        Option<String>,
        String,
    )>,
}

/// The page as HTML.
pub fn run_page(run: &RunPage<'_>) -> String {
    let title = format!("rollsim run: {}", run.model.name);
    let mut page = Page::new(&title, run.command, run.model, run.imports);
    page.heading("The run");
    let head = run_summary::render_text(run.summary);
    page.paragraph(head.lines().next().unwrap_or_default(), "");
    if let Some(notice) = run.notice {
        page.pre(notice);
    }
    page.plain_table(&run_summary::layer_rows(run.summary));
    for (record, metrics, missed, svg) in &run.rollouts {
        page.heading(&rollout::title(record, metrics));
        if let Some(why) = missed {
            page.paragraph("A defective release was promoted:", why);
        }
        page.subheading("Metrics (DESIGN.md §2)");
        let mut rows = vec![(vec!["metric".to_string(), "value".to_string()], "")];
        rows.extend(
            rollout::metric_rows(metrics)
                .into_iter()
                .map(|(name, value)| (vec![name.to_string(), value], "")),
        );
        page.table(&rows, false);
        page.subheading("Timeline: the controller's decisions and every analysis check");
        page.table(&timeline_rows(record), true);
        page.figure(
            svg,
            "Instances and traffic share per version, the entry layer's failures and \
             latency; checks marked at their times, the SLO dashed.",
        );
    }
    page.finish(&title)
}

/// The timeline as rows (time, decision), each check's row classed by its result.
fn timeline_rows(record: &RolloutRecord) -> Vec<(Vec<String>, &'static str)> {
    let mut rows = vec![(vec!["at".to_string(), "decision".to_string()], "")];
    for (at, text) in &record.timeline {
        let class = match CheckResult::of_note(text) {
            Some(CheckResult::Pass) => "pass",
            Some(CheckResult::Fail) => "fail",
            Some(_) => "undecided",
            None => "",
        };
        rows.push((vec![rollout::clock((*at).into()), text.clone()], class));
    }
    rows
}

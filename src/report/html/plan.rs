//! The page of `rollsim plan --html FILE`: the plan's report (fleet sizes, rollout
//! costs and advice, safe hours) and its figure.

use super::page::{ImportNote, Page};
use crate::report::plan::PlanReport;

/// The page of `report`, made by `command`, with the plan's figure (`svg`, if drawn).
pub fn plan_page(
    command: &str,
    imports: &[ImportNote],
    report: &PlanReport<'_>,
    svg: Option<&str>,
) -> String {
    let title = format!("rollsim plan: {}", report.model.name);
    let mut page = Page::new(&title, command, report.model, imports);
    page.heading("The plan");
    page.pre(&report.text());
    if let Some(svg) = svg {
        page.figure(
            svg,
            "Entry traffic over a weekday against the fleet's capacity; the hours at \
             which each strategy can roll within the SLO.",
        );
    }
    page.finish(&title)
}

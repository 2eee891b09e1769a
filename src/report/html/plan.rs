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

/// The page of `rollsim plan canary --html FILE`: the canary plan's report (the
/// recommendation, power by size and duration) and its figure.
pub fn canary_page(
    command: &str,
    imports: &[ImportNote],
    model: &crate::scenario::Scenario,
    report: &crate::report::canary::CanaryReport<'_>,
    svg: &str,
) -> String {
    let title = format!("rollsim plan canary: {}", model.name);
    let mut page = Page::new(&title, command, model, imports);
    page.heading("The canary plan");
    page.pre(&report.text());
    page.figure(
        svg,
        "Share of runs that caught each regression, and of healthy runs failed, against the \
         canary's duration, per size and judge shown; 95% Wilson intervals; the targets dashed.",
    );
    page.finish(&title)
}

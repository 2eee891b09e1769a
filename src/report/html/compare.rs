//! The page of `rollsim compare --html FILE`: per rollout, every metric per strategy
//! with its 95% interval and the paired differences, and its figure.

use super::page::{ImportNote, Page};
use crate::plan::compare::Comparison;
use crate::report::compare;

/// The page of comparison `c` of `model`, made by `command`, with the figure of each
/// rollout (`svgs`, SVG text in rollout order).
pub fn compare_page(
    command: &str,
    model: &crate::scenario::Scenario,
    imports: &[ImportNote],
    c: &Comparison,
    svgs: &[String],
) -> String {
    let title = format!("rollsim compare: {}", c.model);
    let mut page = Page::new(&title, command, model, imports);
    page.heading("The comparison");
    for line in compare::intro(c).lines() {
        page.paragraph(line, "");
    }
    page.paragraph(
        "Each run's timeline of decisions and checks: rollsim run with the same model, \
         --strategy and --seed.",
        "",
    );
    for (k, layer) in c.rollouts.iter().enumerate() {
        page.heading(&format!("Rollout of {layer}"));
        page.plain_table(&compare::table_rows(c, k));
        if let Some(svg) = svgs.get(k) {
            page.figure(svg, "Key metrics per strategy: mean and 95% interval.");
        }
    }
    page.paragraph(compare::footnote().trim(), "");
    page.finish(&title)
}

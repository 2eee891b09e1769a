//! The figure of a comparison: for one rollout, six key metrics side by side per
//! strategy, as bars with their 95% intervals.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{COLOURS, Drawing, drawing_failed};
use crate::plan::compare::Comparison;
use crate::stats::Estimate;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 800;

/// The metrics a comparison figure shows, by their names in [`crate::report::compare::METRICS`].
const COMPARED: [&str; 6] = [
    "peak_instances_ratio",
    "extra_instance_hours",
    "rollout_duration",
    "failed_requests",
    "availability",
    "latency_p99",
];

fn draw_comparison<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    c: &Comparison,
    k: usize,
) -> Result<(), String> {
    let e = drawing_failed::<DB::ErrorType>;
    root.fill(&WHITE).map_err(e)?;
    let title = format!(
        "{}: rollout of {} — mean and 95% interval over {} runs per strategy",
        c.model,
        c.rollouts[k],
        c.seeds.len()
    );
    let root = root
        .titled(
            &title,
            ("sans-serif", 24).into_font().style(FontStyle::Bold),
        )
        .map_err(e)?;
    let names: Vec<&str> = c.strategies.iter().map(|s| s.name()).collect();
    for (panel, name) in root.split_evenly((2, 3)).iter().zip(COMPARED) {
        let metric = crate::report::compare::METRICS
            .iter()
            .find(|m| m.name == name)
            .expect("a listed metric");
        let intervals: Vec<Option<Estimate>> = (0..c.strategies.len())
            .map(|s| c.interval(s, k, metric.value))
            .collect();
        let top = intervals
            .iter()
            .flatten()
            .map(|i| i.mean + i.finite_half_width())
            .fold(0.0, f64::max);
        let bottom = intervals
            .iter()
            .flatten()
            .map(|i| i.mean - i.finite_half_width())
            .fold(0.0, f64::min);
        // All values equal (e.g. nothing failed anywhere): show a unit range, not a pin.
        let top = if top - bottom < 1e-9 {
            bottom + 1.0
        } else {
            top
        };
        let span = top - bottom;
        let caption = if metric.unit.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({})", metric.unit)
        };
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, ("sans-serif", 17))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(
                -0.6..(names.len() as f64 - 0.4),
                (bottom - 0.05 * span)..(top + 0.15 * span),
            )
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(names.len())
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    names
                        .get(i as usize)
                        .map_or(String::new(), |n| n.to_string())
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        for (s, interval) in intervals.iter().enumerate() {
            let Some(i) = interval else {
                // No run has this metric (e.g. no rollout finished, nothing rolled back).
                chart
                    .draw_series(std::iter::once(Text::new(
                        "none",
                        (s as f64 - 0.15, bottom + 0.1 * span),
                        ("sans-serif", 14).into_font().color(&BLACK.mix(0.6)),
                    )))
                    .map_err(e)?;
                continue;
            };
            let x = s as f64;
            let colour = COLOURS[s % COLOURS.len()];
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.3, 0.0), (x + 0.3, i.mean)],
                    colour.mix(0.7).filled(),
                )))
                .map_err(e)?;
            if i.half_width_95.is_finite() {
                let (low, high) = (i.mean - i.half_width_95, i.mean + i.half_width_95);
                chart
                    .draw_series([
                        PathElement::new([(x, low), (x, high)], BLACK.stroke_width(2)),
                        PathElement::new([(x - 0.08, low), (x + 0.08, low)], BLACK.stroke_width(2)),
                        PathElement::new(
                            [(x - 0.08, high), (x + 0.08, high)],
                            BLACK.stroke_width(2),
                        ),
                    ])
                    .map_err(e)?;
            }
        }
    }
    root.present().map_err(e)
}

/// One rollout of a comparison.
struct ComparisonFigure<'a> {
    comparison: &'a Comparison,
    rollout: usize,
}

impl Drawing for ComparisonFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_comparison(root, self.comparison, self.rollout)
    }
}

/// Writes one figure per rollout of the comparison into `dir` (`compare-K-LAYER.svg`
/// and `.png`); returns the files written.
pub fn plot_comparison(c: &Comparison, dir: &Path) -> Result<Vec<PathBuf>, crate::Error> {
    let mut written = Vec::new();
    for (k, layer) in c.rollouts.iter().enumerate() {
        let stem = dir.join(format!("compare-{}-{layer}", k + 1));
        let figure = ComparisonFigure {
            comparison: c,
            rollout: k,
        };
        written.extend(super::write(&stem, &figure)?);
    }
    Ok(written)
}

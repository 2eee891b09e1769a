//! The figure of a comparison: for one rollout, eight key metrics side by side per
//! strategy, each mean with its 95% interval. Amounts (instances, hours, durations,
//! failed requests, p99) are bars from zero; the share of runs rolled back is a bar on
//! a fixed 0–1 axis; availability is a dot on an axis spanning the intervals (near
//! 100%, where a bar from zero would hide every difference). An interval is never drawn
//! past its metric's bounds (a share within 0–1, availability at most 100%, amounts
//! that cannot be negative not below zero).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{COLOURS, Drawing, drawing_failed};
use crate::plan::compare::Comparison;
use crate::stats::Estimate;

const WIDTH: u32 = 1400;
const HEIGHT: u32 = 800;

/// How a panel shows its metric.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// A bar from zero; the metric cannot be below `floor` if given.
    Bar { floor: Option<f64> },
    /// A share of runs: a bar on a 0–1 axis.
    Share,
    /// A dot on an axis spanning the intervals, at most `ceiling`.
    Dot { ceiling: f64 },
}

/// The metrics a comparison figure shows, by their names in
/// [`crate::report::compare::METRICS`], and how.
const COMPARED: [(&str, Style); 8] = [
    ("peak_instances_ratio", Style::Bar { floor: Some(0.0) }),
    ("min_serving_ratio", Style::Bar { floor: Some(0.0) }),
    ("extra_instance_hours", Style::Bar { floor: None }),
    ("rollout_duration", Style::Bar { floor: Some(0.0) }),
    ("rolled_back", Style::Share),
    // Beyond the baseline's failures, paired by run: it can be negative.
    ("failed_requests", Style::Bar { floor: None }),
    ("availability", Style::Dot { ceiling: 100.0 }),
    ("latency_p99", Style::Bar { floor: Some(0.0) }),
];

/// The interval `i` within the metric's bounds: (low, high).
fn clipped(i: &Estimate, style: Style) -> (f64, f64) {
    let (low, high) = (
        i.mean - i.finite_half_width(),
        i.mean + i.finite_half_width(),
    );
    match style {
        Style::Bar { floor: Some(floor) } => (low.max(floor), high),
        Style::Bar { floor: None } => (low, high),
        Style::Share => (low.max(0.0), high.min(1.0)),
        Style::Dot { ceiling } => (low, high.min(ceiling)),
    }
}

/// The panel's value axis for `intervals` (within bounds).
fn y_range(intervals: &[(f64, f64)], style: Style) -> (f64, f64) {
    let top = intervals
        .iter()
        .map(|i| i.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let bottom = intervals.iter().map(|i| i.0).fold(f64::INFINITY, f64::min);
    match style {
        Style::Share => (0.0, 1.2),
        _ if !top.is_finite() => (0.0, 1.0),
        Style::Dot { ceiling } => {
            // At least a tenth of a unit (0.1%), whatever the spread.
            let span = (top - bottom).max(0.1);
            let low = bottom - 0.3 * span;
            (low, (top + 0.15 * span).min(ceiling + 0.05 * span))
        }
        Style::Bar { .. } => {
            // Bars start at zero: it is always on the axis.
            let (bottom, top) = (bottom.min(0.0), top.max(0.0));
            // All values zero (e.g. nothing failed anywhere): a unit range, not a pin.
            let span = if top - bottom < 1e-9 {
                1.0
            } else {
                top - bottom
            };
            let top = if top - bottom < 1e-9 {
                bottom + 1.0
            } else {
                top
            };
            (bottom - 0.05 * span, top + 0.15 * span)
        }
    }
}

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
    for (panel, (name, style)) in root.split_evenly((2, 4)).iter().zip(COMPARED) {
        draw_panel(panel, c, k, name, style)?;
    }
    root.present().map_err(e)
}

/// One metric's panel: per strategy, its mean and interval.
fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    c: &Comparison,
    k: usize,
    name: &str,
    style: Style,
) -> Result<(), String> {
    let e = drawing_failed::<DB::ErrorType>;
    let names: Vec<&str> = c.strategies.iter().map(|s| s.name()).collect();
    let metric = crate::report::compare::METRICS
        .iter()
        .find(|m| m.name == name)
        .expect("a listed metric");
    let intervals: Vec<Option<Estimate>> = (0..c.strategies.len())
        .map(|s| c.interval(s, k, metric.value))
        .collect();
    let within: Vec<(f64, f64)> = intervals
        .iter()
        .flatten()
        .map(|i| clipped(i, style))
        .collect();
    let (bottom, top) = y_range(&within, style);
    let caption = match (style, metric.unit) {
        (Style::Share, _) => format!("{name} (share of runs)"),
        (_, "") => name.to_string(),
        (_, unit) => format!("{name} ({unit})"),
    };
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, ("sans-serif", 17))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.6..(names.len() as f64 - 0.4), bottom..top)
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
        .y_label_formatter(&|y| tick(*y, top - bottom))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(e)?;
    for (s, interval) in intervals.iter().enumerate() {
        let x = s as f64;
        let Some(i) = interval else {
            // No run has this metric (e.g. no rollout finished, nothing rolled back).
            chart
                .draw_series(std::iter::once(Text::new(
                    "none",
                    (x - 0.15, bottom + 0.1 * (top - bottom)),
                    ("sans-serif", 14).into_font().color(&BLACK.mix(0.6)),
                )))
                .map_err(e)?;
            continue;
        };
        let colour = COLOURS[s % COLOURS.len()];
        if matches!(style, Style::Dot { .. }) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (x, i.mean),
                    7,
                    colour.filled(),
                )))
                .map_err(e)?;
        } else {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.3, 0.0), (x + 0.3, i.mean)],
                    colour.mix(0.7).filled(),
                )))
                .map_err(e)?;
        }
        if style == Style::Share {
            // The count itself: a share of few runs reads better as "k of n".
            let runs = (i.mean * i.n as f64).round();
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{runs:.0} of {} runs", i.n),
                    (x - 0.25, i.mean + 0.09),
                    ("sans-serif", 14).into_font(),
                )))
                .map_err(e)?;
        }
        if i.half_width_95.is_finite() {
            let (low, high) = clipped(i, style);
            chart
                .draw_series([
                    PathElement::new([(x, low), (x, high)], BLACK.stroke_width(2)),
                    PathElement::new([(x - 0.08, low), (x + 0.08, low)], BLACK.stroke_width(2)),
                    PathElement::new([(x - 0.08, high), (x + 0.08, high)], BLACK.stroke_width(2)),
                ])
                .map_err(e)?;
        }
    }
    Ok(())
}

/// A tick label with as many decimals as an axis spanning `span` needs to tell its
/// ticks apart (about ten of them): 2500, 12.5, 99.95, 0.25.
fn tick(y: f64, span: f64) -> String {
    let step = span / 10.0;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    };
    let text = format!("{y:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
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

/// The figure of each rollout of the comparison as SVG text, in order.
pub fn comparison_svgs(c: &Comparison) -> Result<Vec<String>, crate::Error> {
    (0..c.rollouts.len())
        .map(|rollout| {
            super::svg(&ComparisonFigure {
                comparison: c,
                rollout,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(mean: f64, half_width_95: f64) -> Estimate {
        Estimate {
            mean,
            half_width_95,
            n: 3,
        }
    }

    #[test]
    fn intervals_are_not_drawn_past_their_metrics_bounds() {
        let (low, high) = clipped(&estimate(0.9, 0.3), Style::Share);
        assert!((low - 0.6).abs() < 1e-12 && high == 1.0, "{low}, {high}");
        assert_eq!(clipped(&estimate(0.1, 0.3), Style::Share).0, 0.0);
        let availability = Style::Dot { ceiling: 100.0 };
        assert_eq!(clipped(&estimate(99.9, 0.5), availability).1, 100.0);
        let duration = Style::Bar { floor: Some(0.0) };
        assert_eq!(clipped(&estimate(10.0, 30.0), duration), (0.0, 40.0));
    }

    #[test]
    fn an_availability_axis_spans_the_intervals_not_zero_to_a_hundred() {
        let (low, high) = y_range(&[(99.2, 99.6), (97.0, 98.0)], Style::Dot { ceiling: 100.0 });
        assert!(low > 95.0 && low < 97.0, "{low}");
        assert!(high > 99.6 && high <= 100.2, "{high}");
    }
}

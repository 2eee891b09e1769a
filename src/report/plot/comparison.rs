//! The figure of a comparison: for one rollout, eight key metrics side by side per
//! strategy, each mean with its 95% interval. Amounts (instances, hours, durations,
//! failed requests, p99) are bars from zero; the share of runs rolled back is a bar on
//! a fixed 0–1 axis with Wilson's interval (a share of few runs near 0 or 1 keeps a
//! sensible one) and its count ("k of n runs"); availability is a dot on an axis
//! spanning the intervals (near 100%, where a bar from zero would hide every
//! difference). An interval is never drawn past its metric's bounds (a share within
//! 0–1, availability at most 100%, amounts that cannot be negative not below zero).
//! `failed_requests` is the paired difference with the run without rollouts of the same
//! seed, labelled so, as in the text report, whose footnote the figure carries; the
//! model's SLO targets are dashed lines on the availability and p99 panels, as on a
//! rehearsal's figure.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{COLOURS, Chart, Drawing, drawing_failed};
use crate::metrics::Slo;
use crate::plan::compare::Comparison;
use crate::report::compare::{METRICS, footnote, label};
use crate::stats::{Estimate, wilson};

const WIDTH: u32 = 1400;
const HEIGHT: u32 = 840;
/// The strip under the panels that says what the figure's values are.
const NOTE_HEIGHT: u32 = 44;

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

/// The interval of `i` within the metric's bounds: (low, high). A share's is Wilson's
/// score interval of its count of runs.
fn clipped(i: &Estimate, style: Style) -> (f64, f64) {
    let (low, high) = (
        i.mean - i.finite_half_width(),
        i.mean + i.finite_half_width(),
    );
    match style {
        Style::Bar { floor: Some(floor) } => (low.max(floor), high),
        Style::Bar { floor: None } => (low, high),
        Style::Share => wilson(runs_of(i), i.n.max(1)),
        Style::Dot { ceiling } => (low, high.min(ceiling)),
    }
}

/// The runs a share of `i.n` runs counts.
fn runs_of(i: &Estimate) -> usize {
    (i.mean * i.n as f64).round().max(0.0) as usize
}

/// The SLO's target on panel `name` (in the panel's unit) and its legend's label, if
/// the SLO sets one for that metric.
fn slo_target(name: &str, slo: &Slo) -> Option<(f64, String)> {
    match name {
        "availability" => {
            let pct = 100.0 * slo.availability;
            let label = format!("SLO: at least {} % per minute", super::trim(pct));
            Some((pct, label))
        }
        "latency_p99" => {
            let ms = slo.latency_p99.as_millis_f64();
            Some((ms, super::slo_p99_label(ms)))
        }
        _ => None,
    }
}

/// The panel's value axis for `intervals` (within bounds) and the SLO's target `slo`
/// (always in range, with room for its legend: above the bars, below the dots).
fn y_range(intervals: &[(f64, f64)], style: Style, slo: Option<f64>) -> (f64, f64) {
    let slo_range = slo.map(|y| (y, y));
    let all = intervals.iter().copied().chain(slo_range);
    let top = all.clone().map(|i| i.1).fold(f64::NEG_INFINITY, f64::max);
    let bottom = all.map(|i| i.0).fold(f64::INFINITY, f64::min);
    match style {
        Style::Share => (0.0, 1.2),
        _ if !top.is_finite() => (0.0, 1.0),
        Style::Dot { ceiling } => {
            // At least a tenth of a unit (0.1%), whatever the spread.
            let span = (top - bottom).max(0.1);
            let below = if slo.is_some() { 0.45 } else { 0.3 };
            let low = bottom - below * span;
            (low, (top + 0.15 * span).min(ceiling + 0.05 * span))
        }
        Style::Bar { .. } => {
            // Bars start at zero: it is always on the axis.
            let (bottom, top) = (bottom.min(0.0), top.max(0.0));
            // All values zero (e.g. nothing failed anywhere): a unit range, not a pin.
            let (bottom, top) = if top - bottom < 1e-9 {
                (bottom, bottom + 1.0)
            } else {
                (bottom, top)
            };
            let above = if slo.is_some() { 0.35 } else { 0.15 };
            let span = top - bottom;
            (bottom - 0.05 * span, top + above * span)
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
    let height = root.dim_in_pixel().1;
    let (panels, note) = root.split_vertically(height.saturating_sub(NOTE_HEIGHT));
    for (panel, (name, style)) in panels.split_evenly((2, 4)).iter().zip(COMPARED) {
        draw_panel(panel, c, k, name, style)?;
    }
    let lines = [
        footnote().trim().to_string(),
        "rolled_back: Wilson's interval of the share of runs. Dashed: the model's SLO, a \
         target for every minute; the values above are over the rollout."
            .to_string(),
    ];
    for (i, line) in lines.iter().enumerate() {
        let y = 4 + 20 * i as i32;
        note.draw(&Text::new(line.as_str(), (20, y), ("sans-serif", 14)))
            .map_err(e)?;
    }
    root.present().map_err(e)
}

/// One metric's panel: per strategy, its mean and interval; the SLO's target if the
/// SLO sets one for the metric.
fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    c: &Comparison,
    k: usize,
    name: &str,
    style: Style,
) -> Result<(), String> {
    let e = drawing_failed::<DB::ErrorType>;
    let names: Vec<&str> = c.strategies.iter().map(|s| s.name()).collect();
    let metric = METRICS
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
    let slo = slo_target(name, &c.slo);
    let (bottom, top) = y_range(&within, style, slo.as_ref().map(|s| s.0));
    let caption = match style {
        Style::Share => format!("{name} (share of runs)"),
        _ => label(metric),
    };
    let x_end = names.len() as f64 - 0.4;
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, ("sans-serif", 17))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.6..x_end, bottom..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len())
        .x_label_formatter(&|x| {
            let i = x.round();
            let at_name = (x - i).abs() < 1e-6 && i >= 0.0;
            let name = at_name.then(|| names.get(i as usize)).flatten();
            name.map_or(String::new(), |n| n.to_string())
        })
        .y_label_formatter(&|y| tick(*y, top - bottom))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(e)?;
    for (s, interval) in intervals.iter().enumerate() {
        draw_strategy(&mut chart, s, interval.as_ref(), style, (bottom, top))?;
    }
    if let Some((limit, label)) = slo {
        super::draw_slo(&mut chart, (-0.6, x_end), limit, label)?;
        let place = match style {
            Style::Dot { .. } => SeriesLabelPosition::LowerRight,
            _ => SeriesLabelPosition::UpperRight,
        };
        super::draw_legend(&mut chart, place)?;
    }
    Ok(())
}

/// Strategy `s`'s mean (bar or dot) and interval on the panel, `interval` `None` where
/// no run has the metric (e.g. no rollout finished, nothing rolled back).
fn draw_strategy<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: usize,
    interval: Option<&Estimate>,
    style: Style,
    (bottom, top): (f64, f64),
) -> Result<(), String> {
    let e = drawing_failed::<DB::ErrorType>;
    let x = s as f64;
    let Some(i) = interval else {
        let grey = ("sans-serif", 14).into_font().color(&BLACK.mix(0.6));
        let at = (x - 0.15, bottom + 0.1 * (top - bottom));
        chart
            .draw_series(std::iter::once(Text::new("none", at, grey)))
            .map_err(e)?;
        return Ok(());
    };
    let colour = COLOURS[s % COLOURS.len()];
    if matches!(style, Style::Dot { .. }) {
        let dot = Circle::new((x, i.mean), 7, colour.filled());
        chart.draw_series(std::iter::once(dot)).map_err(e)?;
    } else {
        let bar = Rectangle::new(
            [(x - 0.3, 0.0), (x + 0.3, i.mean)],
            colour.mix(0.7).filled(),
        );
        chart.draw_series(std::iter::once(bar)).map_err(e)?;
    }
    let (low, high) = clipped(i, style);
    if style == Style::Share {
        // The count itself, above its interval: a share of few runs reads better as
        // "k of n".
        let centred = Pos::new(HPos::Center, VPos::Bottom);
        let font = TextStyle::from(("sans-serif", 14).into_font()).pos(centred);
        let count = format!("{} of {} runs", runs_of(i), i.n);
        chart
            .draw_series(std::iter::once(Text::new(count, (x, high + 0.03), font)))
            .map_err(e)?;
    }
    if style == Style::Share || i.half_width_95().is_finite() {
        let black = BLACK.stroke_width(2);
        chart
            .draw_series([
                PathElement::new([(x, low), (x, high)], black),
                PathElement::new([(x - 0.08, low), (x + 0.08, low)], black),
                PathElement::new([(x - 0.08, high), (x + 0.08, high)], black),
            ])
            .map_err(e)?;
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
    use crate::stats::Interval;

    fn estimate(mean: f64, half_width: f64) -> Estimate {
        Estimate {
            mean,
            n: 3,
            interval: Interval::StudentT { half_width },
        }
    }

    #[test]
    fn intervals_are_not_drawn_past_their_metrics_bounds() {
        let availability = Style::Dot { ceiling: 100.0 };
        assert_eq!(clipped(&estimate(99.9, 0.5), availability).1, 100.0);
        let duration = Style::Bar { floor: Some(0.0) };
        assert_eq!(clipped(&estimate(10.0, 30.0), duration), (0.0, 40.0));
    }

    #[test]
    fn a_share_of_runs_has_wilsons_interval_not_students() {
        // 2 of 4 runs: Student's t would give 0.5 ± 0.92, past both ends.
        let two_of_four = Estimate {
            mean: 0.5,
            n: 4,
            interval: Interval::StudentT { half_width: 0.92 },
        };
        assert_eq!(runs_of(&two_of_four), 2);
        assert_eq!(clipped(&two_of_four, Style::Share), wilson(2, 4));
        // None of 4: Student's t gives 0 ± 0; Wilson's reaches ~0.49.
        let (low, high) = clipped(&estimate(0.0, 0.0), Style::Share);
        assert_eq!(low, 0.0);
        assert!(high > 0.4 && high < 0.6, "{high}");
    }

    #[test]
    fn an_availability_axis_spans_the_intervals_not_zero_to_a_hundred() {
        let dot = Style::Dot { ceiling: 100.0 };
        let (low, high) = y_range(&[(99.2, 99.6), (97.0, 98.0)], dot, None);
        assert!(low > 95.0 && low < 97.0, "{low}");
        assert!(high > 99.6 && high <= 100.2, "{high}");
    }

    #[test]
    fn the_slos_target_is_always_on_the_axis() {
        let p99 = Style::Bar { floor: Some(0.0) };
        let (_, high) = y_range(&[(90.0, 95.0)], p99, Some(500.0));
        assert!(high > 500.0, "{high}");
        let dot = Style::Dot { ceiling: 100.0 };
        let (low, _) = y_range(&[(99.95, 100.0)], dot, Some(99.9));
        assert!(low < 99.9, "{low}");
        let slo = Slo {
            instance_hour_price: None,
            availability: 0.999,
            latency_p99: crate::engine::SimDuration::from_millis(500),
        };
        assert_eq!(slo_target("availability", &slo).map(|t| t.0), Some(99.9));
        assert_eq!(slo_target("latency_p99", &slo).map(|t| t.0), Some(500.0));
        assert!(slo_target("failed_requests", &slo).is_none());
    }
}

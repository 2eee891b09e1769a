//! The figure of a sweep's summary: one panel per metric, the swept override on the x
//! axis, one line per series (the other overrides' values), each point the mean over
//! its runs with its 95% interval as an error bar; one figure per facet value.
//!
//! # Telling series apart
//! Series that overlap or are equal (every strategy at 0 failed requests, every canary
//! rolled back in 10 of 10 runs) must still show: each series has its own colour,
//! marker shape (circle, triangle, square, cross) and line (solid or dashed), and is
//! shifted a little along x (a fraction of the axis, the same in every panel), so its
//! error bars stand beside the others' instead of on them. Error bars are thin, with
//! caps; an interval is never drawn past its metric's range
//! ([`crate::metrics::scale_of`]: shares and availability within 0–1; durations,
//! latencies, ratios and counts of requests not below zero), which the summary's
//! intervals already keep to ([`crate::plan::summary`]); a point with fewer than 2 runs
//! has no interval and is drawn without an error bar. Captions carry the unit.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{COLOURS, Drawing, drawing_failed};
use crate::plan::summary::{ReportSpec, Row, numeric, plain};
use crate::stats::Scale;

const WIDTH: u32 = 1200;
const PANEL_HEIGHT: u32 = 340;

/// A line: its label and its (x, mean, interval if any) points, ascending in x.
type Series = (String, Vec<(f64, f64, Option<(f64, f64)>)>);

struct SweepFigure {
    title: String,
    x_label: String,
    log_x: bool,
    /// Names of x's values when they are not numbers (x is then their index).
    categories: Option<Vec<String>>,
    /// Per metric: its caption, its bounds and its lines.
    panels: Vec<Panel>,
}

impl SweepFigure {
    /// Every series' label, in the order first met over the panels; a series' colour is
    /// its place here, the same in every panel (some panels lack some series).
    fn series(&self) -> Vec<&str> {
        let mut labels: Vec<&str> = Vec::new();
        for (_, _, lines) in &self.panels {
            for (label, _) in lines {
                if !labels.contains(&label.as_str()) {
                    labels.push(label);
                }
            }
        }
        labels
    }

    /// The legend's entries (series index, label, top-left corner), wrapped to rows
    /// that fit the figure's width.
    fn legend(&self) -> Vec<(usize, String, (i32, i32))> {
        let labels = self.series();
        let (mut x, mut y) = (20, 6);
        let mut placed = Vec::new();
        for (i, label) in labels.into_iter().enumerate() {
            if label.is_empty() {
                continue; // a single unnamed series needs no legend
            }
            let width = 56 + 8 * label.chars().count() as i32;
            if x > 20 && x + width > WIDTH as i32 - 20 {
                (x, y) = (20, y + LEGEND_ROW);
            }
            placed.push((i, label.to_string(), (x, y)));
            x += width;
        }
        placed
    }
}

/// Height of one row of the legend, in pixels.
const LEGEND_ROW: i32 = 22;

fn legend_height(placed: &[(usize, String, (i32, i32))]) -> u32 {
    let last_row_top = placed.iter().map(|p| p.2.1).max().unwrap_or(6);
    (last_row_top + LEGEND_ROW) as u32
}

impl Drawing for SweepFigure {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(2) as u32;
        (
            WIDTH,
            50 + legend_height(&self.legend()) + PANEL_HEIGHT * rows.max(1),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = drawing_failed::<DB::ErrorType>;
        root.fill(&WHITE).map_err(e)?;
        let root = root
            .titled(
                &self.title,
                ("sans-serif", 20).into_font().style(FontStyle::Bold),
            )
            .map_err(e)?;
        // One legend for every panel, in a strip under the title: the series are the
        // same in each panel, in the same colours and shapes.
        let placed = self.legend();
        let strip_height = legend_height(&placed);
        let (strip, root) = root.split_vertically(strip_height);
        for (i, label, (x, y)) in placed {
            let look = Look::of(i);
            let mid = y + 7;
            let line = [(x, mid), (x + 28, mid)];
            if look.dashed {
                strip
                    .draw(&PathElement::new(
                        [line[0], (x + 8, mid)],
                        look.colour.stroke_width(2),
                    ))
                    .map_err(e)?;
                strip
                    .draw(&PathElement::new(
                        [(x + 20, mid), line[1]],
                        look.colour.stroke_width(2),
                    ))
                    .map_err(e)?;
            } else {
                strip
                    .draw(&PathElement::new(line, look.colour.stroke_width(2)))
                    .map_err(e)?;
            }
            look.mark(&strip, (x + 14, mid))?;
            strip
                .draw(&Text::new(
                    label,
                    (x + 34, y),
                    ("sans-serif", 14).into_font(),
                ))
                .map_err(e)?;
        }
        let rows = self.panels.len().div_ceil(2).max(1);
        let areas = root.split_evenly((rows, 2));
        for (area, panel) in areas.iter().zip(&self.panels) {
            self.draw_panel(area, panel)?;
        }
        root.present().map_err(e)
    }
}

/// How one series looks: its colour, marker and line.
#[derive(Clone, Copy)]
struct Look {
    colour: RGBColor,
    /// 0 circle, 1 triangle, 2 square, 3 cross.
    shape: usize,
    dashed: bool,
}

impl Look {
    /// The look of the `k`-th series: colours cycle over ten, shapes over four and
    /// lines over two (four solid, four dashed), so the first eight series differ in
    /// colour and in shape or line, and no two of the first 40 look alike.
    fn of(k: usize) -> Look {
        Look {
            colour: COLOURS[k % COLOURS.len()],
            shape: k % 4,
            dashed: (k / 4) % 2 == 1,
        }
    }

    /// Draws the marker at `at` (pixels) on `area`.
    fn mark<DB: DrawingBackend, C: plotters::coord::CoordTranslate>(
        &self,
        area: &DrawingArea<DB, C>,
        at: C::From,
    ) -> Result<(), String>
    where
        C::From: Clone,
    {
        let e = drawing_failed::<DB::ErrorType>;
        let fill = self.colour.filled();
        match self.shape {
            0 => area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 5, fill))),
            1 => area.draw(&(EmptyElement::at(at) + TriangleMarker::new((0, 0), 6, fill))),
            2 => area.draw(&(EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], fill))),
            _ => area
                .draw(&(EmptyElement::at(at) + Cross::new((0, 0), 5, self.colour.stroke_width(3)))),
        }
        .map_err(e)
    }
}

/// A panel: its caption, its metric's bounds and its lines.
type Panel = (String, (f64, f64), Vec<Series>);

impl SweepFigure {
    /// The x axis of `lines` (transformed, padded), or `None` if they have no point.
    fn x_range(&self, lines: &[Series]) -> Option<(f64, f64)> {
        let xs = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| self.to_x(q.0)));
        let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        if !x_min.is_finite() {
            return None;
        }
        let pad = if self.categories.is_some() {
            0.6
        } else {
            ((x_max - x_min) * 0.05).max(0.05)
        };
        Some((x_min - pad, x_max + pad))
    }

    fn to_x(&self, x: f64) -> f64 {
        if self.log_x { x.max(1e-9).log10() } else { x }
    }

    /// The tick label of x.
    fn x_tick(&self, x: f64) -> String {
        if let Some(names) = &self.categories {
            let i = x.round();
            return if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            };
        }
        let v = if self.log_x { 10f64.powf(x) } else { x };
        if v.abs() >= 100.0 || (v - v.round()).abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (caption, bounds, lines): &Panel,
    ) -> Result<(), String> {
        let e = drawing_failed::<DB::ErrorType>;
        let Some((x_low, x_high)) = self.x_range(lines) else {
            return Ok(());
        };
        let clip = |y: f64| y.clamp(bounds.0, bounds.1);
        let ys = lines.iter().flat_map(|(_, p)| {
            p.iter().flat_map(|q| {
                let (low, high) = q.2.unwrap_or((q.1, q.1));
                [clip(low), clip(high)]
            })
        });
        let (y_min, y_max) = ys.fold((0.0f64, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        let y_max = if y_max - y_min < 1e-9 {
            y_min + 1.0
        } else {
            y_max
        };
        let y_pad = (y_max - y_min) * 0.08;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(70)
            .build_cartesian_2d(x_low..x_high, (y_min - y_pad)..(y_max + y_pad))
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .x_labels(self.categories.as_ref().map_or(10, |c| c.len() * 2 + 1))
            .x_label_formatter(&|x| self.x_tick(*x))
            .y_label_formatter(&|y| compact(*y))
            .label_style(("sans-serif", 12))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let series = self.series();
        // Between neighbouring series along x: a category's width shared out, or a
        // 0.6% of a numeric axis.
        let step = if self.categories.is_some() {
            0.6 / series.len().max(1) as f64
        } else {
            (x_high - x_low) * 0.006
        };
        for (i, (label, points)) in lines.iter().enumerate() {
            let k = series.iter().position(|l| l == label).unwrap_or(i);
            let look = Look::of(k);
            let dodge = (k as f64 - (series.len() as f64 - 1.0) / 2.0) * step;
            let at = |x: f64| self.to_x(x) + dodge;
            let style = look.colour.stroke_width(2);
            // Categories have no order to follow: no lines between them.
            if self.categories.is_none() {
                let path = points.iter().map(|p| (at(p.0), p.1));
                if look.dashed {
                    chart.draw_series(DashedLineSeries::new(path, 8, 5, style))
                } else {
                    chart.draw_series(LineSeries::new(path, style))
                }
                .map_err(e)?;
            }
            let bar = look.colour.mix(0.85).stroke_width(1);
            for p in points {
                let x = at(p.0);
                if let Some((low, high)) = p.2 {
                    let (low, high) = (clip(low), clip(high));
                    let cap = |y: f64| {
                        EmptyElement::at((x, y)) + PathElement::new([(-4, 0), (4, 0)], bar)
                    };
                    chart
                        .plotting_area()
                        .draw(&PathElement::new([(x, low), (x, high)], bar))
                        .map_err(e)?;
                    chart.plotting_area().draw(&cap(low)).map_err(e)?;
                    chart.plotting_area().draw(&cap(high)).map_err(e)?;
                }
                look.mark(chart.plotting_area(), (x, p.1))?;
            }
        }
        Ok(())
    }
}

/// The caption of `metric`'s panel, with its unit (as the results give it).
fn caption(metric: &str) -> String {
    const SECONDS: [&str; 5] = [
        "switch_latency",
        "switch_latency_full",
        "rollout_duration",
        "detection_time",
        "restore_time",
    ];
    let (name, unit) = match metric {
        "promoted" | "rolled_back" => (metric, "share of runs"),
        "availability" => (metric, "share of requests"),
        "extra_instance_hours" => (metric, "h"),
        "minutes_in_slo_breach" => (metric, "min"),
        "failed_requests" | "bad_version_requests" | "new_version_requests" => (metric, "requests"),
        m if m.ends_with("_ratio") => (m, "×"),
        m if SECONDS.contains(&m) => (m, "s"),
        m => match m.strip_suffix("_ms") {
            Some(name) => (name, "ms"),
            None => return m.to_string(),
        },
    };
    format!("{name} ({unit})")
}

/// The panel of `metric`: a line per series of `rows`' points (mean and interval at x),
/// `place` giving a row's series label and x (`None`: not drawn).
fn panel_of(metric: &str, rows: &[&&Row], place: impl Fn(&Row) -> Option<(String, f64)>) -> Panel {
    let names = drawn_as(metric);
    let mut met: Vec<&str> = Vec::new();
    let mut lines: Vec<Series> = Vec::new();
    for row in rows.iter().filter(|r| names.contains(&r.metric.as_str())) {
        let Some((label, x)) = place(row) else {
            continue;
        };
        if !met.contains(&row.metric.as_str()) {
            met.push(&row.metric);
        }
        let point = (x, row.estimate.mean, row.estimate.bounds());
        match lines.iter_mut().find(|(l, _)| *l == label) {
            Some((_, points)) => points.push(point),
            None => lines.push((label, vec![point])),
        }
    }
    for (_, points) in &mut lines {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let caption = match met.as_slice() {
        [one] => caption(one),
        [] => caption(metric),
        _ => NEW_VERSION_REQUESTS_CAPTION.to_string(),
    };
    (caption, bounds(metric), lines)
}

/// The caption of a panel of the new version's requests whose points are of healthy and
/// of defective releases.
const NEW_VERSION_REQUESTS_CAPTION: &str =
    "new_version_requests, or bad_version_requests where defective (requests)";

/// The metrics whose rows `metric`'s panel draws: the requests the new version served
/// are named by the release (`new_version_requests` for a healthy one,
/// `bad_version_requests` for a defective one), so a panel of either draws both, so that
/// every point shows, and its caption says which it shows.
fn drawn_as(metric: &str) -> Vec<&str> {
    match metric {
        "new_version_requests" | "bad_version_requests" => {
            vec!["new_version_requests", "bad_version_requests"]
        }
        _ => vec![metric],
    }
}

/// The values `metric` can take, by the metrics' registry: shares within 0–1;
/// durations, latencies, ratios and counts not below zero; differences with a baseline
/// (failed requests, extra instance-hours and cost) and unknown names anywhere.
fn bounds(metric: &str) -> (f64, f64) {
    crate::metrics::scale_of(metric).map_or((f64::NEG_INFINITY, f64::INFINITY), Scale::range)
}

/// Writes the summary's figures into `dir` (`summary.svg`/`.png`, or
/// `summary-FACET.svg`/`.png` per facet value); returns the files written.
pub fn plot_sweep(
    rows: &[Row],
    spec: &ReportSpec,
    title: &str,
    dir: &Path,
) -> Result<Vec<PathBuf>, crate::Error> {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.rollout == spec.rollout).collect();
    let value_of = |row: &Row, key: &str| {
        row.overrides
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    // Overrides that vary between points, in the order first met.
    let mut varying: Vec<String> = Vec::new();
    for row in &rows {
        for (k, v) in &row.overrides {
            if !varying.contains(k) && rows.iter().any(|r| value_of(r, k).as_ref() != Some(v)) {
                varying.push(k.clone());
            }
        }
    }
    // By default every varying override but x, the facet and those linked to x (one
    // value per value of x) makes lines.
    let linked_to_x = |key: &str| {
        let facet_of = |r: &Row| spec.facet.as_ref().and_then(|f| value_of(r, f));
        rows.iter().all(|a| {
            rows.iter()
                .filter(|b| {
                    value_of(b, &spec.x) == value_of(a, &spec.x) && facet_of(b) == facet_of(a)
                })
                .all(|b| value_of(b, key) == value_of(a, key))
        })
    };
    let series_keys: Vec<String> = spec.series.clone().unwrap_or_else(|| {
        varying
            .iter()
            .filter(|k| **k != spec.x && Some(*k) != spec.facet.as_ref() && !linked_to_x(k))
            .cloned()
            .collect()
    });
    let label_of = |row: &Row| -> String {
        series_keys
            .iter()
            .map(|k| {
                let value = value_of(row, k);
                let v = value.as_ref().map_or("-".into(), plain);
                // A lone series of words names itself; a number needs its name.
                if series_keys.len() == 1 && !value.as_ref().is_some_and(|v| v.is_number()) {
                    v
                } else {
                    format!("{}={v}", k.rsplit('.').next().unwrap_or(k))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut facets: Vec<Option<String>> = Vec::new();
    for row in &rows {
        let f = spec
            .facet
            .as_ref()
            .and_then(|k| value_of(row, k))
            .map(|v| plain(&v));
        if !facets.contains(&f) {
            facets.push(f);
        }
    }
    // x: numbers if every value reads as one, else categories in the order first met.
    let x_values: Vec<serde_json::Value> =
        rows.iter().filter_map(|r| value_of(r, &spec.x)).collect();
    let categories: Option<Vec<String>> = if x_values.iter().all(|v| numeric(v).is_some()) {
        None
    } else {
        let mut names: Vec<String> = Vec::new();
        for v in &x_values {
            let name = plain(v);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Some(names)
    };
    let x_of = |v: &serde_json::Value| match &categories {
        None => numeric(v),
        Some(names) => names.iter().position(|n| *n == plain(v)).map(|i| i as f64),
    };
    let mut written = Vec::new();
    for facet in facets {
        let in_facet: Vec<&&Row> = rows
            .iter()
            .filter(|r| {
                spec.facet
                    .as_ref()
                    .and_then(|k| value_of(r, k))
                    .map(|v| plain(&v))
                    == facet
            })
            .collect();
        let panels = spec
            .metrics
            .iter()
            .map(|metric| {
                panel_of(metric, &in_facet, |row| {
                    let x = value_of(row, &spec.x).as_ref().and_then(x_of)?;
                    Some((label_of(row), x))
                })
            })
            .collect();
        let (title, stem) = match &facet {
            Some(f) => (
                format!(
                    "{title} — {} = {f}",
                    spec.facet.as_deref().unwrap_or_default()
                ),
                format!("summary-{}", file_safe(f)),
            ),
            None => (title.to_string(), "summary".to_string()),
        };
        let figure = SweepFigure {
            title,
            x_label: format!(
                "{}{}",
                spec.x_label.as_deref().unwrap_or(&spec.x),
                if spec.log_x { " (log scale)" } else { "" }
            ),
            log_x: spec.log_x && categories.is_none(),
            categories: categories.clone(),
            panels,
        };
        written.extend(super::write(&dir.join(stem), &figure)?);
    }
    Ok(written)
}

/// A tick label: 1.5M, 600k, 12.5, 0.25.
fn compact(y: f64) -> String {
    let a = y.abs();
    if a >= 1e6 {
        format!("{:.1}M", y / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", y / 1e3)
    } else if a >= 100.0 || (y - y.round()).abs() < 1e-9 {
        format!("{y:.0}")
    } else {
        format!("{y:.2}")
    }
}

fn file_safe(text: &str) -> String {
    text.replace('%', "pct")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_carry_units_apart_from_the_name() {
        assert_eq!(caption("latency_p99_ms"), "latency_p99 (ms)");
        assert_eq!(caption("rollout_duration"), "rollout_duration (s)");
        assert_eq!(caption("rolled_back"), "rolled_back (share of runs)");
        assert_eq!(caption("peak_instances_ratio"), "peak_instances_ratio (×)");
        assert_eq!(caption("failed_requests"), "failed_requests (requests)");
    }

    #[test]
    fn a_panel_of_the_new_versions_requests_draws_every_release_and_says_so() {
        let row = |point: usize, metric: &str| Row {
            point,
            overrides: vec![("x".into(), serde_json::json!(point))],
            rollout: 0,
            layer: "api".into(),
            metric: metric.into(),
            estimate: crate::stats::Estimate::bootstrap(&[90.0, 100.0, 110.0], Scale::NonNegative)
                .unwrap(),
        };
        let rows = [
            row(0, "new_version_requests"),
            row(1, "bad_version_requests"),
            row(2, "failed_requests"),
        ];
        let refs: Vec<&Row> = rows.iter().collect();
        let at_point = |r: &Row| Some((String::new(), r.point as f64));
        let both = panel_of(
            "bad_version_requests",
            &refs.iter().collect::<Vec<_>>(),
            at_point,
        );
        assert_eq!(both.0, NEW_VERSION_REQUESTS_CAPTION);
        assert_eq!(both.2[0].1.len(), 2, "both points drawn");
        let bad_only: Vec<&&Row> = refs[1..].iter().collect();
        let bad = panel_of("bad_version_requests", &bad_only, at_point);
        assert_eq!(bad.0, "bad_version_requests (requests)");
        assert_eq!(bad.2[0].1.len(), 1);
    }

    #[test]
    fn shares_are_bounded_by_zero_and_one_and_durations_by_zero() {
        assert_eq!(bounds("rolled_back"), (0.0, 1.0));
        assert_eq!(bounds("detection_time"), (0.0, f64::INFINITY));
        assert_eq!(bounds("failed_requests").0, f64::NEG_INFINITY);
        assert_eq!(bounds("availability"), (0.0, 1.0));
    }

    #[test]
    fn the_first_series_differ_in_colour_and_shape_or_line() {
        for a in 0..8 {
            for b in 0..a {
                let (x, y) = (Look::of(a), Look::of(b));
                assert!(x.colour != y.colour);
                assert!(x.shape != y.shape || x.dashed != y.dashed, "{a} and {b}");
            }
        }
        for a in 0..40 {
            for b in 0..a {
                let (x, y) = (Look::of(a), Look::of(b));
                let alike = x.colour == y.colour && x.shape == y.shape && x.dashed == y.dashed;
                assert!(!alike, "{a} and {b}");
            }
        }
    }
}

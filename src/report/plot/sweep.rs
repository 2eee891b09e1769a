//! The figure of a sweep's summary: one panel per metric, the swept override on the x
//! axis, one line per series (the other overrides' values), each point the mean over
//! its runs with its 95% interval as an error bar; one figure per facet value.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{COLOURS, Drawing, drawing_failed};
use crate::plan::summary::{ReportSpec, Row, numeric, plain};

const WIDTH: u32 = 1200;
const PANEL_HEIGHT: u32 = 340;

/// A line: its label and its (x, mean, low, high) points, ascending in x.
type Series = (String, Vec<(f64, f64, f64, f64)>);

struct SweepFigure {
    title: String,
    x_label: String,
    log_x: bool,
    /// Names of x's values when they are not numbers (x is then their index).
    categories: Option<Vec<String>>,
    /// Per metric: its caption and its lines.
    panels: Vec<(String, Vec<Series>)>,
}

impl SweepFigure {
    /// Every series' label, in the order first met over the panels; a series' colour is
    /// its place here, the same in every panel (some panels lack some series).
    fn series(&self) -> Vec<&str> {
        let mut labels: Vec<&str> = Vec::new();
        for (_, lines) in &self.panels {
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
            let width = 40 + 8 * label.chars().count() as i32;
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
        // same in each panel, in the same colours.
        let placed = self.legend();
        let strip_height = legend_height(&placed);
        let (strip, root) = root.split_vertically(strip_height);
        for (i, label, (x, y)) in placed {
            let colour = COLOURS[i % COLOURS.len()];
            strip
                .draw(&Rectangle::new(
                    [(x, y + 1), (x + 14, y + 13)],
                    colour.filled(),
                ))
                .map_err(e)?;
            strip
                .draw(&Text::new(
                    label,
                    (x + 20, y),
                    ("sans-serif", 14).into_font(),
                ))
                .map_err(e)?;
        }
        let rows = self.panels.len().div_ceil(2).max(1);
        let areas = root.split_evenly((rows, 2));
        let to_x = |x: f64| if self.log_x { x.max(1e-9).log10() } else { x };
        for (area, (caption, lines)) in areas.iter().zip(&self.panels) {
            let xs = lines.iter().flat_map(|(_, p)| p.iter().map(|q| to_x(q.0)));
            let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
            if !x_min.is_finite() {
                continue;
            }
            let pad = if self.categories.is_some() {
                0.6
            } else {
                ((x_max - x_min) * 0.05).max(0.05)
            };
            let ys = lines
                .iter()
                .flat_map(|(_, p)| p.iter().flat_map(|q| [q.2, q.3]));
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
                .build_cartesian_2d(
                    (x_min - pad)..(x_max + pad),
                    (y_min - y_pad)..(y_max + y_pad),
                )
                .map_err(e)?;
            let log_x = self.log_x;
            chart
                .configure_mesh()
                .x_desc(self.x_label.as_str())
                .x_labels(self.categories.as_ref().map_or(10, |c| c.len() * 2 + 1))
                .x_label_formatter(&|x| {
                    if let Some(names) = &self.categories {
                        let i = x.round();
                        return if (x - i).abs() < 1e-6 && i >= 0.0 {
                            names.get(i as usize).cloned().unwrap_or_default()
                        } else {
                            String::new()
                        };
                    }
                    let v = if log_x { 10f64.powf(*x) } else { *x };
                    if v.abs() >= 100.0 || (v - v.round()).abs() < 1e-9 {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.2}")
                    }
                })
                .y_label_formatter(&|y| compact(*y))
                .label_style(("sans-serif", 12))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(e)?;
            let categorical = self.categories.is_some();
            let series = self.series();
            for (i, (label, points)) in lines.iter().enumerate() {
                let k = series.iter().position(|l| l == label).unwrap_or(i);
                let colour = COLOURS[k % COLOURS.len()];
                // Categories: the series side by side at each category, no lines between
                // categories (they have no order to follow).
                let dodge = if categorical {
                    (k as f64 - (series.len() as f64 - 1.0) / 2.0) * 0.12
                } else {
                    0.0
                };
                let at = |x: f64| to_x(x) + dodge;
                if !categorical {
                    chart
                        .draw_series(LineSeries::new(
                            points.iter().map(|p| (at(p.0), p.1)),
                            colour.stroke_width(2),
                        ))
                        .map_err(e)?;
                }
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|p| Circle::new((at(p.0), p.1), 4, colour.filled())),
                    )
                    .map_err(e)?;
                chart
                    .draw_series(points.iter().map(|p| {
                        PathElement::new([(at(p.0), p.2), (at(p.0), p.3)], colour.stroke_width(2))
                    }))
                    .map_err(e)?;
            }
        }
        root.present().map_err(e)
    }
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
                let mut lines: Vec<Series> = Vec::new();
                for row in in_facet.iter().filter(|r| r.metric == *metric) {
                    let Some(x) = value_of(row, &spec.x).as_ref().and_then(x_of) else {
                        continue;
                    };
                    let label = label_of(row);
                    let point = (x, row.mean, row.low, row.high);
                    match lines.iter_mut().find(|(l, _)| *l == label) {
                        Some((_, points)) => points.push(point),
                        None => lines.push((label, vec![point])),
                    }
                }
                for (_, points) in &mut lines {
                    points.sort_by(|a, b| a.0.total_cmp(&b.0));
                }
                let caption = match metric.as_str() {
                    "promoted" | "rolled_back" => format!("{metric} (share of runs)"),
                    _ => metric.clone(),
                };
                (caption, lines)
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

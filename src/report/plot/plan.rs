//! The plan's figure: the entry traffic over a weekday (the model's daily shape) against
//! the fleet's capacity from the sizing, and below it, one row per strategy with each
//! start hour scanned marked safe (green) or not (red), so the safe windows read off
//! against the traffic curve above them.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Drawing, drawing_failed};
use crate::engine::{SimDuration, SimTime};
use crate::plan::windows::SafeHours;
use crate::scenario::Scenario;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 800;
const SAFE: RGBColor = RGBColor(44, 160, 44);
const UNSAFE: RGBColor = RGBColor(214, 39, 40);
const TRAFFIC: RGBColor = RGBColor(31, 119, 180);
const CAPACITY: [RGBColor; 2] = [RGBColor(90, 90, 90), RGBColor(255, 127, 14)];

struct PlanFigure<'a> {
    title: String,
    /// (hour of a Tuesday, entry requests per second), every 5 minutes.
    traffic: Vec<(f64, f64)>,
    /// Capacities to draw: (what, requests per second within the SLO).
    capacities: &'a [(String, f64)],
    safe: &'a [SafeHours],
    step_h: f64,
    /// The SLO's availability, to say why an hour is not safe.
    availability_target: f64,
}

fn hour_label(hour: &f64) -> String {
    format!("{:02.0}:00", hour)
}

impl Drawing for PlanFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = drawing_failed::<DB::ErrorType>;
        root.fill(&WHITE).map_err(e)?;
        let root = root
            .titled(
                &self.title,
                ("sans-serif", 22).into_font().style(FontStyle::Bold),
            )
            .map_err(e)?;
        let rows = self.safe.len().max(1) as u32;
        let (top, bottom) = root.split_vertically(HEIGHT - 90 - 45 * rows);
        let peak = self
            .traffic
            .iter()
            .map(|p| p.1)
            .chain(self.capacities.iter().map(|c| c.1))
            .fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(&top)
            .caption(
                "entry traffic on a weekday against the fleet's capacity",
                ("sans-serif", 17),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..24.0, 0.0..peak * 1.15)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("hour of the day")
            .y_desc("requests per second")
            .x_labels(13)
            .x_label_formatter(&hour_label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(("sans-serif", 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(
                self.traffic.iter().copied(),
                TRAFFIC.stroke_width(3),
            ))
            .map_err(e)?
            .label("entry traffic (the model's daily shape)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], TRAFFIC.stroke_width(3)));
        for (k, (label, capacity)) in self.capacities.iter().enumerate() {
            let colour = CAPACITY[k % CAPACITY.len()];
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, *capacity), (24.0, *capacity)],
                    10,
                    6,
                    colour.stroke_width(2),
                ))
                .map_err(e)?
                .label(format!("{label}: {capacity:.0}/s"))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2))
                });
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;

        let names: Vec<&str> = self.safe.iter().map(|s| s.strategy.name()).collect();
        let mut lanes = ChartBuilder::on(&bottom)
            .caption(
                "a rollout starting at this hour keeps the SLO (95% confidence, no rollback): green yes, red no",
                ("sans-serif", 15),
            )
            .margin(10)
            .x_label_area_size(25)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..24.0, 0.0..f64::from(rows))
            .map_err(e)?;
        lanes
            .configure_mesh()
            .disable_mesh()
            .x_labels(13)
            .x_label_formatter(&hour_label)
            .y_labels(rows as usize * 2 + 1)
            .y_label_formatter(&|y| {
                let lane = y - 0.5;
                let i = lane.round();
                if (lane - i).abs() < 1e-6 && i >= 0.0 {
                    names
                        .len()
                        .checked_sub(1 + i as usize)
                        .and_then(|k| names.get(k))
                        .map_or(String::new(), |n| n.to_string())
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        for (k, strategy) in self.safe.iter().enumerate() {
            // The first strategy on top.
            let y = f64::from(rows) - 1.0 - k as f64;
            lanes
                .draw_series(strategy.hours.iter().map(|h| {
                    let colour = if h.safe { SAFE } else { UNSAFE };
                    Rectangle::new(
                        [
                            (h.hour, y + 0.15),
                            ((h.hour + self.step_h).min(24.0), y + 0.85),
                        ],
                        colour.mix(0.75).filled(),
                    )
                }))
                .map_err(e)?;
            lanes
                .draw_series(strategy.hours.iter().map(|h| {
                    Rectangle::new(
                        [
                            (h.hour, y + 0.15),
                            ((h.hour + self.step_h).min(24.0), y + 0.85),
                        ],
                        WHITE.stroke_width(1),
                    )
                }))
                .map_err(e)?;
            lanes
                .draw_series(strategy.hours.iter().map(|h| {
                    let why = if h.safe {
                        format!("p99: {:.0} ms", h.latency_p99_ms.mean)
                    } else if h.rolled_back_runs > 0 {
                        format!("rolled back {}/{}", h.rolled_back_runs, h.runs)
                    } else if h.availability.mean - h.availability.half_width_95().min(1.0)
                        < self.availability_target
                    {
                        format!("{:.2} % ok", 100.0 * h.availability.mean)
                    } else {
                        format!("p99: {:.0} ms", h.latency_p99_ms.mean)
                    };
                    Text::new(
                        why,
                        (h.hour + 0.15, y + 0.62),
                        ("sans-serif", 12).into_font().color(&WHITE),
                    )
                }))
                .map_err(e)?;
        }
        root.present().map_err(e)
    }
}

/// Writes the plan's figure into `dir` (`plan.svg` and `.png`): `model`'s traffic over a
/// weekday, the `capacities` (label, requests per second) as flat lines, and each
/// strategy's `safe` start hours (`step` apart); returns the files written.
pub fn plot_plan(
    model: &Scenario,
    capacities: &[(String, f64)],
    safe: &[SafeHours],
    step: SimDuration,
    dir: &Path,
) -> Result<Vec<PathBuf>, crate::Error> {
    let figure = plan_figure(model, capacities, safe, step);
    Ok(super::write(&dir.join("plan"), &figure)?.to_vec())
}

/// The plan's figure (as [`plot_plan`] draws it) as SVG text.
pub fn plan_svg(
    model: &Scenario,
    capacities: &[(String, f64)],
    safe: &[SafeHours],
    step: SimDuration,
) -> Result<String, crate::Error> {
    super::svg(&plan_figure(model, capacities, safe, step))
}

fn plan_figure<'a>(
    model: &Scenario,
    capacities: &'a [(String, f64)],
    safe: &'a [SafeHours],
    step: SimDuration,
) -> PlanFigure<'a> {
    let rate = model.traffic.rate.per_second();
    let traffic = (0..=24 * 12u32)
        .map(|i| {
            let hour = f64::from(i) / 12.0;
            let factor = model.traffic.shape.as_ref().map_or(1.0, |shape| {
                let tuesday = crate::scenario::traffic::DailyShape {
                    start: 24.0,
                    ..shape.clone()
                };
                crate::model::traffic::shape_factor(
                    &tuesday,
                    SimTime::ZERO + SimDuration::from_secs(u64::from(i) * 300),
                )
            });
            (hour, rate * factor)
        })
        .collect();
    PlanFigure {
        title: format!("{}: when the fleet can carry a rollout", model.name),
        traffic,
        capacities,
        safe,
        step_h: step.as_secs_f64() / 3600.0,
        availability_target: model.slo.availability,
    }
}

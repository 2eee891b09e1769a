//! The canary plan's figure (`plan canary --plot DIR`): one panel per regression with
//! the share of rehearsals that caught it against the canary's duration, and one with
//! the share of healthy rehearsals failed (false alarms); one line per canary size and
//! judge shown (the layer's own and the best found), each point with its 95% Wilson
//! interval; the power asked and the false-alarm rate allowed as dashed lines.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{COLOURS, Drawing, drawing_failed};
use crate::Error;
use crate::plan::canary::CanaryPlan;
use crate::plan::canary::power::{Candidate, Share};

const PANEL_WIDTH: u32 = 520;
const HEIGHT: u32 = 560;
const TARGET: RGBColor = RGBColor(90, 90, 90);

struct CanaryFigure<'a> {
    plan: &'a CanaryPlan,
}

/// One panel: its caption, the share drawn from a candidate, and the target line.
struct Panel {
    caption: String,
    share: Box<dyn Fn(&Candidate) -> Share>,
    target: (String, f64),
}

impl CanaryFigure<'_> {
    fn panels(&self) -> Vec<Panel> {
        let p = self.plan;
        let mut panels: Vec<Panel> = p
            .regressions
            .iter()
            .enumerate()
            .map(|(i, name)| Panel {
                caption: format!("{name}: share of runs caught"),
                share: Box::new(move |c: &Candidate| c.regressions[i].caught),
                target: (
                    format!("power asked: {:.0}%", 100.0 * p.targets.power),
                    p.targets.power,
                ),
            })
            .collect();
        panels.push(Panel {
            caption: "healthy release: share of runs failed (false alarms)".into(),
            share: Box::new(|c: &Candidate| c.false_alarms),
            target: (
                format!("false alarms allowed: {}%", 100.0 * p.targets.false_alarm),
                p.targets.false_alarm,
            ),
        });
        panels
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
        x_max: f64,
    ) -> Result<(), String> {
        let e = drawing_failed::<DB::ErrorType>;
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.caption, ("sans-serif", 15))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..x_max, -0.02..1.02)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("canary duration (minutes, warm-up delay included)")
            .y_desc("share of runs")
            .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
            .label_style(("sans-serif", 12))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let (label, y) = &panel.target;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, *y), (x_max, *y)],
                8,
                5,
                TARGET.stroke_width(2),
            ))
            .map_err(e)?
            .label(label.clone())
            .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], TARGET.stroke_width(2)));
        let shown = self.plan.shown();
        let offset = |k: usize| (k as f64 - (shown.len() as f64 - 1.0) / 2.0) * 0.12;
        for (k, (instances, judge)) in shown.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            let points: Vec<(f64, Share)> = self
                .plan
                .line(*instances, *judge)
                .iter()
                .map(|c| {
                    (
                        c.duration.as_secs_f64() / 60.0 + offset(k),
                        (panel.share)(c),
                    )
                })
                .collect();
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|(x, s)| (*x, s.share)),
                    colour.stroke_width(2),
                ))
                .map_err(e)?
                .label(format!(
                    "{instances} instance{}, {}",
                    if *instances == 1 { "" } else { "s" },
                    self.plan.judges[*judge].name
                ))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2))
                });
            for (x, s) in &points {
                let bar = colour.stroke_width(1);
                let cap =
                    |y: f64| EmptyElement::at((*x, y)) + PathElement::new([(-4, 0), (4, 0)], bar);
                let area = chart.plotting_area();
                area.draw(&PathElement::new([(*x, s.ci95.0), (*x, s.ci95.1)], bar))
                    .map_err(e)?;
                area.draw(&cap(s.ci95.0)).map_err(e)?;
                area.draw(&cap(s.ci95.1)).map_err(e)?;
            }
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|(x, s)| Circle::new((*x, s.share), 3, colour.filled())),
                )
                .map_err(e)?;
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::MiddleRight)
    }
}

impl Drawing for CanaryFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (
            PANEL_WIDTH * (self.plan.regressions.len() as u32 + 1),
            HEIGHT,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = drawing_failed::<DB::ErrorType>;
        root.fill(&WHITE).map_err(e)?;
        let runs = self.plan.sizes.iter().map(|s| s.1).max().unwrap_or(0);
        let title = format!(
            "Canary power on {} ({} instances): up to {runs} runs per size, 95% Wilson intervals",
            self.plan.layer, self.plan.fleet
        );
        let root = root
            .titled(
                &title,
                ("sans-serif", 19).into_font().style(FontStyle::Bold),
            )
            .map_err(e)?;
        let x_max = self
            .plan
            .candidates
            .iter()
            .map(|c| c.duration.as_secs_f64() / 60.0)
            .fold(1.0, f64::max)
            * 1.08;
        let panels = self.panels();
        let areas = root.split_evenly((1, panels.len()));
        for (area, panel) in areas.iter().zip(&panels) {
            self.draw_panel(area, panel, x_max)?;
        }
        Ok(())
    }
}

/// Writes the canary plan's figure into `dir` as `canary-plan.svg` and `.png`.
pub fn plot_canary(dir: &Path, plan: &CanaryPlan) -> Result<[PathBuf; 2], Error> {
    super::write(&dir.join("canary-plan"), &CanaryFigure { plan })
}

/// The canary plan's figure as SVG text.
pub fn canary_svg(plan: &CanaryPlan) -> Result<String, Error> {
    super::svg(&CanaryFigure { plan })
}

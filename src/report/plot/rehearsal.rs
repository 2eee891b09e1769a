//! The figure of one rehearsed rollout: four panels over time — instances per version,
//! the rolled layer's traffic share per version, the entry layer's error rate, and its
//! latency p50/p99 — with the rollout's phases shaded (launch and canary, bake,
//! rollback). The judges show: every analysis check of the controller's timeline is a
//! marker at its time on the instances panel (a green triangle passed, a red cross
//! failed, grey no data or marginal), a failed check a dotted red line across every
//! panel; the model's SLO is a dashed line on the entry layer's panels (the failed share
//! that availability target allows, and the p99 target).
//!
//! # Size
//! A line has at most [`MAX_POINTS`] points whatever the run's length: rates and
//! latencies are summed over buckets of 10 s, or of `seconds ÷ MAX_POINTS` if longer;
//! instance counts are per second up to `MAX_POINTS` seconds and the most per bucket
//! beyond (a week-long run plots as a few thousand points, not 600 000).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{COLOURS, Chart, Drawing, drawing_failed};
use crate::metrics::Slo;
use crate::model::World;
use crate::rollout::{CheckResult, RolloutRecord};
use crate::stats::LatencyHistogram;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 1100;
/// Seconds per plotted point of the rates and latencies (at least).
const BUCKET_S: usize = 10;
/// Most points of one line.
pub const MAX_POINTS: usize = 4000;

/// A line of a panel: its legend label, its points, its colour.
type Line = (String, Vec<(f64, f64)>, RGBColor);

/// What one figure shows, extracted from the world.
struct Figure {
    title: String,
    minutes: f64,
    /// Seconds per point of the shares, errors and latencies.
    bucket_s: usize,
    /// Seconds per point of the instance counts.
    instances_s: usize,
    /// Per version: (label, live instances per `instances_s` seconds, the most).
    instances: Vec<(String, Vec<f64>)>,
    /// Per version: (label, per-bucket traffic share in %).
    shares: Vec<(String, Vec<f64>)>,
    /// Entry layer error rate in % per bucket.
    errors: Vec<f64>,
    /// Entry layer p50 and p99 in ms per bucket.
    p50: Vec<Option<f64>>,
    p99: Vec<Option<f64>>,
    /// Shaded phases: (from min, to min, label, colour).
    phases: Vec<(f64, f64, &'static str, RGBColor)>,
    /// The analysis checks: (at min, result).
    checks: Vec<(f64, CheckResult)>,
    /// The SLO: the failed share (%) its availability target allows, its p99 (ms).
    slo_failed_pct: f64,
    slo_p99_ms: f64,
}

/// A check passed.
const PASS: RGBColor = RGBColor(44, 160, 44);
/// A check failed.
const FAIL: RGBColor = RGBColor(214, 39, 40);
/// A check without a verdict (no data, marginal).
const UNDECIDED: RGBColor = RGBColor(127, 127, 127);

fn figure(world: &World, record: &RolloutRecord, slo: Slo) -> Figure {
    let layer = world.layer_id(&record.layer).expect("the record's layer");
    let seconds = world.observations().layers[0].len();
    let clusters = world.all_clusters_of(layer);
    let mut versions: Vec<u32> = clusters
        .iter()
        .map(|c| world.series_of(*c).version)
        .collect();
    versions.sort_unstable();
    versions.dedup();
    let per_version =
        |v: u32, f: &dyn Fn(&crate::model::observe::ClusterWindow) -> f64| -> Vec<f64> {
            let mut out = vec![0.0; seconds];
            for c in clusters
                .iter()
                .filter(|c| world.series_of(**c).version == v)
            {
                let s = world.series_of(*c);
                for (k, w) in s.windows.iter().enumerate() {
                    if let Some(slot) = out.get_mut(s.first_window as usize + k) {
                        *slot += f(w);
                    }
                }
            }
            out
        };
    let instances_s = seconds.div_ceil(MAX_POINTS).max(1);
    let instances: Vec<(String, Vec<f64>)> = versions
        .iter()
        .map(|v| {
            let per_second = per_version(*v, &|w| f64::from(w.instances.iter().sum::<u32>()));
            let most = per_second
                .chunks(instances_s)
                .map(|c| c.iter().copied().fold(0.0, f64::max))
                .collect();
            (format!("v{v}"), most)
        })
        .collect();
    let taken: Vec<Vec<f64>> = versions
        .iter()
        .map(|v| per_version(*v, &|w| f64::from(w.attempts)))
        .collect();
    let bucket_s = seconds.div_ceil(MAX_POINTS).max(BUCKET_S);
    let buckets = seconds.div_ceil(bucket_s);
    let bucket_sum = |series: &[f64], b: usize| {
        series[b * bucket_s..((b + 1) * bucket_s).min(seconds)]
            .iter()
            .sum::<f64>()
    };
    let shares = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let share = (0..buckets)
                .map(|b| {
                    let total: f64 = taken.iter().map(|t| bucket_sum(t, b)).sum();
                    if total > 0.0 {
                        100.0 * bucket_sum(&taken[i], b) / total
                    } else {
                        0.0
                    }
                })
                .collect();
            (format!("v{v}"), share)
        })
        .collect();
    let entry = &world.observations().layers[0];
    let mut errors = Vec::new();
    let (mut p50, mut p99) = (Vec::new(), Vec::new());
    for b in 0..buckets {
        let windows = &entry[b * bucket_s..((b + 1) * bucket_s).min(seconds)];
        let ok: u64 = windows.iter().map(|w| u64::from(w.succeeded)).sum();
        let failed: u64 = windows
            .iter()
            .map(|w| w.failed.iter().map(|n| u64::from(*n)).sum::<u64>())
            .sum();
        errors.push(if ok + failed > 0 {
            100.0 * failed as f64 / (ok + failed) as f64
        } else {
            0.0
        });
        let mut latency = LatencyHistogram::default();
        for w in windows {
            latency.merge(&w.latency);
        }
        p50.push(latency.quantile(0.5).map(|d| d.as_millis_f64()));
        p99.push(latency.quantile(0.99).map(|d| d.as_millis_f64()));
    }
    let minutes = seconds as f64 / 60.0;
    let at = |t: Option<crate::rollout::Instant>| t.map(|t| t.as_secs_f64() / 60.0);
    let (start, switch, abort, finish) = (
        at(record.started_at),
        at(record.switched_at),
        at(record.aborted_at),
        at(record.finished_at),
    );
    let end = finish.unwrap_or(minutes);
    let mut phases = Vec::new();
    if let Some(start) = start {
        let launch_end = switch.or(abort).unwrap_or(end);
        phases.push((
            start,
            launch_end,
            "launch / canary",
            RGBColor(255, 236, 179),
        ));
        if let Some(switch) = switch {
            phases.push((
                switch,
                abort.unwrap_or(end),
                "after the switch",
                RGBColor(200, 230, 201),
            ));
        }
        if let Some(abort) = abort {
            phases.push((abort, end, "rollback", RGBColor(255, 205, 210)));
        }
    }
    Figure {
        title: format!(
            "{} of {} (v{} → v{}): {}",
            record.strategy,
            record.layer,
            record.old_version,
            record.new_version,
            record.outcome.name()
        ),
        minutes,
        bucket_s,
        instances_s,
        instances,
        shares,
        errors,
        p50,
        p99,
        phases,
        checks: record
            .checks()
            .into_iter()
            .map(|(at, result)| (at.as_secs_f64() / 60.0, result))
            .collect(),
        slo_failed_pct: 100.0 * (1.0 - slo.availability),
        slo_p99_ms: slo.latency_p99.as_millis_f64(),
    }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, f: &Figure) -> Result<(), String> {
    let e = drawing_failed::<DB::ErrorType>;
    root.fill(&WHITE).map_err(e)?;
    let root = root
        .titled(
            &f.title,
            ("sans-serif", 26).into_font().style(FontStyle::Bold),
        )
        .map_err(e)?;
    let panels = root.split_evenly((4, 1));
    let max_instances = f
        .instances
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .fold(1.0, f64::max)
        * 1.25;
    // The SLO's lines are always in range.
    let max_latency = f.p99.iter().flatten().copied().fold(f.slo_p99_ms, f64::max) * 1.15;
    let max_errors = f
        .errors
        .iter()
        .copied()
        .fold(f.slo_failed_pct.max(1.0), f64::max)
        * 1.15;
    let specs: [(&str, f64); 4] = [
        (
            "instances of the rolled layer, by version; analysis checks",
            max_instances,
        ),
        (
            "share of the rolled layer's requests, by version (%)",
            105.0,
        ),
        ("entry layer: failed requests (%)", max_errors),
        ("entry layer latency: p50 and p99 (ms)", max_latency),
    ];
    for (index, (panel, (caption, y_max))) in panels.iter().zip(specs).enumerate() {
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, ("sans-serif", 18))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..f.minutes, 0.0..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("minutes")
            .label_style(("sans-serif", 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        draw_phases(&mut chart, f, y_max)?;
        draw_failed_checks(&mut chart, f, y_max)?;
        for (label, points, colour) in lines(f, index) {
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2))
                });
        }
        match index {
            0 => draw_checks(&mut chart, f, y_max)?,
            2 => super::draw_slo(
                &mut chart,
                (0.0, f.minutes),
                f.slo_failed_pct,
                format!(
                    "SLO: at most {} % failed per minute",
                    super::trim(f.slo_failed_pct)
                ),
            )?,
            3 => super::draw_slo(
                &mut chart,
                (0.0, f.minutes),
                f.slo_p99_ms,
                super::slo_p99_label(f.slo_p99_ms),
            )?,
            _ => {}
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    root.present().map_err(e)
}

/// The rollout's phases, shaded over the panel's height.
fn draw_phases<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    f: &Figure,
    y_max: f64,
) -> Result<(), String> {
    for &(from, to, label, colour) in &f.phases {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(from, 0.0), (to, y_max)],
                colour.filled(),
            )))
            .map_err(drawing_failed)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
    }
    Ok(())
}

/// A dotted red line over the panel's height at each failed check.
fn draw_failed_checks<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    f: &Figure,
    y_max: f64,
) -> Result<(), String> {
    for (at, _) in f.checks.iter().filter(|(_, r)| *r == CheckResult::Fail) {
        chart
            .draw_series(DashedLineSeries::new(
                [(*at, 0.0), (*at, y_max)],
                3,
                4,
                FAIL.mix(0.8).stroke_width(1),
            ))
            .map_err(drawing_failed)?;
    }
    Ok(())
}

/// Each check as a marker near the top of the panel, one legend entry per result met.
fn draw_checks<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    f: &Figure,
    y_max: f64,
) -> Result<(), String> {
    let y = y_max * 0.93;
    for result in CheckResult::ALL {
        let times: Vec<f64> = f
            .checks
            .iter()
            .filter(|(_, r)| *r == result)
            .map(|(at, _)| *at)
            .collect();
        if times.is_empty() {
            continue;
        }
        let label = format!("check: {}", result.name());
        let drawn = match result {
            CheckResult::Pass => chart.draw_series(
                times
                    .iter()
                    .map(|t| TriangleMarker::new((*t, y), 7, PASS.filled())),
            ),
            CheckResult::Fail => chart.draw_series(
                times
                    .iter()
                    .map(|t| Cross::new((*t, y), 6, FAIL.stroke_width(3))),
            ),
            _ => chart.draw_series(
                times
                    .iter()
                    .map(|t| Circle::new((*t, y), 5, UNDECIDED.filled())),
            ),
        };
        let entry = drawn.map_err(drawing_failed)?.label(label);
        match result {
            CheckResult::Pass => {
                entry.legend(|(x, y)| TriangleMarker::new((x + 7, y), 6, PASS.filled()))
            }
            CheckResult::Fail => {
                entry.legend(|(x, y)| Cross::new((x + 7, y), 5, FAIL.stroke_width(3)))
            }
            _ => entry.legend(|(x, y)| Circle::new((x + 7, y), 4, UNDECIDED.filled())),
        };
    }
    Ok(())
}

/// The lines of panel `index`.
fn lines(f: &Figure, index: usize) -> Vec<Line> {
    let bucket_x = |b: usize| (b * f.bucket_s) as f64 / 60.0;
    let by_version = |series: &[(String, Vec<f64>)], x: &dyn Fn(usize) -> f64| -> Vec<Line> {
        series
            .iter()
            .enumerate()
            .map(|(i, (label, s))| {
                let points = s.iter().enumerate().map(|(t, v)| (x(t), *v)).collect();
                (label.clone(), points, COLOURS[i % COLOURS.len()])
            })
            .collect()
    };
    match index {
        0 => by_version(&f.instances, &|t| (t * f.instances_s) as f64 / 60.0),
        1 => by_version(&f.shares, &bucket_x),
        2 => vec![(
            "failed".into(),
            f.errors
                .iter()
                .enumerate()
                .map(|(b, v)| (bucket_x(b), *v))
                .collect(),
            COLOURS[1],
        )],
        _ => {
            let series = |values: &[Option<f64>]| -> Vec<(f64, f64)> {
                values
                    .iter()
                    .enumerate()
                    .filter_map(|(b, v)| v.map(|v| (bucket_x(b), v)))
                    .collect()
            };
            vec![
                ("p50".into(), series(&f.p50), COLOURS[0]),
                ("p99".into(), series(&f.p99), COLOURS[1]),
            ]
        }
    }
}

impl Drawing for Figure {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        draw(root, self)
    }
}

/// Writes one figure per rollout of the rehearsal into `dir` (`rollout-K-LAYER.svg` and
/// `.png`), with `slo`'s lines; returns the files written.
pub fn plot_rehearsal(
    world: &World,
    records: &[RolloutRecord],
    slo: Slo,
    dir: &Path,
) -> Result<Vec<PathBuf>, crate::Error> {
    let mut written = Vec::new();
    for (k, record) in records.iter().enumerate() {
        let stem = dir.join(format!("rollout-{}-{}", k + 1, record.layer));
        written.extend(super::write(&stem, &figure(world, record, slo))?);
    }
    Ok(written)
}

/// The figure of each rollout of the rehearsal as SVG text, in order.
pub fn rehearsal_svgs(
    world: &World,
    records: &[RolloutRecord],
    slo: Slo,
) -> Result<Vec<String>, crate::Error> {
    records
        .iter()
        .map(|record| super::svg(&figure(world, record, slo)))
        .collect()
}

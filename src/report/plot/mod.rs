//! Plots, written as SVG and PNG. Of a rehearsal (`rollsim run --plot DIR`,
//! [`rehearsal`]): per rollout, instances and traffic share per version, the entry
//! layer's errors and latency, phases shaded. Of a comparison (`rollsim compare --plot
//! DIR`, [`comparison`]): per rollout, key metrics per strategy with 95% intervals. Of a
//! plan (`rollsim plan --plot DIR`, [`plan`]): the daily traffic curve against the
//! fleet's capacity, with each strategy's safe hours marked. Of a sweep's summary
//! (`rollsim sweep` with a `[report]`, [`sweep`]): metrics against the swept override.
//! Of a canary plan (`rollsim plan canary --plot DIR`, [`canary`]): power and false
//! alarms against the canary's duration, per size and judge.
//!
//! Each figure is a [`Drawing`] that draws itself on any plotters backend; [`write`]
//! renders it twice, to SVG and to an RGB buffer encoded as PNG; [`svg`] renders it to
//! SVG text in memory, for the HTML report ([`crate::report::html`]) to inline. Fonts are bundled
//! (DejaVu Sans, registered with plotters' pure-Rust `ab_glyph` renderer) and PNGs are
//! encoded with the `png` crate, so no system package is needed.

mod canary;
mod comparison;
mod plan;
mod rehearsal;
mod sweep;

use std::path::{Path, PathBuf};
use std::sync::Once;

use crate::Error;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

pub use canary::{canary_svg, plot_canary};
pub use comparison::{comparison_svgs, plot_comparison};
pub use plan::{plan_svg, plot_plan};
pub use rehearsal::{plot_rehearsal, rehearsal_svgs};
pub use sweep::plot_sweep;

const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A figure that can draw itself on any backend.
trait Drawing {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the figure on `root`.
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// The message of a plotters drawing error.
fn drawing_failed<E: std::error::Error + Send + Sync>(x: DrawingAreaErrorKind<E>) -> String {
    format!("drawing failed: {x}")
}

/// Draws the legend of `chart`'s labelled series at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .position(position)
        .draw()
        .map_err(drawing_failed)
}

/// A chart with a number on each axis (a rehearsal's minutes, a comparison's strategies
/// by index).
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The colour of the SLO's lines.
const SLO_COLOUR: RGBColor = RGBColor(90, 90, 90);

/// An SLO target, `limit`, as a dashed line across `x` (from, to) of `chart`, with
/// `label` in its legend: on the entry layer's panels of a rehearsal's figure and on the
/// availability and p99 panels of a comparison's.
fn draw_slo<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    (from, to): (f64, f64),
    limit: f64,
    label: String,
) -> Result<(), String> {
    chart
        .draw_series(DashedLineSeries::new(
            [(from, limit), (to, limit)],
            10,
            6,
            SLO_COLOUR.stroke_width(2),
        ))
        .map_err(drawing_failed)?
        .label(label)
        .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], SLO_COLOUR.stroke_width(2)));
    Ok(())
}

/// The label of the SLO's p99 target of `ms` milliseconds.
fn slo_p99_label(ms: f64) -> String {
    format!("SLO: p99 at most {} ms per minute", trim(ms))
}

/// A number without trailing zeros: 0.1, 250, 99.95.
fn trim(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Makes `dir` (for `--plot DIR`) and checks that a file can be written in it, so a
/// command refuses an unwritable directory before it simulates, not after. That it
/// cannot is a failure at run time (the place, not the input, is at fault).
pub fn prepare_dir(dir: &Path) -> Result<(), Error> {
    let fail = |e: std::io::Error| {
        Error::failed(format!(
            "--plot {}: cannot write figures there: {e}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".rollsim-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

/// Writes `figure` as `stem.svg` and `stem.png`; returns both paths. A link (or a
/// device, a FIFO) where a figure goes is refused; anything else that fails is a
/// failure at run time.
fn write(stem: &Path, figure: &impl Drawing) -> Result<[PathBuf; 2], Error> {
    register_fonts().map_err(Error::Failed)?;
    if let Some(dir) = stem.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::failed(format!("{}: {e}", dir.display())))?;
    }
    let (width, height) = figure.size();
    let svg = stem.with_extension("svg");
    let png = stem.with_extension("png");
    // A figure is never written through a link (or into a device or FIFO).
    for path in [&svg, &png] {
        crate::scenario::files::check_writable(path, "figure")?;
    }
    figure
        .draw(SVGBackend::new(&svg, (width, height)).into_drawing_area())
        .map_err(Error::Failed)?;
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    figure
        .draw(BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area())
        .map_err(Error::Failed)?;
    write_png(&png, &pixels, width, height).map_err(Error::Failed)?;
    Ok([svg, png])
}

/// `figure` as SVG text (an `<svg>` element with its size), for inlining in a page.
fn svg(figure: &impl Drawing) -> Result<String, Error> {
    register_fonts().map_err(Error::Failed)?;
    let mut text = String::new();
    figure
        .draw(SVGBackend::with_string(&mut text, figure.size()).into_drawing_area())
        .map_err(Error::Failed)?;
    Ok(text)
}

fn register_fonts() -> Result<(), String> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        )
        .and_then(|()| {
            plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
        })
        .map_err(|_| "the bundled font could not be loaded".to_string());
    });
    result
}

fn write_png(path: &Path, rgb: &[u8], width: u32, height: u32) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| format!("{}: {e}", path.display()))
}

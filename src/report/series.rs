//! The per-second series of a run as CSV (`rollsim run --series FILE`): one row per
//! simulated second per layer, in time order and, within a second, in layer order
//! (entry layer first).
//!
//! # Columns
//! Units are in the names (`_s` seconds, `_ms` milliseconds). Counts are of the
//! second itself (`calls_*`, `attempts_arrived`) or at its end (`calls_in_flight`,
//! `instances_*`), so summing a count column over a layer's rows gives the run's total
//! for it (`calls_issued` sums to the layer's requests, `attempts_arrived` to its
//! attempts). Latency is over the calls that succeeded in the second (empty when none
//! did): within 0.1% for the entry layer, within 3.1% for the others (their per-second
//! windows are kept coarser, see [`crate::model::observe`]).
//!
//! # Writing
//! [`SeriesFile::create`] checks the path and opens it before the run (never through a
//! symbolic link, never a device or a directory: [`check_writable`]), so a bad path is
//! an error before minutes of simulation; [`SeriesFile::write`] fills it afterwards.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::engine::SimDuration;
use crate::model::observe::{LayerSeries, LayerWindow, Observations, WINDOW};
use crate::model::{FailureCause, InstanceState};
use crate::scenario::files::check_writable;
use crate::stats::LatencyHistogram;

/// The header row.
pub fn header() -> String {
    let mut columns: Vec<String> = [
        "second",
        "start_s",
        "layer",
        "calls_issued",
        "calls_succeeded",
        "calls_failed",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    columns.extend(
        FailureCause::ALL
            .iter()
            .map(|c| format!("calls_failed_{}", c.name().replace(' ', "_"))),
    );
    columns.extend(
        ["attempts_arrived", "calls_in_flight", "busy_workers_mean"]
            .iter()
            .map(|s| s.to_string()),
    );
    columns.extend(
        InstanceState::ALL
            .iter()
            .filter(|s| **s != InstanceState::Terminated)
            .map(|s| format!("instances_{}", s.name().replace(' ', "_"))),
    );
    columns.extend(
        [
            "latency_mean_ms",
            "latency_p50_ms",
            "latency_p90_ms",
            "latency_p99_ms",
            "latency_max_ms",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    columns.join(",")
}

/// The series as CSV text: the header, then one row per second per layer. `layers`
/// names the layers in the series' order.
pub fn render_csv(observations: &Observations, layers: &[String]) -> String {
    let mut out = header();
    out.push('\n');
    let seconds = observations
        .layers
        .iter()
        .map(LayerSeries::len)
        .max()
        .unwrap_or(0);
    for second in 0..seconds {
        for (windows, name) in observations.layers.iter().zip(layers) {
            if let Some(window) = windows.get(second) {
                row(&mut out, second, name, window);
            }
        }
    }
    out
}

fn row(out: &mut String, second: usize, layer: &str, w: &LayerWindow) {
    let failed: u32 = w.failed.iter().sum();
    let start_s = WINDOW.as_secs_f64() * second as f64;
    let _ = write!(
        out,
        "{second},{start_s},{},{},{},{failed}",
        csv_field(layer),
        w.issued,
        w.succeeded
    );
    for n in w.failed {
        let _ = write!(out, ",{n}");
    }
    let _ = write!(out, ",{},{},{}", w.attempts, w.in_flight, w.busy_workers);
    for state in InstanceState::ALL {
        if state != InstanceState::Terminated {
            let _ = write!(out, ",{}", w.instances[state.index()]);
        }
    }
    let latency = |h: &LatencyHistogram, q: f64| ms(h.quantile(q));
    let _ = writeln!(
        out,
        ",{},{},{},{},{}",
        ms(w.latency.mean()),
        latency(&w.latency, 0.5),
        latency(&w.latency, 0.9),
        latency(&w.latency, 0.99),
        ms(w.latency.max()),
    );
}

/// Milliseconds, or an empty field.
fn ms(d: Option<SimDuration>) -> String {
    d.map_or_else(String::new, |d| format!("{}", d.as_millis_f64()))
}

/// A layer name as a CSV field: quoted if it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The file named by `--series`, opened before the run.
#[derive(Debug)]
pub struct SeriesFile {
    path: PathBuf,
    file: std::fs::File,
}

impl SeriesFile {
    /// Checks `path` (not a link, a regular file if it exists, in an existing
    /// directory) and opens it for writing, truncated. A path that cannot be opened is
    /// a failure at run time.
    pub fn create(path: &Path) -> Result<SeriesFile, Error> {
        check_writable(path, "series")?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        let file = options.open(path).map_err(|e| {
            Error::failed(format!(
                "--series {}: cannot write there: {e}",
                path.display()
            ))
        })?;
        Ok(SeriesFile {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Writes the series; returns the path written.
    pub fn write(
        mut self,
        observations: &Observations,
        layers: &[String],
    ) -> Result<PathBuf, Error> {
        let text = render_csv(observations, layers);
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| Error::failed(format!("--series {}: {e}", self.path.display())))?;
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_names_with_commas_are_quoted() {
        assert_eq!(csv_field("edge"), "edge");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn every_row_has_as_many_fields_as_the_header() {
        let mut observations = Observations::default();
        let mut window = LayerWindow {
            issued: 3,
            succeeded: 2,
            ..LayerWindow::default()
        };
        window.latency.record(SimDuration::from_millis(5));
        observations.layers = vec![LayerSeries::whole(vec![window, LayerWindow::default()])];
        let csv = render_csv(&observations, &["edge".to_string()]);
        let fields = header().split(',').count();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        for line in lines {
            assert_eq!(line.split(',').count(), fields, "{line}");
        }
    }
}

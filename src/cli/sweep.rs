//! `rollsim sweep EXPERIMENT.toml [--out DIR] [--resume] [--shard K/N] [--limit N]`,
//! `rollsim merge FILE… --out FILE` and `rollsim summarize EXPERIMENT.toml`.
//!
//! Results stream to `DIR/results.jsonl` (`results-K-of-N.jsonl` for a shard), one JSON
//! line per run, flushed as each run finishes, so an interrupted sweep keeps what it
//! finished; `--resume` runs only what is missing (a half-written last line is
//! dropped). When a sweep (or shard) has every run, its file is rewritten in canonical
//! order, so it is the same bytes however many threads, shards or resumptions made it,
//! and `merge` of the shards' files equals the unsharded file. A finished unsharded
//! sweep also writes `summary.csv` (per point and metric, the mean and 95% interval over
//! seeds) and, if the experiment has a `[report]`, its figures; `summarize` writes them
//! from any results file (e.g. merged shards).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use rayon::prelude::*;

use crate::plan::sweep::{self, ExperimentSpec, Grid, MAX_RUNS, RunKey};
use crate::scenario;
use crate::scenario::files::{check_writable, read_bounded};

use super::run::{DEFAULT_MODEL, DEFAULT_MODEL_NAME};

#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// The experiment file (TOML; see experiments/README.md).
    experiment: PathBuf,
    /// Directory for the results (default: the experiment file's directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the results already in the output file and run only the missing ones.
    #[arg(long)]
    resume: bool,
    /// Run only shard K of N (1-based): every N-th run, from the K-th.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Run at most this many runs now (e.g. to fit a batch job's time limit).
    #[arg(long)]
    limit: Option<usize>,
    /// No progress bar or summary on stderr.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    force: super::model_source::Force,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Result files of shards (or of partial sweeps).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The merged file.
    #[arg(long)]
    out: PathBuf,
}

fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {text:?}: write K/N with 1 ≤ K ≤ N, e.g. 2/8");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || k > n || n > MAX_RUNS {
        return Err(bad());
    }
    Ok((k, n))
}

/// Largest results file read: a sweep of `MAX_RUNS` runs writes well under this.
const MAX_RESULTS_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The text of the results file at `path` (a regular file of at most `MAX_RESULTS_BYTES`).
fn read_results(path: &Path) -> Result<String, String> {
    read_bounded(path, "results", MAX_RESULTS_BYTES).map_err(|e| e.to_string())
}

fn load_experiment(path: &Path) -> Result<ExperimentSpec, String> {
    let text =
        read_bounded(path, "experiment", scenario::MAX_FILE_BYTES).map_err(|e| e.to_string())?;
    let deserializer = toml::Deserializer::parse(&text)
        .map_err(|e| format!("{}: not valid TOML: {}", path.display(), e.message()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        format!(
            "{}: field `{}`: {}",
            path.display(),
            e.path(),
            e.inner().message().trim()
        )
    })
}

pub(crate) fn run(args: &SweepArgs) -> Result<ExitCode, String> {
    let spec = load_experiment(&args.experiment)?;
    let base = args.experiment.parent().unwrap_or(Path::new("."));
    if spec.runs == 0 || spec.runs > MAX_RUNS {
        return Err(format!(
            "{}: field `runs`: must be between 1 and {MAX_RUNS}, got {}",
            args.experiment.display(),
            spec.runs
        ));
    }
    // Counted before anything is built: points are made one at a time from here on.
    let grid = Grid::new(&spec).map_err(|e| format!("{}: {e}", args.experiment.display()))?;
    sweep::run_count(grid.len(), spec.runs)
        .map_err(|e| format!("{}: {e}", args.experiment.display()))?;
    let (source, model_file) = if spec.model == "builtin" {
        (DEFAULT_MODEL.to_string(), PathBuf::from(DEFAULT_MODEL_NAME))
    } else {
        let path = base.join(&spec.model);
        let (_, text) = scenario::load_with_source(&path).map_err(|e| e.to_string())?;
        (text, path)
    };
    // Every point's model is built and checked, its work estimate included, before
    // anything runs (and dropped: each run builds its own again).
    let model_of = |point: usize| {
        let model = sweep::model_of(&source, &model_file, &grid.point(point))?;
        args.force
            .check(&model, &model_file)
            .map_err(|e| format!("point {} of the grid: {e}", point + 1))?;
        Ok::<_, String>(model)
    };
    let first_seed = spec.seed.unwrap_or(model_of(0)?.seed);
    if let Some(error) = (1..grid.len())
        .into_par_iter()
        .find_map_first(|point| model_of(point).err())
    {
        return Err(error);
    }
    let all = sweep::runs(grid.len(), spec.runs, first_seed)?;
    let (mine, file_name) = match &args.shard {
        Some(text) => {
            let (k, n) = parse_shard(text)?;
            (
                sweep::shard(&all, k, n),
                format!("results-{k}-of-{n}.jsonl"),
            )
        }
        None => (all.clone(), "results.jsonl".to_string()),
    };
    let out_dir = args.out.clone().unwrap_or_else(|| base.to_path_buf());
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let out = out_dir.join(file_name);
    // Never through a link, never a device or FIFO, and a file that cannot be read is
    // an error rather than results to overwrite.
    let existing: Vec<String> = if check_writable(&out, "results")? {
        read_results(&out)?.lines().map(str::to_string).collect()
    } else {
        Vec::new()
    };
    if !existing.is_empty() && !args.resume {
        return Err(format!(
            "{} already has results; add --resume to keep them and run the rest, or choose another --out",
            out.display()
        ));
    }
    // Keep complete lines only (a killed sweep may have left half a line).
    let done: std::collections::BTreeSet<RunKey> =
        existing.iter().filter_map(|l| sweep::key_of(l)).collect();
    let kept = sweep::canonical(existing);
    write_atomically(&out, &kept, "results")?;
    let mut todo: Vec<RunKey> = mine.iter().copied().filter(|k| !done.contains(k)).collect();
    if let Some(limit) = args.limit {
        todo.truncate(limit);
    }
    let started = Instant::now();
    let file = Mutex::new(
        OpenOptions::new()
            .append(true)
            .open(&out)
            .map_err(|e| format!("{}: {e}", out.display()))?,
    );
    let bar = super::progress::bar(Some(todo.len() as u64), args.quiet, "runs");
    let written: Result<(), String> = todo.par_iter().with_max_len(1).try_for_each(|key| {
        let point = grid.point(key.point);
        let model = sweep::model_of(&source, &model_file, &point)?;
        let line = sweep::run_one(&model, &point, *key).to_line();
        bar.inc(1);
        let mut file = file.lock().map_err(|_| "a writer panicked".to_string())?;
        writeln!(file, "{line}")
            .and_then(|()| file.flush())
            .map_err(|e| format!("{}: {e}", out.display()))
    });
    bar.finish_and_clear();
    written?;
    drop(file);
    let lines: Vec<String> = read_results(&out)?.lines().map(str::to_string).collect();
    let wanted: std::collections::BTreeSet<RunKey> = mine.iter().copied().collect();
    let have = lines
        .iter()
        .filter_map(|l| sweep::key_of(l))
        .collect::<std::collections::BTreeSet<RunKey>>()
        .intersection(&wanted)
        .count();
    let complete = have == mine.len();
    if complete {
        write_atomically(&out, &sweep::canonical(lines), "results")?;
        if args.shard.is_none() {
            for file in write_summary(&spec, &args.experiment, &out, &out_dir)? {
                if !args.quiet {
                    eprintln!("wrote {}", file.display());
                }
            }
        }
    }
    if args.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    if complete {
        eprintln!(
            "{} runs done in {:.1} s; all {} results in {}",
            todo.len(),
            started.elapsed().as_secs_f64(),
            mine.len(),
            out.display()
        );
    } else {
        eprintln!(
            "{} runs done in {:.1} s; {have} of {} results in {}; run again with --resume for the rest",
            todo.len(),
            started.elapsed().as_secs_f64(),
            mine.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub(crate) struct SummarizeArgs {
    /// The experiment file (TOML) whose results to summarise.
    experiment: PathBuf,
    /// The results (default: results.jsonl in --out).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Directory for the summary and its figures (default: the experiment file's directory).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `rollsim summarize EXPERIMENT.toml [--results FILE] [--out DIR]`: the summary (and
/// figures) of a finished sweep, e.g. after `merge`, without running anything.
pub(crate) fn summarize(args: &SummarizeArgs) -> Result<ExitCode, String> {
    let spec = load_experiment(&args.experiment)?;
    let base = args.experiment.parent().unwrap_or(Path::new("."));
    let out_dir = args.out.clone().unwrap_or_else(|| base.to_path_buf());
    let results = args
        .results
        .clone()
        .unwrap_or_else(|| out_dir.join("results.jsonl"));
    for file in write_summary(&spec, &args.experiment, &results, &out_dir)? {
        eprintln!("wrote {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `summary.csv` of `results` into `out_dir`, and the figures of the experiment's
/// `[report]` if it has one; returns the files written.
fn write_summary(
    spec: &ExperimentSpec,
    experiment: &Path,
    results: &Path,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, String> {
    let text = read_results(results)?;
    let rows = crate::plan::summary::summarize(&text)
        .map_err(|e| format!("{}: {e}", results.display()))?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let csv = out_dir.join("summary.csv");
    write_atomically(&csv, &crate::plan::summary::to_csv(&rows), "summary")?;
    let mut written = vec![csv];
    if let Some(report) = &spec.report {
        let folder = std::fs::canonicalize(experiment)
            .ok()
            .and_then(|p| {
                p.parent()?
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "sweep".to_string());
        let title = report.title.clone().unwrap_or(folder);
        written.extend(crate::report::plot::plot_sweep(
            &rows, report, &title, out_dir,
        )?);
    }
    Ok(written)
}

pub(crate) fn merge(args: &MergeArgs) -> Result<ExitCode, String> {
    let mut lines = Vec::new();
    for path in &args.files {
        let text = read_results(path)?;
        lines.extend(text.lines().map(str::to_string));
    }
    let merged = sweep::canonical(lines);
    write_atomically(&args.out, &merged, "merged results")?;
    eprintln!(
        "{} results in {}",
        merged.lines().count(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to a new temporary file beside `path`, then renames it over `path`
/// (the `kind` file, for messages). A link or something other than a regular file at
/// `path` is refused; a stale temporary file (or a link left in its place) is removed,
/// never written through.
fn write_atomically(path: &Path, text: &str, kind: &str) -> Result<(), String> {
    check_writable(path, kind)?;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("{}: {e}", tmp.display()));
        }
        _ => {}
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

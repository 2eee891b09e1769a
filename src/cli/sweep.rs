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

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use rayon::prelude::*;

use crate::plan::sweep::{self, ExperimentSpec, MAX_RUNS, RunKey};
use crate::scenario;

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

fn load_experiment(path: &Path) -> Result<ExperimentSpec, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the experiment file: {e}", path.display()))?;
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
    let (source, model_file) = if spec.model == "builtin" {
        (DEFAULT_MODEL.to_string(), PathBuf::from(DEFAULT_MODEL_NAME))
    } else {
        let path = base.join(&spec.model);
        scenario::load(&path).map_err(|e| e.to_string())?;
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        (text, path)
    };
    if spec.runs == 0 || spec.runs > MAX_RUNS {
        return Err(format!(
            "{}: field `runs`: must be between 1 and {MAX_RUNS}, got {}",
            args.experiment.display(),
            spec.runs
        ));
    }
    let points = sweep::points(&spec).map_err(|e| format!("{}: {e}", args.experiment.display()))?;
    // Every point's model is built and checked before anything runs.
    let models: Vec<scenario::Scenario> = points
        .iter()
        .map(|p| sweep::model_of(&source, &model_file, p))
        .collect::<Result<_, _>>()?;
    let first_seed = spec.seed.unwrap_or(models[0].seed);
    let all = sweep::runs(&points, spec.runs, first_seed);
    if all.len() > MAX_RUNS {
        return Err(format!(
            "the experiment expands to {} runs; at most {MAX_RUNS}",
            all.len()
        ));
    }
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
    let existing: Vec<String> = match std::fs::read_to_string(&out) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
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
    std::fs::write(&out, &kept).map_err(|e| format!("{}: {e}", out.display()))?;
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
        let line = sweep::run_one(&models[key.point], &points[key.point], *key).to_string();
        bar.inc(1);
        let mut file = file.lock().map_err(|_| "a writer panicked".to_string())?;
        writeln!(file, "{line}")
            .and_then(|()| file.flush())
            .map_err(|e| format!("{}: {e}", out.display()))
    });
    bar.finish_and_clear();
    written?;
    drop(file);
    let lines: Vec<String> = std::fs::read_to_string(&out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .lines()
        .map(str::to_string)
        .collect();
    let have = lines
        .iter()
        .filter_map(|l| sweep::key_of(l))
        .filter(|k| mine.contains(k))
        .count();
    let complete = have == mine.len();
    if complete {
        write_atomically(&out, &sweep::canonical(lines))?;
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
    let text =
        std::fs::read_to_string(results).map_err(|e| format!("{}: {e}", results.display()))?;
    let rows = crate::plan::summary::summarize(&text)
        .map_err(|e| format!("{}: {e}", results.display()))?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let csv = out_dir.join("summary.csv");
    std::fs::write(&csv, crate::plan::summary::to_csv(&rows))
        .map_err(|e| format!("{}: {e}", csv.display()))?;
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
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        lines.extend(text.lines().map(str::to_string));
    }
    let merged = sweep::canonical(lines);
    write_atomically(&args.out, &merged)?;
    eprintln!(
        "{} results in {}",
        merged.lines().count(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

//! `rollsim sweep EXPERIMENT.toml [--out DIR] [--resume] [--shard K/N] [--limit N]`,
//! `rollsim merge FILE… --out FILE [--allow-partial]` and `rollsim summarize
//! EXPERIMENT.toml [--allow-partial]`.
//!
//! Results stream to `DIR/results.jsonl` (`results-K-of-N.jsonl` for a shard), one JSON
//! line per run, each written whole and flushed as its run finishes, so an interrupted
//! sweep keeps what it finished. A sweep (and a merge) holds `FILE.lock` beside the
//! results file it writes ([`super::lock`]): a second one on the same file is refused. Every
//! line carries its sweep's fingerprint (`plan::fingerprint`); `--resume` checks the
//! file's lines are of this very sweep and runs only what is missing (a last line cut
//! short by the interruption is dropped, and said; any other bad line is refused).
//! When a sweep (or shard) has every run, its file is rewritten in canonical order, so
//! it is the same bytes however many threads, shards or resumptions made it, and
//! `merge` of the shards' files equals the unsharded file. `merge` and `summarize`
//! check their input makes one sweep (`plan::results`: no other sweep's lines, no
//! conflicting duplicates, no garbage) and is complete, or say exactly which runs are
//! missing (refused unless `--allow-partial`). A finished unsharded sweep also writes
//! `summary.csv` (per point and metric, the mean and 95% interval over seeds) and, if
//! the experiment has a `[report]`, its figures; `summarize` writes them from any
//! results file (e.g. merged shards) of the experiment.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Args;
use rayon::prelude::*;

use crate::Error;
use crate::metrics::json::SweepStamp;
use crate::plan::fingerprint::{self, describe_difference};
use crate::plan::results::{self, Checked, CutLine, ResultsFile};
use crate::plan::sweep::{self, ExperimentSpec, Grid, MAX_RUNS, RunKey};
use crate::scenario::files::{check_writable, read_bounded};
use crate::scenario::{self, ModelText};

use super::lock::ResultsLock;
use super::run::{DEFAULT_MODEL, DEFAULT_MODEL_NAME};

/// Missing runs named by example in a refusal.
const EXAMPLES: usize = 5;

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
    /// No summary on stderr, and no progress (as --progress never) unless --progress always.
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
    /// Merge even if runs of the sweep are missing (they are listed on stderr).
    #[arg(long)]
    allow_partial: bool,
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
fn read_results(path: &Path) -> Result<String, Error> {
    Ok(read_bounded(path, "results", MAX_RESULTS_BYTES)?)
}

fn load_experiment(path: &Path) -> Result<ExperimentSpec, Error> {
    let text = read_bounded(path, "experiment", scenario::MAX_FILE_BYTES)?;
    let deserializer = toml::Deserializer::parse(&text).map_err(|e| {
        Error::BadInput(format!(
            "{}: not valid TOML: {}",
            path.display(),
            e.message()
        ))
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        Error::BadInput(format!(
            "{}: field `{}`: {}",
            path.display(),
            e.path(),
            e.inner().message().trim()
        ))
    })
}

/// An experiment ready to run or to check results against.
struct Prepared {
    spec: ExperimentSpec,
    grid: Grid,
    /// The model's text and file (for messages).
    source: String,
    model_file: PathBuf,
    stamp: SweepStamp,
}

impl Prepared {
    /// The experiment's model, parsed (each point's overrides are applied to it).
    fn model(&self) -> Result<ModelText<'_>, Error> {
        Ok(ModelText::parse(&self.source, &self.model_file)?)
    }
}

/// Reads `experiment` and its model and fingerprints the sweep; with `checks` (a
/// sweep about to run), first builds every point's model and checks it, its work
/// estimate against those limits included; with none (a summary of results already
/// made), checks nothing more.
fn prepare(
    experiment: &Path,
    checks: Option<&super::model_source::Force>,
) -> Result<Prepared, Error> {
    let spec = load_experiment(experiment)?;
    let base = experiment.parent().unwrap_or(Path::new("."));
    if spec.runs == 0 || spec.runs > MAX_RUNS {
        return Err(Error::BadInput(format!(
            "{}: field `runs`: must be between 1 and {MAX_RUNS}, got {}",
            experiment.display(),
            spec.runs
        )));
    }
    // Counted before anything is built: points are made one at a time from here on.
    let grid = Grid::new(&spec).map_err(|e| e.context(experiment.display()))?;
    sweep::run_count(grid.len(), spec.runs).map_err(|e| e.context(experiment.display()))?;
    let (source, model_file) = if spec.model == "builtin" {
        (DEFAULT_MODEL.to_string(), PathBuf::from(DEFAULT_MODEL_NAME))
    } else {
        let path = base.join(&spec.model);
        (scenario::read(&path)?, path)
    };
    // Read once and parsed once; a point's model is this one with its overrides,
    // checked (the model's own error is reported as the file's).
    let model = ModelText::parse(&source, &model_file)?;
    // Every point's model is built and checked, its work estimate included, before
    // anything runs (and dropped: each run builds its own again).
    let model_of = |point: usize| {
        let built = sweep::model_of(&model, &grid.point(point))?;
        if let Some(force) = checks {
            force
                .check(&built, &model_file)
                .map_err(|e| e.context(format!("point {} of the grid", point + 1)))?;
        }
        Ok::<_, Error>(built)
    };
    let first_seed = match spec.seed {
        Some(seed) => seed,
        None => model_of(0)?.seed,
    };
    if checks.is_some()
        && let Some(error) = (0..grid.len())
            .into_par_iter()
            .find_map_first(|point| model_of(point).err())
    {
        return Err(error);
    }
    let stamp = fingerprint::stamp(&source, &spec, grid.len(), first_seed)
        .map_err(|e| Error::BadInput(format!("{}: {e}", model_file.display())))?;
    Ok(Prepared {
        spec,
        grid,
        source,
        model_file,
        stamp,
    })
}

/// The runs of `out` (a results file of the sweep `ours`, being resumed), checked: a
/// last line cut short is dropped (and said), anything else wrong is refused.
fn resumable<'a>(out: &Path, text: &'a str, ours: &SweepStamp) -> Result<Checked<'a>, Error> {
    let file = ResultsFile {
        name: out.display().to_string(),
        text,
    };
    let checked = results::check(&[file], CutLine::Drop)?;
    if let Some(at) = &checked.dropped {
        eprintln!(
            "note: {at}: dropped a last line cut short (an interrupted write); its run runs again"
        );
    }
    match &checked.stamp {
        None if !checked.lines.is_empty() => Err(Error::BadInput(format!(
            "{}: these results were written by an earlier rollsim, without a sweep \
             fingerprint, so they cannot be checked to be of this sweep; move the file \
             away and run the sweep again",
            out.display()
        ))),
        Some(theirs) if theirs != ours => Err(Error::BadInput(format!(
            "{} holds results of another sweep ({}; the file's vs this experiment's); \
             --resume only continues the same sweep: choose another --out or move the \
             file away",
            out.display(),
            describe_difference(theirs, ours)
        ))),
        _ => Ok(checked),
    }
}

pub(crate) fn run(args: &SweepArgs) -> Result<(), Error> {
    let prepared = prepare(&args.experiment, Some(&args.force))?;
    let Prepared {
        spec, grid, stamp, ..
    } = &prepared;
    let base = args.experiment.parent().unwrap_or(Path::new("."));
    let all = sweep::runs(grid.len(), spec.runs, stamp.first_seed)?;
    let (mine, file_name) = match &args.shard {
        Some(text) => {
            let (k, n) = parse_shard(text).map_err(Error::BadInput)?;
            (
                sweep::shard(&all, k, n),
                format!("results-{k}-of-{n}.jsonl"),
            )
        }
        None => (all.clone(), "results.jsonl".to_string()),
    };
    let out_dir = args.out.clone().unwrap_or_else(|| base.to_path_buf());
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Error::Failed(format!("{}: {e}", out_dir.display())))?;
    let out = out_dir.join(file_name);
    // Held until this function returns, whichever way.
    let _lock = ResultsLock::take(&out)?;
    // Never through a link, never a device or FIFO, and a file that cannot be read is
    // an error rather than results to overwrite.
    let existing = if check_writable(&out, "results")? {
        read_results(&out)?
    } else {
        String::new()
    };
    if !existing.trim().is_empty() && !args.resume {
        return Err(Error::BadInput(format!(
            "{} already has results; add --resume to keep them and run the rest, or choose another --out",
            out.display()
        )));
    }
    let kept = resumable(&out, &existing, stamp)?;
    write_atomically(&out, &kept.canonical(), "results")?;
    let mut todo: Vec<RunKey> = mine
        .iter()
        .copied()
        .filter(|k| !kept.lines.contains_key(k))
        .collect();
    if let Some(limit) = args.limit {
        todo.truncate(limit);
    }
    let started = Instant::now();
    let file = Mutex::new(
        OpenOptions::new()
            .append(true)
            .open(&out)
            .map_err(|e| Error::Failed(format!("{}: {e}", out.display())))?,
    );
    let model = prepared.model()?;
    let bar = super::progress::bar(Some(todo.len() as u64), args.quiet, "runs");
    let done = AtomicUsize::new(0);
    // Ctrl-C from here on: no new run starts, those under way end and are written.
    super::interrupt::finish_what_runs();
    let written: Result<(), Error> = todo.par_iter().with_max_len(1).try_for_each(|key| {
        if super::interrupt::interrupted() {
            return Err(Error::Interrupted(String::new()));
        }
        let point = grid.point(key.point);
        let model = sweep::model_of(&model, &point)?;
        // One write of the whole line: an interruption cuts at most the last line.
        let line = sweep::run_one(&model, &point, *key, stamp).to_line() + "\n";
        bar.inc(1);
        let mut file = file
            .lock()
            .map_err(|_| Error::failed("a sweep's worker panicked while writing"))?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| Error::Failed(format!("{}: {e}", out.display())))?;
        done.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    bar.finish_and_clear();
    let interrupted = match written {
        Err(Error::Interrupted(_)) => true,
        other => {
            other?;
            false
        }
    };
    drop(file);
    let now = read_results(&out)?;
    let file = ResultsFile {
        name: out.display().to_string(),
        text: &now,
    };
    let checked = results::check(&[file], CutLine::Refuse)?;
    let have = mine
        .iter()
        .filter(|k| checked.lines.contains_key(k))
        .count();
    let complete = have == mine.len();
    if interrupted && !complete {
        return Err(Error::Interrupted(format!(
            "interrupted by SIGINT: {} runs done in {:.1} s; {have} of {} results in {}; run \
             again with --resume for the rest",
            done.load(Ordering::Relaxed),
            started.elapsed().as_secs_f64(),
            mine.len(),
            out.display()
        )));
    }
    if complete {
        let canonical = checked.canonical();
        write_atomically(&out, &canonical, "results")?;
        if args.shard.is_none() {
            for file in write_summary(spec, &args.experiment, &canonical, &out_dir)? {
                if !args.quiet {
                    eprintln!("wrote {}", file.display());
                }
            }
        }
    }
    if args.quiet {
        return Ok(());
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
    Ok(())
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
    /// Summarise even if runs of the sweep are missing (they are listed on stderr).
    #[arg(long)]
    allow_partial: bool,
}

/// `rollsim summarize EXPERIMENT.toml [--results FILE] [--out DIR] [--allow-partial]`:
/// the summary (and figures) of a finished sweep of the experiment, e.g. after
/// `merge`, without running anything. Results of another sweep (another model content,
/// grid, seeds…) are refused, and so are incomplete ones unless `--allow-partial`. A
/// results file written before sweeps were fingerprinted is summarised alone, as it is,
/// with a note that it could not be checked.
pub(crate) fn summarize(args: &SummarizeArgs) -> Result<(), Error> {
    let prepared = prepare(&args.experiment, None)?;
    let base = args.experiment.parent().unwrap_or(Path::new("."));
    let out_dir = args.out.clone().unwrap_or_else(|| base.to_path_buf());
    let path = args
        .results
        .clone()
        .unwrap_or_else(|| out_dir.join("results.jsonl"));
    let text = read_results(&path)?;
    let file = ResultsFile {
        name: path.display().to_string(),
        text: &text,
    };
    let checked = results::check(&[file], CutLine::Refuse)?;
    if checked.lines.is_empty() {
        return Err(Error::BadInput(format!(
            "{}: no result lines to summarise",
            path.display()
        )));
    }
    match &checked.stamp {
        None => eprintln!(
            "note: {}: written by an earlier rollsim, without sweep fingerprints: summarised \
             as it is, not checked to be complete or of {}",
            path.display(),
            args.experiment.display()
        ),
        Some(theirs) if *theirs != prepared.stamp => {
            return Err(Error::BadInput(format!(
                "{} holds results of another sweep than {} ({}; the results' vs the \
                 experiment's): summarise them with the experiment that made them",
                path.display(),
                args.experiment.display(),
                describe_difference(theirs, &prepared.stamp)
            )));
        }
        Some(_) => {
            let missing = checked.missing();
            if !missing.runs.is_empty() {
                let said = missing.describe(&checked, EXAMPLES);
                if !args.allow_partial {
                    return Err(Error::BadInput(format!(
                        "{}: {said}\nsummarize needs every run: merge or finish the rest \
                         (`rollsim sweep … --resume`), or pass --allow-partial to summarise \
                         what there is",
                        path.display()
                    )));
                }
                eprintln!(
                    "warning: {}: {said}\nsummarised the runs present (`n` in summary.csv \
                     says how many each point has)",
                    path.display()
                );
            }
        }
    }
    for file in write_summary(
        &prepared.spec,
        &args.experiment,
        &checked.canonical(),
        &out_dir,
    )? {
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}

/// Writes `summary.csv` of `results` (a checked, canonical results text) into
/// `out_dir`, and the figures of the experiment's `[report]` if it has one; returns the
/// files written.
fn write_summary(
    spec: &ExperimentSpec,
    experiment: &Path,
    results: &str,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let rows = crate::plan::summary::summarize(results)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::Failed(format!("{}: {e}", out_dir.display())))?;
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

/// `rollsim merge FILE… --out FILE [--allow-partial]`: the files' runs in one
/// canonical file, once they are checked to make one sweep and to be complete.
pub(crate) fn merge(args: &MergeArgs) -> Result<(), Error> {
    // Not into a file a sweep (or another merge) is writing, nor through a link.
    let _lock = ResultsLock::take(&args.out)?;
    check_writable(&args.out, "merged results")?;
    let texts: Vec<String> = args
        .files
        .iter()
        .map(|path| read_results(path))
        .collect::<Result<_, _>>()?;
    let files: Vec<ResultsFile<'_>> = args
        .files
        .iter()
        .zip(&texts)
        .map(|(path, text)| ResultsFile {
            name: path.display().to_string(),
            text,
        })
        .collect();
    let checked = results::check(&files, CutLine::Refuse)?;
    let names = || {
        let names: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
        names.join(", ")
    };
    if checked.lines.is_empty() {
        return Err(Error::BadInput(format!("no result lines in {}", names())));
    }
    if checked.stamp.is_none() {
        let first = checked.first_at().unwrap_or_default();
        return Err(Error::BadInput(format!(
            "{first}: no sweep fingerprint (written by an earlier rollsim): merge cannot \
             check that {} are of one sweep and complete; run the sweep (or its shards) \
             again with this version (`summarize` still reads an old results file alone)",
            names()
        )));
    }
    let missing = checked.missing();
    if !missing.runs.is_empty() {
        let said = missing.describe(&checked, EXAMPLES);
        if !args.allow_partial {
            return Err(Error::BadInput(format!(
                "the merge would be incomplete: {said}\ngive the missing shards' files \
                 too, finish them (`rollsim sweep EXPERIMENT --shard K/N --resume`), or pass \
                 --allow-partial to merge what there is"
            )));
        }
        eprintln!("warning: a partial merge: {said}");
    }
    if checked.identical_duplicates > 0 {
        eprintln!(
            "note: {} runs were given more than once, with identical lines: kept once",
            checked.identical_duplicates
        );
    }
    write_atomically(&args.out, &checked.canonical(), "merged results")?;
    let partial = if missing.runs.is_empty() {
        String::new()
    } else {
        format!(
            " (partial: {} of the sweep's {} runs absent)",
            missing.runs.len(),
            missing.total
        )
    };
    eprintln!(
        "{} results in {}{partial}",
        checked.lines.len(),
        args.out.display()
    );
    Ok(())
}

/// Writes `text` to a new temporary file beside `path`, then renames it over `path`
/// (the `kind` file, for messages). A link or something other than a regular file at
/// `path` is refused; a stale temporary file (or a link left in its place) is removed,
/// never written through.
fn write_atomically(path: &Path, text: &str, kind: &str) -> Result<(), Error> {
    check_writable(path, kind)?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::BadInput(format!("{}: not a file name", path.display())))?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Error::Failed(format!("{}: {e}", tmp.display())));
        }
        _ => {}
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::Failed(format!("{}: {e}", tmp.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::Failed(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::Failed(format!("{}: {e}", path.display())))
}

//! Reading a sweep's results files and checking they make one sweep, before `merge`,
//! `summarize` or `--resume` use them.
//!
//! [`check`] reads every non-blank line of every file as a [`ResultLine`] and refuses,
//! naming `file:line`:
//! - a line that is not a result line (garbage, a TOML file, a line cut short): only a
//!   cut *last* line without its newline, what an interrupted sweep leaves, may be
//!   dropped, and only where the caller allows it ([`CutLine::Drop`], for `--resume`);
//! - lines of different sweeps (different [`SweepStamp`]s), saying what differs;
//! - lines without a stamp (written before sweeps were fingerprinted) beside lines with
//!   one, and a run that is not one of its sweep's (a point or seed out of range);
//! - the same run (point and seed) twice with different contents, or one point with two
//!   different sets of overrides. The same run twice with the same bytes is kept once.
//!
//! It returns the runs in canonical order ([`Checked::canonical`]). [`Checked::missing`]
//! then lists the runs of the sweep that no file has, by shard when the files are
//! shards (`--shard K/N` writes every N-th run from the K-th).

use std::collections::BTreeMap;

use crate::Error;
use crate::metrics::json::{ResultLine, SweepStamp};

use super::fingerprint::{describe_difference, run_at, run_index, run_total};
use super::sweep::RunKey;

/// What to do with a last line cut short (no newline, not valid): what a sweep killed
/// while writing leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CutLine {
    /// Refuse it like any other bad line.
    Refuse,
    /// Drop it (and say so in [`Checked::dropped`]).
    Drop,
}

/// Runs read from results files, checked to be of one sweep.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked<'a> {
    /// The sweep, or `None` for lines written before sweeps were fingerprinted (or no
    /// line at all).
    pub(crate) stamp: Option<SweepStamp>,
    /// Each run's line (without newline, borrowed from the files' text), by run.
    pub(crate) lines: BTreeMap<RunKey, &'a str>,
    /// Where each run was read: the file's index in `names` and the line's number.
    origin: BTreeMap<RunKey, (usize, usize)>,
    /// The files' names.
    names: Vec<String>,
    /// Runs found more than once with identical lines (kept once).
    pub(crate) identical_duplicates: usize,
    /// `file:line` of a cut last line dropped ([`CutLine::Drop`]).
    pub(crate) dropped: Option<String>,
}

/// One results file: its name (for messages) and its text.
pub(crate) struct ResultsFile<'a> {
    /// The path as the user gave it.
    pub(crate) name: String,
    /// Its contents.
    pub(crate) text: &'a str,
}

const EXPECTED: &str = "expected one JSON result line per run, as `rollsim sweep` writes \
                        (with `point`, `seed`, `rollouts` and `sweep`)";

/// Checks `files` are results of one sweep; see the module's documentation. Results
/// that are not are bad input.
pub(crate) fn check<'a>(files: &[ResultsFile<'a>], cut: CutLine) -> Result<Checked<'a>, Error> {
    check_files(files, cut).map_err(Error::BadInput)
}

fn check_files<'a>(files: &[ResultsFile<'a>], cut: CutLine) -> Result<Checked<'a>, String> {
    let mut checked = Checked {
        stamp: None,
        lines: BTreeMap::new(),
        origin: BTreeMap::new(),
        names: files.iter().map(|f| f.name.clone()).collect(),
        identical_duplicates: 0,
        dropped: None,
    };
    // The first line read with a stamp and the first without (file:line), to name them.
    let mut stamped_at: Option<String> = None;
    // The first stamped line's point, as words, to show how two grids differ.
    let mut first_point = String::new();
    let mut unstamped_at: Option<String> = None;
    let mut overrides: BTreeMap<usize, (String, String)> = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        let count = file.text.lines().count();
        for (number, text) in file.text.lines().enumerate() {
            let at = format!("{}:{}", file.name, number + 1);
            let text = text.strip_suffix('\r').unwrap_or(text);
            if text.trim().is_empty() {
                continue;
            }
            let line: ResultLine = match serde_json::from_str(text) {
                Ok(line) => line,
                Err(_)
                    if cut == CutLine::Drop
                        && number + 1 == count
                        && !file.text.ends_with('\n') =>
                {
                    checked.dropped = Some(at);
                    continue;
                }
                Err(e) => return Err(not_a_result_line(&at, file, text, &e)),
            };
            match (&line.sweep, &checked.stamp) {
                (None, _) => {
                    if let Some(first) = &stamped_at {
                        return Err(unstamped_beside_stamped(&at, first));
                    }
                    unstamped_at.get_or_insert_with(|| at.clone());
                }
                (Some(stamp), None) => {
                    if let Some(first) = &unstamped_at {
                        return Err(unstamped_beside_stamped(first, &at));
                    }
                    checked.stamp = Some(stamp.clone());
                    stamped_at = Some(at.clone());
                    first_point = point_in_words(line.point, &line.overrides);
                }
                (Some(stamp), Some(first)) if stamp != first => {
                    let first_at = stamped_at.as_deref().unwrap_or("the first line");
                    let points = if stamp.grid == first.grid {
                        String::new()
                    } else {
                        format!(
                            " ({first_at} is {first_point}; {at} is {})",
                            point_in_words(line.point, &line.overrides)
                        )
                    };
                    return Err(format!(
                        "{at} is a result of another sweep than {first_at}: {}{points}; results \
                         of different sweeps are never mixed: give only the files of one sweep",
                        describe_difference(first, stamp)
                    ));
                }
                _ => {}
            }
            let key = RunKey {
                point: line.point,
                seed: line.seed,
            };
            if let Some(stamp) = &checked.stamp
                && run_index(stamp, key).is_none()
            {
                return Err(format!(
                    "{at}: point {} seed {} is not a run of its sweep ({} points × {} seeds from {})",
                    key.point, key.seed, stamp.points, stamp.runs, stamp.first_seed
                ));
            }
            let written = serde_json::to_string(&line.overrides).unwrap_or_default();
            match overrides.get(&line.point) {
                Some((first, first_at)) if *first != written => {
                    return Err(format!(
                        "{at}: point {} has overrides {written}, but {first_at} gives it {first}: \
                         these are not results of one sweep",
                        line.point
                    ));
                }
                Some(_) => {}
                None => {
                    overrides.insert(line.point, (written, at.clone()));
                }
            }
            match checked.lines.get(&key) {
                Some(first) if *first == text => checked.identical_duplicates += 1,
                Some(_) => {
                    return Err(format!(
                        "{at} and {} both hold point {} seed {} with different results; a \
                         run is deterministic, so one of them is of another sweep or was \
                         altered: remove the wrong one",
                        checked.at(key).unwrap_or_default(),
                        key.point,
                        key.seed
                    ));
                }
                None => {
                    checked.lines.insert(key, text);
                    checked.origin.insert(key, (index, number + 1));
                }
            }
        }
    }
    Ok(checked)
}

fn unstamped_beside_stamped(unstamped: &str, stamped: &str) -> String {
    format!(
        "{unstamped} has no sweep fingerprint (written by an earlier rollsim) but {stamped} \
         has one: they cannot be checked to be of one sweep; rerun the old sweep with this \
         version"
    )
}

fn not_a_result_line(
    at: &str,
    file: &ResultsFile<'_>,
    text: &str,
    error: &serde_json::Error,
) -> String {
    let hint = if file.name.ends_with(".toml") || text.trim_start().starts_with('[') {
        " (this looks like TOML: an experiment or model file, not its results)"
    } else {
        ""
    };
    let shown: String = text.chars().take(60).collect();
    let more = if shown.len() < text.len() { "…" } else { "" };
    format!("{at}: not a sweep result line{hint}: {error}; {EXPECTED}; the line: {shown:?}{more}")
}

/// The runs of a sweep that none of the files has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Missing {
    /// How many runs the sweep has.
    pub(crate) total: usize,
    /// The runs absent, in canonical order.
    pub(crate) runs: Vec<RunKey>,
    /// When the files are shards of N: per shard K with runs absent, `(K, N, absent, of)`.
    pub(crate) shards: Vec<(usize, usize, usize, usize)>,
}

impl Checked<'_> {
    /// Where run `key` was read, as `file:line`.
    pub(crate) fn at(&self, key: RunKey) -> Option<String> {
        let (file, line) = self.origin.get(&key)?;
        Some(format!("{}:{line}", self.names[*file]))
    }

    /// Where the first run (in canonical order) was read, as `file:line`.
    pub(crate) fn first_at(&self) -> Option<String> {
        self.at(*self.lines.keys().next()?)
    }

    /// The canonical results file: every run's line in run order, each with a newline.
    pub(crate) fn canonical(&self) -> String {
        self.lines
            .values()
            .map(|line| format!("{line}\n"))
            .collect()
    }

    /// The runs of the sweep no file has (none without a stamp: then nothing is known
    /// of the sweep's size), by shard when the files read are shards.
    pub(crate) fn missing(&self) -> Missing {
        let Some(stamp) = &self.stamp else {
            return Missing {
                total: self.lines.len(),
                runs: Vec::new(),
                shards: Vec::new(),
            };
        };
        let total = run_total(stamp);
        let runs: Vec<RunKey> = (0..total)
            .map(|index| run_at(stamp, index))
            .filter(|key| !self.lines.contains_key(key))
            .collect();
        let shards = match (runs.is_empty(), self.shard_count(stamp)) {
            (false, Some(n)) => {
                let mut absent = vec![0usize; n];
                for key in &runs {
                    if let Some(index) = run_index(stamp, *key) {
                        absent[index % n] += 1;
                    }
                }
                absent
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| **a > 0)
                    .map(|(k, a)| (k + 1, n, *a, total / n + usize::from(k < total % n)))
                    .collect()
            }
            _ => Vec::new(),
        };
        Missing {
            total,
            runs,
            shards,
        }
    }

    /// N, if every file read is (part of) one shard of N > 1 with the same N: the runs
    /// of each file are every N-th, all in one class modulo N.
    fn shard_count(&self, stamp: &SweepStamp) -> Option<usize> {
        let mut by_file: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (key, (file, _)) in &self.origin {
            by_file
                .entry(*file)
                .or_default()
                .extend(run_index(stamp, *key));
        }
        let gcd = |mut a: usize, mut b: usize| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        let mut n = 0;
        for indices in by_file.values_mut() {
            indices.sort_unstable();
            for pair in indices.windows(2) {
                n = gcd(n, pair[1] - pair[0]);
            }
        }
        let one_class = |indices: &Vec<usize>| indices.iter().all(|i| i % n == indices[0] % n);
        (n > 1 && by_file.values().all(one_class)).then_some(n)
    }
}

impl Missing {
    /// What is missing, in words, with up to `examples` runs named by their point's
    /// overrides (from `checked`, where any seed of the point is present).
    pub(crate) fn describe(&self, checked: &Checked<'_>, examples: usize) -> String {
        let mut out = format!(
            "{} of the sweep's {} runs are absent",
            self.runs.len(),
            self.total
        );
        for (k, n, absent, of) in &self.shards {
            out.push_str(&format!(
                "\n  shard {k}/{n} (results-{k}-of-{n}.jsonl): {absent} of its {of} runs absent"
            ));
        }
        for key in self.runs.iter().take(examples) {
            out.push_str(&format!(
                "\n  e.g. {} seed {}",
                point_of(checked, key.point),
                key.seed
            ));
        }
        if self.runs.len() > examples {
            out.push_str(&format!("\n  … and {} more", self.runs.len() - examples));
        }
        out
    }
}

/// "point P (path=value, …)".
fn point_in_words(point: usize, overrides: &BTreeMap<String, serde_json::Value>) -> String {
    let parts: Vec<String> = overrides
        .iter()
        .map(|(k, v)| format!("{k}={}", super::summary::plain(v)))
        .collect();
    if parts.is_empty() {
        format!("point {point}")
    } else {
        format!("point {point} ({})", parts.join(", "))
    }
}

/// `point` in words, its overrides from any of its lines in `checked` (just its
/// number if none is there).
fn point_of(checked: &Checked<'_>, point: usize) -> String {
    let line = checked
        .lines
        .range(
            RunKey { point, seed: 0 }..=RunKey {
                point,
                seed: u64::MAX,
            },
        )
        .next()
        .and_then(|(_, text)| serde_json::from_str::<ResultLine>(text).ok());
    match line {
        Some(line) => point_in_words(point, &line.overrides),
        None => format!("point {point}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> SweepStamp {
        SweepStamp {
            fingerprint: "0123456789abcdef".into(),
            model: "m".into(),
            grid: "g".into(),
            points: 4,
            runs: 3,
            first_seed: 1,
        }
    }

    /// The lines of runs `indices` (of the canonical order) of [`stamp`]'s sweep.
    fn lines(indices: impl IntoIterator<Item = usize>) -> String {
        let s = stamp();
        indices
            .into_iter()
            .map(|i| {
                let key = run_at(&s, i);
                let line = ResultLine {
                    point: key.point,
                    seed: key.seed,
                    overrides: BTreeMap::from([("tag.p".into(), key.point.into())]),
                    rollouts: Vec::new(),
                    fidelity: None,
                    sampling_step: None,
                    week: None,
                    sweep: Some(s.clone()),
                };
                line.to_line() + "\n"
            })
            .collect()
    }

    fn file<'a>(name: &str, text: &'a str) -> ResultsFile<'a> {
        ResultsFile {
            name: name.into(),
            text,
        }
    }

    #[test]
    fn missing_runs_are_counted_per_shard_of_the_files_given() {
        let first = lines([0, 3, 6, 9]);
        let third_in_part = lines([2, 5]);
        let checked = check(
            &[file("one", &first), file("three", &third_in_part)],
            CutLine::Refuse,
        )
        .unwrap();
        let missing = checked.missing();
        assert_eq!(missing.total, 12);
        assert_eq!(missing.runs.len(), 6);
        assert_eq!(missing.shards, [(2, 3, 4, 4), (3, 3, 2, 4)]);
        let said = missing.describe(&checked, 2);
        assert!(said.contains("e.g. point 0 (tag.p=0) seed 2"), "{said}");
        assert!(said.contains("… and 4 more"), "{said}");
    }

    #[test]
    fn a_partial_unsharded_file_lists_its_missing_runs_without_shards() {
        let part = lines(0..7);
        let checked = check(&[file("part", &part)], CutLine::Refuse).unwrap();
        let missing = checked.missing();
        assert_eq!(
            missing.runs,
            (7..12).map(|i| run_at(&stamp(), i)).collect::<Vec<_>>()
        );
        assert!(missing.shards.is_empty());
        assert_eq!(
            check(&[file("all", &lines(0..12))], CutLine::Refuse)
                .unwrap()
                .missing()
                .runs,
            []
        );
    }

    #[test]
    fn only_a_cut_last_line_may_be_dropped() {
        let whole = lines(0..2);
        let cut = format!("{whole}{{\"point\":2,\"se");
        assert!(
            check(&[file("f", &cut)], CutLine::Refuse)
                .unwrap_err()
                .to_string()
                .starts_with("f:3: not a sweep result line")
        );
        let kept = check(&[file("f", &cut)], CutLine::Drop).unwrap();
        assert_eq!(kept.dropped.as_deref(), Some("f:3"));
        assert_eq!(kept.canonical(), whole);
        let ended = format!("{cut}\n");
        assert!(
            check(&[file("f", &ended)], CutLine::Drop).is_err(),
            "a whole bad line"
        );
    }

    #[test]
    fn a_run_outside_its_sweep_or_a_point_with_two_overrides_is_refused() {
        let outside = lines([0]).replace("\"seed\":1", "\"seed\":9");
        let error = check(&[file("f", &outside)], CutLine::Refuse)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("f:1: point 0 seed 9 is not a run of its sweep"),
            "{error}"
        );
        let relabelled = lines([1]).replace("\"tag.p\":0", "\"tag.p\":5");
        let both = lines([0]) + &relabelled;
        let error = check(&[file("f", &both)], CutLine::Refuse)
            .unwrap_err()
            .to_string();
        assert!(error.contains("f:2: point 0 has overrides"), "{error}");
    }
}

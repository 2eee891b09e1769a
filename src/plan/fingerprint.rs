//! A sweep's fingerprint: what makes result lines parts of one sweep, so results of
//! different sweeps are never merged or summarised together.
//!
//! Two runs belong to the same sweep when they come from the same model content, the
//! same overrides (`set`, `grid` and `points` of the experiment), the same number of
//! points, seeds per point and first seed. [`stamp`] hashes each part and the whole
//! with 64-bit FNV-1a (the same on every machine and every build, unlike std's
//! randomly keyed hasher) and returns the [`SweepStamp`] every result line carries.
//! The model is hashed as data: its TOML read into a table and written as JSON with
//! sorted keys, so comments and layout do not change it but any value does.
//! [`differences`] says, for two stamps, which of those inputs differ.

use serde_json::Value as Json;

use crate::metrics::json::SweepStamp;

use super::sweep::{ExperimentSpec, RunKey};

/// 64-bit FNV-1a of `bytes`.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

fn hex(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a_64(bytes))
}

/// The stamp of the sweep of `spec` over the model `source` (TOML text), with
/// `points` points and seeds from `first_seed`.
pub(crate) fn stamp(
    source: &str,
    spec: &ExperimentSpec,
    points: usize,
    first_seed: u64,
) -> Result<SweepStamp, String> {
    let table: toml::Table =
        toml::from_str(source).map_err(|e| format!("not valid TOML: {}", e.message()))?;
    let model = hex(canonical_json(&table)?.as_bytes());
    let overrides = serde_json::json!({
        "set": to_json(&spec.set)?,
        "grid": to_json(&spec.grid)?,
        "points": to_json(&spec.points)?,
    });
    let grid = hex(overrides.to_string().as_bytes());
    let runs = spec.runs;
    let whole = format!(
        "rollsim sweep 1\nmodel {model}\ngrid {grid}\npoints {points}\nruns {runs}\nfirst_seed {first_seed}\n"
    );
    Ok(SweepStamp {
        fingerprint: hex(whole.as_bytes()),
        model,
        grid,
        points,
        runs,
        first_seed,
    })
}

fn to_json(value: &impl serde::Serialize) -> Result<Json, String> {
    serde_json::to_value(value).map_err(|e| format!("cannot fingerprint the sweep: {e}"))
}

/// `value` as JSON text with sorted keys (serde_json's map is ordered).
fn canonical_json(value: &impl serde::Serialize) -> Result<String, String> {
    to_json(value).map(|json| json.to_string())
}

/// The position of `key` in the sweep's canonical run order, if it is a run of it.
pub(crate) fn run_index(stamp: &SweepStamp, key: RunKey) -> Option<usize> {
    let offset = key.seed.wrapping_sub(stamp.first_seed);
    (key.point < stamp.points && offset < stamp.runs as u64)
        .then(|| key.point * stamp.runs + offset as usize)
}

/// The run at `index` of the sweep's canonical order (inverse of [`run_index`]).
pub(crate) fn run_at(stamp: &SweepStamp, index: usize) -> RunKey {
    RunKey {
        point: index / stamp.runs,
        seed: stamp.first_seed.wrapping_add((index % stamp.runs) as u64),
    }
}

/// How many runs the sweep has.
pub(crate) fn run_total(stamp: &SweepStamp) -> usize {
    stamp.points.saturating_mul(stamp.runs)
}

/// In words, what differs between the sweeps of stamps `a` and `b` (empty if only the
/// fingerprint does, i.e. a line was edited by hand).
pub(crate) fn differences(a: &SweepStamp, b: &SweepStamp) -> Vec<String> {
    let mut out = Vec::new();
    if a.model != b.model {
        out.push(format!(
            "the model's content (model {} vs {})",
            a.model, b.model
        ));
    }
    if a.grid != b.grid {
        out.push(format!(
            "the experiment's set, grid or points (grid {} vs {})",
            a.grid, b.grid
        ));
    }
    if a.points != b.points {
        out.push(format!(
            "the number of points ({} vs {})",
            a.points, b.points
        ));
    }
    if a.runs != b.runs {
        out.push(format!("runs per point ({} vs {})", a.runs, b.runs));
    }
    if a.first_seed != b.first_seed {
        out.push(format!(
            "the first seed ({} vs {})",
            a.first_seed, b.first_seed
        ));
    }
    out
}

/// A one-line account of how `a` and `b` differ.
pub(crate) fn describe_difference(a: &SweepStamp, b: &SweepStamp) -> String {
    let what = differences(a, b);
    if what.is_empty() {
        format!(
            "fingerprints {} and {} differ though their inputs agree (an edited line?)",
            a.fingerprint, b.fingerprint
        )
    } else {
        format!(
            "fingerprints {} and {} differ in {}",
            a.fingerprint,
            b.fingerprint,
            what.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ExperimentSpec {
        toml::from_str(text).unwrap()
    }

    const MODEL: &str = "duration = \"15m\" # a comment\n[traffic]\nrate = \"300/s\"\n";

    #[test]
    fn fnv1a_matches_its_published_test_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_fingerprint_follows_the_sweep_not_the_layout_of_its_files() {
        let base =
            spec("model = \"m.toml\"\nruns = 3\n[grid]\n\"rollout.red_black.bake\" = [\"6m\"]\n");
        let a = stamp(MODEL, &base, 1, 1).unwrap();
        assert_eq!(a.fingerprint.len(), 16);
        let relaid = "traffic = { rate = \"300/s\" }\n\nduration   = \"15m\"\n";
        assert_eq!(stamp(relaid, &base, 1, 1).unwrap(), a, "comments and order");
        let other_model = MODEL.replace("300/s", "301/s");
        let b = stamp(&other_model, &base, 1, 1).unwrap();
        assert_ne!(b.fingerprint, a.fingerprint);
        assert_eq!(differences(&a, &b).len(), 1);
        assert!(differences(&a, &b)[0].contains("model's content"));
        let seven =
            spec("model = \"m.toml\"\nruns = 3\n[grid]\n\"rollout.red_black.bake\" = [\"7m\"]\n");
        let c = stamp(MODEL, &seven, 1, 2).unwrap();
        let said = describe_difference(&a, &c);
        assert!(
            said.contains("set, grid or points") && said.contains("first seed (1 vs 2)"),
            "{said}"
        );
    }

    #[test]
    fn runs_are_numbered_in_canonical_order() {
        let s = stamp(MODEL, &spec("model = \"m.toml\"\nruns = 3\n"), 2, u64::MAX).unwrap();
        assert_eq!(run_total(&s), 6);
        for index in 0..6 {
            assert_eq!(run_index(&s, run_at(&s, index)), Some(index));
        }
        assert_eq!(run_at(&s, 1).seed, 0, "seeds wrap as the sweep's do");
        assert_eq!(run_index(&s, RunKey { point: 2, seed: 0 }), None);
        assert_eq!(run_index(&s, RunKey { point: 0, seed: 2 }), None);
    }
}

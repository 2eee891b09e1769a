//! A study's claims, stated in its README in a machine-readable block and checked
//! against its results: each claim names the sentence it backs, the sweep point (or
//! points) and runs it rests on, a statistic of one metric over those runs, and the
//! value or interval the recomputed statistic must fall in. `tests/study_claims_hold.rs`
//! checks every study's block against its `results.jsonl`.
//!
//! # The block
//! A fenced block whose info string is `claims`, holding TOML: a list of `[[claim]]`
//! tables with
//! - `text`: the sentence (or the part of it) the claim backs;
//! - `point`: the overrides that select the runs, as in `results.jsonl` (a table whose
//!   keys are override paths, e.g. `{ "tag.load" = "80%", "rollout.strategy" =
//!   "red-black" }`, matching every point whose overrides have those values; or a list
//!   of such tables, the union of their runs). Every key must be an override of the
//!   results (a misspelt key selects nothing and is refused);
//! - `condition` (optional): a predicate a run must meet to count, e.g.
//!   `outcome == "promoted"` (missed runs only);
//! - `statistic`: `mean`, `max` or `min` of `metric` over the runs; `k_of_n`: how many
//!   runs meet `predicate` (`n` then required: the runs counted); `ci95_low` or
//!   `ci95_high`: an end of the interval the summary gives `metric` over those runs
//!   ([`Estimate::of_scale`]);
//! - `metric`: a metric of the result lines (`failed_requests`, `detection_time`, …) or
//!   `promoted` / `rolled_back` (1 or 0 per run); required but for `k_of_n`;
//! - `value`: the number the statistic must equal within `tolerance` (default 0), or
//!   `[low, high]` it must lie in (both ends included);
//! - `n` (optional but for `k_of_n`): how many runs the statistic is over;
//! - `paired_with` (optional): another point (one run per seed): each selected run is
//!   paired with that point's run of the same seed (common random numbers), and the
//!   metric and the predicate's numeric fields are the differences, this run's minus its
//!   pair's;
//! - `rollout` (optional, default 0): which rollout of the model.
//!
//! # Predicates
//! `FIELD OP VALUE`, joined by `and`: `OP` one of `==`, `!=`, `<`, `<=`, `>`, `>=`;
//! `VALUE` a number, a double-quoted string, `true`, `false` or `null`. Fields: every
//! numeric metric (`null` where a run has none, e.g. a detection time without a
//! rollback: a comparison with a number is then false), `rolled_back` and `promoted`
//! (true or false), `outcome`, `strategy`, `layer`, `rollback_path` (strings), `seed`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::Error;
use crate::metrics::json::{ResultLine, RolloutJson};
use crate::stats::{Estimate, Scale};

/// One claim of a study.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The sentence it backs.
    pub text: String,
    /// The metric the statistic is of (not needed by `k_of_n`).
    #[serde(default)]
    pub metric: Option<String>,
    /// The overrides selecting the runs: a table, or a list of tables (their union).
    pub point: Json,
    /// Runs of the selection that count.
    #[serde(default)]
    pub condition: Option<String>,
    /// What is computed over the runs.
    pub statistic: Statistic,
    /// What `k_of_n` counts.
    #[serde(default)]
    pub predicate: Option<String>,
    /// The value, or `[low, high]`.
    pub value: Expected,
    /// How far from `value` the statistic may be.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// Runs the statistic is over.
    #[serde(default)]
    pub n: Option<usize>,
    /// Another selection whose runs pair with these by seed: statistics of differences.
    #[serde(default)]
    pub paired_with: Option<Json>,
    /// The rollout's index in the model.
    #[serde(default)]
    pub rollout: usize,
}

/// The statistic a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// Mean of the metric.
    Mean,
    /// Largest value of the metric.
    Max,
    /// Smallest value of the metric.
    Min,
    /// Runs meeting the predicate (of `n`).
    KOfN,
    /// Lower end of the metric's 95% interval, as the summary draws it.
    Ci95Low,
    /// Upper end of the metric's 95% interval, as the summary draws it.
    Ci95High,
}

/// What a recomputed statistic must be.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Expected {
    /// This value (within the claim's tolerance).
    Value(f64),
    /// Within these ends.
    Within([f64; 2]),
}

/// A claim checked: what the statistic came to, over how many runs, and whether it
/// holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The recomputed statistic.
    pub value: f64,
    /// Runs it is over.
    pub n: usize,
    /// Whether value (and `n`, if the claim gives it) are as claimed.
    pub holds: bool,
    /// What was claimed, in words: `2.67 ± 0.01 over 3 runs`, `in [0, 8]`.
    pub expected: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    claim: Vec<Claim>,
}

/// The claims block of a README (`None` if it has none); an unclosed block, or two,
/// or a block that does not parse ([`parse`]) is bad input.
pub fn of_readme(readme: &str) -> Result<Option<Vec<Claim>>, Error> {
    let mut lines = readme.lines().enumerate();
    let mut found = None;
    while let Some((number, line)) = lines.next() {
        if line.trim_end() != "```claims" {
            continue;
        }
        if found.is_some() {
            return Err(Error::bad_input(format!(
                "line {}: a second claims block (a README has one)",
                number + 1
            )));
        }
        let mut body = String::new();
        let mut closed = false;
        for (_, line) in lines.by_ref() {
            if line.trim_end() == "```" {
                closed = true;
                break;
            }
            body.push_str(line);
            body.push('\n');
        }
        if !closed {
            return Err(Error::bad_input(format!(
                "line {}: the claims block is not closed by a line ```",
                number + 1
            )));
        }
        found = Some(parse(&body).map_err(|e| e.context(format!("line {}", number + 1)))?);
    }
    Ok(found)
}

/// The claims of a block's TOML, each checked for what it needs (a metric, a
/// predicate and `n` for `k_of_n`, parsable predicates, a table or list of tables as
/// `point`, an interval whose low end is not above its high end).
pub fn parse(block: &str) -> Result<Vec<Claim>, Error> {
    let block: Block = toml::from_str(block)
        .map_err(|e| Error::bad_input(format!("claims block: {}", e.message())))?;
    if block.claim.is_empty() {
        return Err(Error::bad_input("claims block: no [[claim]]"));
    }
    for (i, claim) in block.claim.iter().enumerate() {
        claim
            .well_formed()
            .map_err(|e| Error::bad_input(format!("claim {} (\"{}\"): {e}", i + 1, claim.text)))?;
    }
    Ok(block.claim)
}

impl Claim {
    fn well_formed(&self) -> Result<(), String> {
        selections(&self.point).map_err(|e| format!("point: {e}"))?;
        if let Some(pair) = &self.paired_with {
            selections(pair).map_err(|e| format!("paired_with: {e}"))?;
        }
        if let Some(condition) = &self.condition {
            Predicate::parse(condition).map_err(|e| format!("condition: {e}"))?;
        }
        match self.statistic {
            Statistic::KOfN => {
                let predicate = self.predicate.as_ref().ok_or("k_of_n needs a predicate")?;
                Predicate::parse(predicate).map_err(|e| format!("predicate: {e}"))?;
                if self.n.is_none() {
                    return Err("k_of_n needs n (the runs it counts)".into());
                }
            }
            _ => {
                if self.metric.is_none() {
                    return Err(format!("{:?} needs a metric", self.statistic));
                }
                if self.predicate.is_some() {
                    return Err("only k_of_n takes a predicate (use condition)".into());
                }
            }
        }
        if let Expected::Within([low, high]) = self.value
            && (low > high || low.is_nan() || high.is_nan())
        {
            return Err(format!(
                "value [{low}, {high}]: the low end is above the high"
            ));
        }
        if self.tolerance.is_some() && matches!(self.value, Expected::Within(_)) {
            return Err("a tolerance goes with a single value, not [low, high]".into());
        }
        Ok(())
    }

    /// The claim checked against `results` (a results file's text): its statistic
    /// recomputed over the runs it selects. A selection that matches no run, an
    /// override no run has, or a metric no selected run has, is bad input.
    pub fn check(&self, results: &str) -> Result<Verdict, Error> {
        let lines = read_lines(results)?;
        self.check_lines(&lines)
    }

    fn check_lines(&self, lines: &[ResultLine]) -> Result<Verdict, Error> {
        let runs = select(lines, &self.point)?;
        let pairs: Option<BTreeMap<u64, &ResultLine>> = match &self.paired_with {
            Some(pair) => {
                let mut by_seed = BTreeMap::new();
                for line in select(lines, pair)? {
                    if by_seed.insert(line.seed, line).is_some() {
                        return Err(Error::bad_input(format!(
                            "paired_with selects several runs of seed {}: it must select one \
                             point",
                            line.seed
                        )));
                    }
                }
                Some(by_seed)
            }
            None => None,
        };
        let condition = self
            .condition
            .as_deref()
            .map(Predicate::parse)
            .transpose()
            .map_err(Error::bad_input)?;
        let mut counted: Vec<Fields> = Vec::new();
        for line in runs {
            let fields = Fields::of(line, self.rollout)?;
            if let Some(condition) = &condition
                && !condition.holds(&fields)?
            {
                continue;
            }
            counted.push(match &pairs {
                Some(pairs) => {
                    let pair = pairs.get(&line.seed).ok_or_else(|| {
                        Error::bad_input(format!("paired_with has no run of seed {}", line.seed))
                    })?;
                    fields.minus(&Fields::of(pair, self.rollout)?)
                }
                None => fields,
            });
        }
        let (value, n) = match self.statistic {
            Statistic::KOfN => {
                let predicate = Predicate::parse(self.predicate.as_deref().unwrap_or_default())
                    .map_err(Error::bad_input)?;
                let mut k = 0;
                for fields in &counted {
                    if predicate.holds(fields)? {
                        k += 1;
                    }
                }
                (k as f64, counted.len())
            }
            statistic => {
                let metric = self.metric.as_deref().unwrap_or_default();
                let values: Vec<f64> = counted
                    .iter()
                    .map(|f| f.number(metric))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .flatten()
                    .collect();
                if values.is_empty() {
                    return Err(Error::bad_input(format!(
                        "no selected run has {metric} ({} selected)",
                        counted.len()
                    )));
                }
                let n = values.len();
                let value = match statistic {
                    Statistic::Mean => values.iter().sum::<f64>() / n as f64,
                    Statistic::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    Statistic::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                    _ => {
                        let scale = crate::metrics::scale_of(metric)
                            .unwrap_or_else(|| Scale::of_values(&values));
                        let scale = if self.paired_with.is_some() {
                            Scale::Signed // a difference can have either sign
                        } else {
                            scale
                        };
                        let estimate = Estimate::of_scale(&values, scale).expect("values");
                        let (low, high) = estimate.bounds().ok_or_else(|| {
                            Error::bad_input(format!("{metric}: one run, no interval"))
                        })?;
                        if statistic == Statistic::Ci95Low {
                            low
                        } else {
                            high
                        }
                    }
                };
                (value, n)
            }
        };
        let value_holds = match self.value {
            Expected::Value(v) => (value - v).abs() <= self.tolerance.unwrap_or(0.0),
            Expected::Within([low, high]) => (low..=high).contains(&value),
        };
        let n_holds = self.n.is_none_or(|expected| expected == n);
        let mut expected = match self.value {
            Expected::Value(v) => match self.tolerance {
                Some(t) => format!("{v} ± {t}"),
                None => format!("{v}"),
            },
            Expected::Within([low, high]) => format!("in [{low}, {high}]"),
        };
        if let Some(runs) = self.n {
            expected.push_str(&format!(" over {runs} runs"));
        }
        Ok(Verdict {
            value,
            n,
            holds: value_holds && n_holds,
            expected,
        })
    }
}

/// Every claim checked against `results`, in order.
pub fn check_all(claims: &[Claim], results: &str) -> Result<Vec<Verdict>, Error> {
    let lines = read_lines(results)?;
    claims
        .iter()
        .map(|c| {
            c.check_lines(&lines)
                .map_err(|e| e.context(format!("claim \"{}\"", c.text)))
        })
        .collect()
}

fn read_lines(results: &str) -> Result<Vec<ResultLine>, Error> {
    results
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| Error::bad_input(format!("line {}: not a result line: {e}", i + 1)))
        })
        .collect()
}

/// The tables of a `point` or `paired_with`: one table, or a non-empty list of them.
fn selections(point: &Json) -> Result<Vec<&serde_json::Map<String, Json>>, String> {
    match point {
        Json::Object(table) => Ok(vec![table]),
        Json::Array(tables) if !tables.is_empty() => tables
            .iter()
            .map(|t| t.as_object().ok_or("a list of tables holds only tables"))
            .collect::<Result<_, _>>()
            .map_err(str::to_string),
        _ => Err("a table of overrides, or a list of such tables".into()),
    }
}

/// The runs of `lines` some table of `point` selects, in order.
fn select<'a>(lines: &'a [ResultLine], point: &Json) -> Result<Vec<&'a ResultLine>, Error> {
    let tables = selections(point).map_err(Error::bad_input)?;
    for table in &tables {
        for key in table.keys() {
            if !lines.iter().any(|l| l.overrides.contains_key(key)) {
                return Err(Error::bad_input(format!("no run has the override {key}")));
            }
        }
    }
    let chosen: Vec<&ResultLine> = lines
        .iter()
        .filter(|line| {
            tables.iter().any(|table| {
                table
                    .iter()
                    .all(|(k, v)| line.overrides.get(k).is_some_and(|w| same(v, w)))
            })
        })
        .collect();
    if chosen.is_empty() {
        return Err(Error::bad_input(format!("point {point} selects no run")));
    }
    Ok(chosen)
}

/// Whether a claim's value (from TOML) is a result's override value: numbers by value
/// (TOML's 10 and JSON's 10.0 alike), tables and lists member by member.
fn same(claimed: &Json, result: &Json) -> bool {
    match (claimed, result) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| same(x, y)))
        }
        _ => claimed == result,
    }
}

/// A run's fields, as predicates and statistics read them.
struct Fields {
    values: BTreeMap<&'static str, Field>,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Number(f64),
    Text(String),
    Bool(bool),
    Null,
}

impl Fields {
    fn of(line: &ResultLine, rollout: usize) -> Result<Fields, Error> {
        let r: &RolloutJson = line.rollouts.get(rollout).ok_or_else(|| {
            Error::bad_input(format!(
                "run of seed {} has no rollout {rollout}",
                line.seed
            ))
        })?;
        let mut values: BTreeMap<&'static str, Field> = r
            .numbers()
            .into_iter()
            .map(|(name, v)| (name, v.map_or(Field::Null, Field::Number)))
            .collect();
        values.insert("rolled_back", Field::Bool(r.outcome == "rolled back"));
        values.insert("promoted", Field::Bool(r.outcome == "promoted"));
        values.insert("outcome", Field::Text(r.outcome.clone()));
        values.insert("strategy", Field::Text(r.strategy.clone()));
        values.insert("layer", Field::Text(r.layer.clone()));
        values.insert(
            "rollback_path",
            r.rollback_path.clone().map_or(Field::Null, Field::Text),
        );
        values.insert("seed", Field::Number(line.seed as f64));
        Ok(Fields { values })
    }

    /// These fields with every number (but the seed) made this run's minus `pair`'s
    /// (`null` where either has none).
    fn minus(mut self, pair: &Fields) -> Fields {
        for (name, value) in self.values.iter_mut() {
            if *name == "seed" {
                continue;
            }
            let as_number = |f: &Field| match f {
                Field::Number(x) => Some(*x),
                Field::Bool(b) => Some(f64::from(u8::from(*b))),
                _ => None,
            };
            let theirs = pair.values.get(name).and_then(as_number);
            if let Some(mine) = as_number(value) {
                *value = theirs.map_or(Field::Null, |t| Field::Number(mine - t));
            }
        }
        self
    }

    fn get(&self, name: &str) -> Result<&Field, Error> {
        self.values.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.values.keys().copied().collect();
            Error::bad_input(format!("no field {name} (fields: {})", known.join(", ")))
        })
    }

    /// The metric as a number: `None` where the run has none; outcomes as 1 or 0.
    fn number(&self, name: &str) -> Result<Option<f64>, Error> {
        match self.get(name)? {
            Field::Number(x) => Ok(Some(*x)),
            Field::Bool(b) => Ok(Some(f64::from(u8::from(*b)))),
            Field::Null => Ok(None),
            Field::Text(_) => Err(Error::bad_input(format!("{name} is not a number"))),
        }
    }
}

/// A predicate: clauses that must all hold.
#[derive(Debug, Clone, PartialEq)]
struct Predicate {
    clauses: Vec<(String, Op, Field)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Predicate {
    fn parse(text: &str) -> Result<Predicate, String> {
        let mut clauses = Vec::new();
        for clause in text.split(" and ") {
            let clause = clause.trim();
            let at = clause
                .find(['=', '!', '<', '>'])
                .ok_or_else(|| format!("\"{clause}\": no comparison (==, !=, <, <=, >, >=)"))?;
            let field = clause[..at].trim();
            let rest = &clause[at..];
            let (op, rest) = [
                ("==", Op::Eq),
                ("!=", Op::Ne),
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("<", Op::Lt),
                (">", Op::Gt),
            ]
            .into_iter()
            .find_map(|(symbol, op)| rest.strip_prefix(symbol).map(|r| (op, r)))
            .ok_or_else(|| format!("\"{clause}\": a comparison is ==, !=, <, <=, > or >="))?;
            if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("\"{clause}\": \"{field}\" is not a field name"));
            }
            let literal = rest.trim();
            let value = match literal {
                "true" => Field::Bool(true),
                "false" => Field::Bool(false),
                "null" => Field::Null,
                _ if literal.len() >= 2 && literal.starts_with('"') && literal.ends_with('"') => {
                    Field::Text(literal[1..literal.len() - 1].to_string())
                }
                _ => Field::Number(literal.parse().map_err(|_| {
                    format!(
                        "\"{clause}\": \"{literal}\" is not a number, a \"string\", true, false or null"
                    )
                })?),
            };
            if !matches!(value, Field::Number(_)) && !matches!(op, Op::Eq | Op::Ne) {
                return Err(format!("\"{clause}\": only numbers are ordered"));
            }
            clauses.push((field.to_string(), op, value));
        }
        Ok(Predicate { clauses })
    }

    fn holds(&self, fields: &Fields) -> Result<bool, Error> {
        for (name, op, value) in &self.clauses {
            let field = fields.get(name)?;
            let holds = match (field, value) {
                (Field::Number(a), Field::Number(b)) => match op {
                    Op::Eq => a == b,
                    Op::Ne => a != b,
                    Op::Lt => a < b,
                    Op::Le => a <= b,
                    Op::Gt => a > b,
                    Op::Ge => a >= b,
                },
                // A metric the run does not have is no number: only `!=` holds.
                (Field::Null, Field::Number(_)) => *op == Op::Ne,
                (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {
                    (a == b) == (*op == Op::Eq)
                }
                (Field::Null, _) | (_, Field::Null) => *op == Op::Ne,
                (a, b) => {
                    return Err(Error::bad_input(format!(
                        "{name} is {a:?}, compared with {b:?}"
                    )));
                }
            };
            if !holds {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result line of a red/black or rolling point at `load`, seed `seed`.
    fn line(strategy: &str, load: &str, seed: u64, outcome: &str, failed: i64) -> String {
        format!(
            r#"{{"overrides":{{"layers.service.instances":10,"rollout.strategy":"{strategy}","tag.load":"{load}"}},"point":0,"rollouts":[{{"availability":0.999,"bad_version_requests":null,"detection_time":{detection},"downstream_rate_ratio":null,"extra_cost":null,"extra_instance_hours":0.5,"failed_requests":{failed},"latency_p50_ms":20.0,"latency_p999_ms":90.0,"latency_p99_ms":60.0,"layer":"backend","min_serving_ratio":0.75,"minutes_in_slo_breach":0,"new_version":1,"new_version_requests":100,"old_version":0,"outcome":"{outcome}","peak_instances_ratio":1.25,"restore_time":null,"rollback_path":null,"rollout_duration":600.0,"strategy":"{strategy}","switch_latency":null,"switch_latency_full":null,"units":{{"durations":"seconds","instance_hours":"hours","latencies":"milliseconds"}}}}],"seed":{seed}}}"#,
            detection = if outcome == "rolled back" {
                "120.0"
            } else {
                "null"
            }
        )
    }

    fn results() -> String {
        [
            line("red-black", "80%", 1, "promoted", 0),
            line("red-black", "80%", 2, "promoted", 0),
            line("red-black", "80%", 3, "promoted", 8),
            line("rolling", "80%", 1, "rolled back", 30),
            line("rolling", "80%", 2, "rolled back", 50),
            line("rolling", "80%", 3, "promoted", 10),
        ]
        .join("\n")
    }

    fn claim(toml: &str) -> Claim {
        parse(&format!("[[claim]]\n{toml}")).unwrap().remove(0)
    }

    #[test]
    fn a_readmes_block_is_found_and_parsed() {
        let readme = "# Study\n\ntext\n\n```claims\n[[claim]]\ntext = \"none failed\"\nmetric = \"failed_requests\"\npoint = { \"rollout.strategy\" = \"red-black\" }\nstatistic = \"max\"\nvalue = 8\n```\n";
        let claims = of_readme(readme).unwrap().unwrap();
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].statistic, Statistic::Max);
        assert_eq!(of_readme("# no block\n").unwrap(), None);
    }

    #[test]
    fn a_malformed_block_says_what_is_wrong() {
        let err = |text: &str| parse(text).unwrap_err().to_string();
        let e = err("[[claim]]\ntext = \"x\"\npoint = {}\nstatistic = \"median\"\nvalue = 1\n");
        assert!(e.contains("median"), "{e}");
        let e = err("[[claim]]\ntext = \"x\"\npoint = {}\nstatistic = \"mean\"\nvalue = 1\n");
        assert!(
            e.contains("claim 1 (\"x\")") && e.contains("needs a metric"),
            "{e}"
        );
        let e = err(
            "[[claim]]\ntext = \"all\"\npoint = {}\nstatistic = \"k_of_n\"\npredicate = \"failed_requests = 0\"\nn = 3\nvalue = 3\n",
        );
        assert!(e.contains("predicate") && e.contains("==, !="), "{e}");
        let e = err(
            "[[claim]]\ntext = \"all\"\npoint = {}\nstatistic = \"k_of_n\"\npredicate = \"failed_requests == 0\"\nvalue = 3\n",
        );
        assert!(e.contains("needs n"), "{e}");
        let e = err(
            "[[claim]]\ntext = \"x\"\nmetric = \"m\"\npoint = {}\nstatistic = \"mean\"\nvalue = [3, 1]\n",
        );
        assert!(e.contains("low end is above"), "{e}");
        let e = err(
            "[[claim]]\ntext = \"x\"\nmetric = \"m\"\npoint = 3\nstatistic = \"mean\"\nvalue = 1\n",
        );
        assert!(e.contains("point: a table"), "{e}");
        let e = err(
            "[[claim]]\ntext = \"x\"\nmetric = \"m\"\npoint = {}\nstatistic = \"mean\"\nvalue = 1\nsource = 2\n",
        );
        assert!(e.contains("source"), "{e}");
        let unclosed = of_readme("```claims\n[[claim]]\n").unwrap_err().to_string();
        assert!(
            unclosed.contains("line 1") && unclosed.contains("not closed"),
            "{unclosed}"
        );
        let bad_toml = of_readme("text\n```claims\n[[claim]\n```\n")
            .unwrap_err()
            .to_string();
        assert!(bad_toml.starts_with("line 2: claims block:"), "{bad_toml}");
    }

    #[test]
    fn claims_are_recomputed_from_the_selected_runs() {
        let results = results();
        let mean = claim(
            "text = \"mean\"\nmetric = \"failed_requests\"\npoint = { \"rollout.strategy\" = \"red-black\", \"tag.load\" = \"80%\" }\nstatistic = \"mean\"\nvalue = 2.667\ntolerance = 0.001\nn = 3\n",
        );
        let v = mean.check(&results).unwrap();
        assert!(v.holds, "{v:?}");
        assert_eq!(v.n, 3);
        let k = claim(
            "text = \"2 of 3 failed none\"\npoint = { \"rollout.strategy\" = \"red-black\" }\nstatistic = \"k_of_n\"\npredicate = \"failed_requests == 0\"\nn = 3\nvalue = 2\n",
        );
        assert!(k.check(&results).unwrap().holds);
        // Conditioned on the runs that were not rolled back.
        let missed = claim(
            "text = \"promoted only\"\nmetric = \"failed_requests\"\npoint = { \"rollout.strategy\" = \"rolling\" }\ncondition = \"rolled_back == false\"\nstatistic = \"mean\"\nvalue = 10\nn = 1\n",
        );
        assert!(missed.check(&results).unwrap().holds);
        // A null detection time compares with no number.
        let caught = claim(
            "text = \"caught\"\npoint = { \"layers.service.instances\" = 10 }\nstatistic = \"k_of_n\"\npredicate = \"detection_time > 0\"\nn = 6\nvalue = 2\n",
        );
        assert!(caught.check(&results).unwrap().holds);
        // Paired by seed: rolling − red/black.
        let paired = claim(
            "text = \"rolling worse in every seed\"\npoint = { \"rollout.strategy\" = \"rolling\" }\npaired_with = { \"rollout.strategy\" = \"red-black\" }\nstatistic = \"k_of_n\"\npredicate = \"failed_requests > 0\"\nn = 3\nvalue = 3\n",
        );
        assert!(paired.check(&results).unwrap().holds);
        let ambiguous = claim(
            "text = \"paired with two points\"\npoint = { \"rollout.strategy\" = \"rolling\" }\npaired_with = { \"tag.load\" = \"80%\" }\nstatistic = \"k_of_n\"\npredicate = \"failed_requests > 0\"\nn = 3\nvalue = 3\n",
        );
        let e = ambiguous.check(&results).unwrap_err().to_string();
        assert!(e.contains("several runs of seed 1"), "{e}");
        let low = claim(
            "text = \"no negative bound\"\nmetric = \"failed_requests\"\npoint = { \"rollout.strategy\" = \"red-black\" }\nstatistic = \"ci95_low\"\nvalue = [0, 0]\n",
        );
        assert!(low.check(&results).unwrap().holds);
    }

    #[test]
    fn a_claim_the_data_does_not_bear_fails_with_the_recomputed_value() {
        let results = results();
        let none = claim(
            "text = \"red/black fails none\"\nmetric = \"failed_requests\"\npoint = { \"rollout.strategy\" = \"red-black\" }\nstatistic = \"max\"\nvalue = 0\n",
        );
        let v = none.check(&results).unwrap();
        assert!(!v.holds);
        assert_eq!(v.value, 8.0);
        assert_eq!(v.expected, "0");
        let wrong_n = claim(
            "text = \"over 5 runs\"\nmetric = \"failed_requests\"\npoint = { \"rollout.strategy\" = \"red-black\" }\nstatistic = \"min\"\nvalue = 0\nn = 5\n",
        );
        assert!(!wrong_n.check(&results).unwrap().holds);
        let typo = claim(
            "text = \"typo\"\nmetric = \"failed_requests\"\npoint = { \"rollout.stratgy\" = \"red-black\" }\nstatistic = \"max\"\nvalue = 0\n",
        );
        let e = typo.check(&results).unwrap_err().to_string();
        assert!(e.contains("no run has the override rollout.stratgy"), "{e}");
        let nothing = claim(
            "text = \"nothing\"\nmetric = \"failed_requests\"\npoint = { \"tag.load\" = \"50%\" }\nstatistic = \"max\"\nvalue = 0\n",
        );
        assert!(
            nothing
                .check(&results)
                .unwrap_err()
                .to_string()
                .contains("selects no run")
        );
        let field = claim(
            "text = \"field\"\npoint = { \"tag.load\" = \"80%\" }\nstatistic = \"k_of_n\"\npredicate = \"failures == 0\"\nn = 6\nvalue = 0\n",
        );
        assert!(
            field
                .check(&results)
                .unwrap_err()
                .to_string()
                .contains("no field failures")
        );
    }
}

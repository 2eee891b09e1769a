//! Distributions of durations (service, boot, think and backoff times), in the units
//! people think in: a mean and a p99, a mean and a coefficient of variation.
//!
//! A [`DurationDist`] is built from a [`DurationDistSpec`] (what the user wrote), checked
//! once, with its sampler parameters precomputed; `sample` then costs a draw or two.
//!
//! | written as | meaning |
//! |---|---|
//! | `10ms` or `det(10ms)` | always 10 ms |
//! | `exp(10ms)` | exponential with mean 10 ms |
//! | `uniform(5ms, 15ms)` | uniform between the two |
//! | `lognormal(mean=20ms, p99=120ms)` | log-normal with that mean and 99th percentile |
//! | `lognormal(mean=20ms, cv=1.5)` | log-normal with that mean and coefficient of variation (cv ≤ 100) |
//! | `gamma(mean=10ms, cv=0.5)` | gamma with that mean and coefficient of variation |
//! | `pareto(mean=10ms, alpha=2.5)` | Pareto (heavy tail) with that mean and tail index α > 1 |
//! | `weibull(mean=10ms, shape=0.7)` | Weibull with that mean; shape < 1 is heavy-tailed |
//!
//! ```
//! use rollsim::engine::{DurationDist, RngStreams};
//! let service: DurationDist = "lognormal(mean=20ms, p99=120ms)".parse().unwrap();
//! let mut rng = RngStreams::new(1).stream("service");
//! let sample = service.sample(&mut rng);
//! assert!(sample.as_nanos() > 0);
//! assert_eq!(service.mean().as_millis_f64(), 20.0);
//! assert!("lognormal(mean=20ms, p99=10ms)".parse::<DurationDist>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, StandardNormal};

use super::time::SimDuration;
use crate::stats::special::{Z_99, gamma};

/// How the spread of a log-normal is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LogNormalSpread {
    /// The 99th percentile (must exceed the mean, by at most ~14.9×).
    P99(SimDuration),
    /// The coefficient of variation σ/μ (> 0).
    Cv(f64),
}

/// A duration distribution as the user wrote it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DurationDistSpec {
    /// Always the same duration.
    Deterministic(SimDuration),
    /// Exponential with this mean (memoryless; M in queueing notation).
    Exponential {
        /// The mean.
        mean: SimDuration,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// Shortest value.
        min: SimDuration,
        /// Longest value.
        max: SimDuration,
    },
    /// Log-normal with this mean and spread.
    LogNormal {
        /// The mean.
        mean: SimDuration,
        /// The p99 or the coefficient of variation.
        spread: LogNormalSpread,
    },
    /// Gamma with this mean and coefficient of variation.
    Gamma {
        /// The mean.
        mean: SimDuration,
        /// Coefficient of variation σ/μ.
        cv: f64,
    },
    /// Pareto (type I) with this mean and tail index.
    Pareto {
        /// The mean.
        mean: SimDuration,
        /// Tail index α > 1 (α ≤ 2 has infinite variance).
        alpha: f64,
    },
    /// Weibull with this mean and shape.
    Weibull {
        /// The mean.
        mean: SimDuration,
        /// Shape k > 0 (k < 1 heavy-tailed, k = 1 exponential).
        shape: f64,
    },
}

/// Why a distribution was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid distribution {input:?}: {reason}")]
pub struct DistError {
    /// The text or spec as given.
    pub input: String,
    /// What was wrong, and what is allowed.
    pub reason: String,
}

/// Precomputed sampling parameters.
#[derive(Debug, Clone, Copy)]
enum Sampler {
    Constant(u64),
    Exponential { mean_ns: f64 },
    Uniform { min_ns: f64, span_ns: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Gamma(rand_distr::Gamma<f64>),
    Pareto(rand_distr::Pareto<f64>),
    Weibull(rand_distr::Weibull<f64>),
}

/// A checked, ready-to-sample duration distribution.
#[derive(Debug, Clone, Copy)]
pub struct DurationDist {
    spec: DurationDistSpec,
    sampler: Sampler,
}

impl PartialEq for DurationDist {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl DurationDist {
    /// Checks `spec` and precomputes its sampler.
    pub fn new(spec: DurationDistSpec) -> Result<Self, DistError> {
        let fail = |reason: &str| DistError {
            input: spec.to_string(),
            reason: reason.to_string(),
        };
        let sampler = match spec {
            DurationDistSpec::Deterministic(value) => Sampler::Constant(value.as_nanos()),
            DurationDistSpec::Exponential { mean } => {
                positive(mean).map_err(|()| fail("the mean must be positive"))?;
                Sampler::Exponential {
                    mean_ns: mean.as_nanos_f64(),
                }
            }
            DurationDistSpec::Uniform { min, max } => {
                if min > max {
                    return Err(fail("min must not exceed max"));
                }
                Sampler::Uniform {
                    min_ns: min.as_nanos_f64(),
                    span_ns: (max.as_nanos() - min.as_nanos()) as f64,
                }
            }
            DurationDistSpec::LogNormal { mean, spread } => {
                positive(mean).map_err(|()| fail("the mean must be positive"))?;
                let sigma = match spread {
                    LogNormalSpread::Cv(cv) => {
                        finite_positive(cv).map_err(|()| fail("cv must be a positive number"))?;
                        // Beyond, nearly every draw rounds to 0 ns (cv = 10²⁰: zero
                        // service times and NaN in reports); as for gamma.
                        if cv > 100.0 {
                            return Err(fail("cv must be at most 100"));
                        }
                        (1.0 + cv * cv).ln().sqrt()
                    }
                    LogNormalSpread::P99(p99) => {
                        lognormal_sigma_from_p99(mean, p99).map_err(|reason| fail(&reason))?
                    }
                };
                let mu = mean.as_nanos_f64().ln() - sigma * sigma / 2.0;
                Sampler::LogNormal { mu, sigma }
            }
            DurationDistSpec::Gamma { mean, cv } => {
                positive(mean).map_err(|()| fail("the mean must be positive"))?;
                finite_positive(cv).map_err(|()| fail("cv must be a positive number"))?;
                if cv > 100.0 {
                    return Err(fail("cv must be at most 100"));
                }
                let shape = 1.0 / (cv * cv);
                let scale = mean.as_nanos_f64() / shape;
                Sampler::Gamma(
                    rand_distr::Gamma::new(shape, scale).map_err(|e| fail(&e.to_string()))?,
                )
            }
            DurationDistSpec::Pareto { mean, alpha } => {
                positive(mean).map_err(|()| fail("the mean must be positive"))?;
                if !(alpha.is_finite() && alpha > 1.0) {
                    return Err(fail(
                        "alpha must be a number above 1 (the mean is infinite at α ≤ 1)",
                    ));
                }
                let scale = mean.as_nanos_f64() * (alpha - 1.0) / alpha;
                Sampler::Pareto(
                    rand_distr::Pareto::new(scale, alpha).map_err(|e| fail(&e.to_string()))?,
                )
            }
            DurationDistSpec::Weibull { mean, shape } => {
                positive(mean).map_err(|()| fail("the mean must be positive"))?;
                if !(shape.is_finite() && (0.1..=100.0).contains(&shape)) {
                    return Err(fail("shape must be between 0.1 and 100"));
                }
                let scale = mean.as_nanos_f64() / gamma(1.0 + 1.0 / shape);
                Sampler::Weibull(
                    rand_distr::Weibull::new(scale, shape).map_err(|e| fail(&e.to_string()))?,
                )
            }
        };
        Ok(DurationDist { spec, sampler })
    }

    /// Always `value`.
    pub fn deterministic(value: SimDuration) -> Self {
        DurationDist {
            spec: DurationDistSpec::Deterministic(value),
            sampler: Sampler::Constant(value.as_nanos()),
        }
    }

    /// Exponential with `mean`, which must be positive.
    pub fn exponential(mean: SimDuration) -> Result<Self, DistError> {
        Self::new(DurationDistSpec::Exponential { mean })
    }

    /// What the user wrote.
    pub fn spec(&self) -> DurationDistSpec {
        self.spec
    }

    /// Draws one duration, rounded to the nanosecond.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        let nanos = match self.sampler {
            Sampler::Constant(nanos) => return SimDuration::from_nanos(nanos),
            Sampler::Exponential { mean_ns } => {
                let unit: f64 = Exp1.sample(rng);
                unit * mean_ns
            }
            Sampler::Uniform { min_ns, span_ns } => min_ns + rng.random::<f64>() * span_ns,
            Sampler::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Pareto(d) => d.sample(rng),
            Sampler::Weibull(d) => d.sample(rng),
        };
        SimDuration::from_nanos_f64(nanos)
    }

    /// The exact mean.
    pub fn mean(&self) -> SimDuration {
        match self.spec {
            DurationDistSpec::Deterministic(value) => value,
            DurationDistSpec::Uniform { min, max } => SimDuration::from_nanos(
                min.as_nanos() / 2
                    + max.as_nanos() / 2
                    + (min.as_nanos() % 2 + max.as_nanos() % 2) / 2,
            ),
            DurationDistSpec::Exponential { mean }
            | DurationDistSpec::LogNormal { mean, .. }
            | DurationDistSpec::Gamma { mean, .. }
            | DurationDistSpec::Pareto { mean, .. }
            | DurationDistSpec::Weibull { mean, .. } => mean,
        }
    }

    /// The squared coefficient of variation Var/mean² (C_s² in Pollaczek–Khinchine);
    /// infinite for a Pareto with α ≤ 2.
    pub fn squared_cv(&self) -> f64 {
        match self.spec {
            DurationDistSpec::Deterministic(_) => 0.0,
            DurationDistSpec::Exponential { .. } => 1.0,
            DurationDistSpec::Uniform { min, max } => {
                let mean = (min.as_nanos_f64() + max.as_nanos_f64()) / 2.0;
                if mean == 0.0 {
                    return 0.0;
                }
                let span = max.as_nanos_f64() - min.as_nanos_f64();
                span * span / 12.0 / (mean * mean)
            }
            DurationDistSpec::LogNormal { .. } => match self.sampler {
                Sampler::LogNormal { sigma, .. } => (sigma * sigma).exp() - 1.0,
                _ => unreachable!("a log-normal spec always has a log-normal sampler"),
            },
            DurationDistSpec::Gamma { cv, .. } => cv * cv,
            DurationDistSpec::Pareto { alpha, .. } => {
                if alpha <= 2.0 {
                    f64::INFINITY
                } else {
                    1.0 / (alpha * (alpha - 2.0))
                }
            }
            DurationDistSpec::Weibull { shape, .. } => {
                let g1 = gamma(1.0 + 1.0 / shape);
                gamma(1.0 + 2.0 / shape) / (g1 * g1) - 1.0
            }
        }
    }
}

fn positive(d: SimDuration) -> Result<(), ()> {
    if d.is_zero() { Err(()) } else { Ok(()) }
}

fn finite_positive(x: f64) -> Result<(), ()> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(())
    }
}

/// σ of the log-normal with this mean and p99: the smaller root of
/// σ²/2 − z₉₉σ + ln(p99/mean) = 0.
fn lognormal_sigma_from_p99(mean: SimDuration, p99: SimDuration) -> Result<f64, String> {
    if p99 <= mean {
        return Err(format!("p99 ({p99}) must exceed the mean ({mean})"));
    }
    let log_ratio = (p99.as_nanos_f64() / mean.as_nanos_f64()).ln();
    let discriminant = Z_99 * Z_99 - 2.0 * log_ratio;
    if discriminant < 0.0 {
        let max_ratio = (Z_99 * Z_99 / 2.0).exp();
        return Err(format!(
            "no log-normal has a p99 more than {max_ratio:.1}× its mean; use a lower p99, a cv, or a pareto/weibull tail"
        ));
    }
    Ok(Z_99 - discriminant.sqrt())
}

impl fmt::Display for DurationDistSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DurationDistSpec::Deterministic(value) => write!(f, "det({value})"),
            DurationDistSpec::Exponential { mean } => write!(f, "exp({mean})"),
            DurationDistSpec::Uniform { min, max } => write!(f, "uniform({min}, {max})"),
            DurationDistSpec::LogNormal {
                mean,
                spread: LogNormalSpread::P99(p99),
            } => write!(f, "lognormal(mean={mean}, p99={p99})"),
            DurationDistSpec::LogNormal {
                mean,
                spread: LogNormalSpread::Cv(cv),
            } => write!(f, "lognormal(mean={mean}, cv={cv})"),
            DurationDistSpec::Gamma { mean, cv } => write!(f, "gamma(mean={mean}, cv={cv})"),
            DurationDistSpec::Pareto { mean, alpha } => {
                write!(f, "pareto(mean={mean}, alpha={alpha})")
            }
            DurationDistSpec::Weibull { mean, shape } => {
                write!(f, "weibull(mean={mean}, shape={shape})")
            }
        }
    }
}

impl fmt::Display for DurationDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.spec.fmt(f)
    }
}

const DIST_FORMS: &str = "write a duration (\"10ms\") or one of det(10ms), exp(10ms), uniform(5ms, 15ms), \
lognormal(mean=20ms, p99=120ms), lognormal(mean=20ms, cv=1.5), gamma(mean=10ms, cv=0.5), \
pareto(mean=10ms, alpha=2.5), weibull(mean=10ms, shape=0.7)";

impl FromStr for DurationDist {
    type Err = DistError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| DistError {
            input: input.to_string(),
            reason,
        };
        let text = input.trim();
        let Some(open) = text.find('(') else {
            let value: SimDuration = text
                .parse()
                .map_err(|_| fail(format!("not a duration or distribution; {DIST_FORMS}")))?;
            return Ok(DurationDist::deterministic(value));
        };
        let Some(inner) = text[open + 1..].strip_suffix(')') else {
            return Err(fail("missing the closing ')'".into()));
        };
        let name = text[..open].trim().to_ascii_lowercase();
        let args = Args::parse(inner).map_err(fail)?;
        let spec = match name.as_str() {
            "det" | "const" | "deterministic" => {
                DurationDistSpec::Deterministic(args.duration(0, "value").map_err(fail)?)
            }
            "exp" | "exponential" => DurationDistSpec::Exponential {
                mean: args.duration(0, "mean").map_err(fail)?,
            },
            "uniform" => DurationDistSpec::Uniform {
                min: args.duration(0, "min").map_err(fail)?,
                max: args.duration(1, "max").map_err(fail)?,
            },
            "lognormal" | "log-normal" => {
                let mean = args.duration(0, "mean").map_err(fail)?;
                let spread =
                    match (args.named("p99"), args.named("cv")) {
                        (Some(p99), None) => LogNormalSpread::P99(p99.parse().map_err(
                            |e: super::time::ParseDurationError| fail(format!("p99: {e}")),
                        )?),
                        (None, Some(cv)) => LogNormalSpread::Cv(
                            cv.parse::<f64>()
                                .map_err(|_| fail(format!("cv must be a number, got {cv:?}")))?,
                        ),
                        _ => return Err(fail("give exactly one of p99=… or cv=…".into())),
                    };
                DurationDistSpec::LogNormal { mean, spread }
            }
            "gamma" => DurationDistSpec::Gamma {
                mean: args.duration(0, "mean").map_err(fail)?,
                cv: args.number("cv").map_err(fail)?,
            },
            "pareto" => DurationDistSpec::Pareto {
                mean: args.duration(0, "mean").map_err(fail)?,
                alpha: args.number("alpha").map_err(fail)?,
            },
            "weibull" => DurationDistSpec::Weibull {
                mean: args.duration(0, "mean").map_err(fail)?,
                shape: args.number("shape").map_err(fail)?,
            },
            other => {
                return Err(fail(format!(
                    "unknown distribution {other:?}; {DIST_FORMS}"
                )));
            }
        };
        args.check_all_used().map_err(fail)?;
        DurationDist::new(spec).map_err(|e| fail(e.reason))
    }
}

/// The arguments inside `name(...)`: positional and `key=value`.
struct Args<'a> {
    items: Vec<(Option<&'a str>, &'a str)>,
    used: std::cell::RefCell<Vec<bool>>,
}

impl<'a> Args<'a> {
    fn parse(inner: &'a str) -> Result<Self, String> {
        let mut items = Vec::new();
        for part in inner.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err("an argument is empty".into());
            }
            match part.split_once('=') {
                Some((key, value)) => items.push((Some(key.trim()), value.trim())),
                None => items.push((None, part)),
            }
        }
        if items.len() > 2 {
            return Err("too many arguments".into());
        }
        let used = std::cell::RefCell::new(vec![false; items.len()]);
        Ok(Args { items, used })
    }

    /// The value named `key`, or the positional argument at `position`.
    fn get(&self, position: usize, key: &str) -> Option<&'a str> {
        let index = self
            .items
            .iter()
            .position(|(k, _)| *k == Some(key))
            .or_else(|| match self.items.get(position) {
                Some((None, _)) => Some(position),
                _ => None,
            })?;
        self.used.borrow_mut()[index] = true;
        Some(self.items[index].1)
    }

    /// The value named `key` (positional arguments do not count).
    fn named(&self, key: &str) -> Option<&'a str> {
        self.get(usize::MAX, key)
    }

    fn duration(&self, position: usize, key: &str) -> Result<SimDuration, String> {
        let text = self
            .get(position, key)
            .ok_or_else(|| format!("missing {key}"))?;
        text.parse().map_err(|e| format!("{key}: {e}"))
    }

    fn number(&self, key: &str) -> Result<f64, String> {
        let text = self
            .get(usize::MAX, key)
            .ok_or_else(|| format!("missing {key}=…"))?;
        text.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{key} must be a number, got {text:?}"))
    }

    fn check_all_used(&self) -> Result<(), String> {
        let used = self.used.borrow();
        match self.items.iter().zip(used.iter()).find(|(_, used)| !**used) {
            Some(((Some(key), _), _)) => Err(format!("unexpected argument {key:?}")),
            Some(((None, value), _)) => Err(format!("unexpected argument {value:?}")),
            None => Ok(()),
        }
    }
}

super::serde_via_str!(DurationDist);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn dist(s: &str) -> DurationDist {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// Sample mean and squared CV over `n` draws, in nanoseconds.
    fn moments(d: &DurationDist, n: usize) -> (f64, f64) {
        let mut rng = RngStreams::new(11).stream("dist-test");
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..n {
            let x = d.sample(&mut rng).as_nanos_f64();
            sum += x;
            sum_sq += x * x;
        }
        let mean = sum / n as f64;
        (mean, (sum_sq / n as f64 - mean * mean) / (mean * mean))
    }

    #[test]
    fn samples_have_the_mean_and_spread_asked_for() {
        for text in [
            "exp(10ms)",
            "det(10ms)",
            "uniform(5ms, 15ms)",
            "lognormal(mean=20ms, p99=120ms)",
            "lognormal(mean=20ms, cv=1.5)",
            "gamma(mean=10ms, cv=0.5)",
            "pareto(mean=10ms, alpha=4.5)",
            "weibull(mean=10ms, shape=0.7)",
            "weibull(mean=10ms, shape=3)",
        ] {
            let d = dist(text);
            let (mean, scv) = moments(&d, 400_000);
            let want_mean = d.mean().as_nanos_f64();
            assert!(
                (mean / want_mean - 1.0).abs() < 0.01,
                "{text}: mean {mean} vs {want_mean}"
            );
            let want_scv = d.squared_cv();
            assert!(
                (scv - want_scv).abs() < 0.05 * want_scv.max(0.02),
                "{text}: scv {scv} vs {want_scv}"
            );
        }
    }

    #[test]
    fn lognormal_p99_is_the_99th_percentile() {
        let d = dist("lognormal(mean=20ms, p99=120ms)");
        let mut rng = RngStreams::new(5).stream("p99");
        let mut draws: Vec<u64> = (0..200_000)
            .map(|_| d.sample(&mut rng).as_nanos())
            .collect();
        draws.sort_unstable();
        let p99_ms = draws[draws.len() * 99 / 100] as f64 / 1e6;
        assert!((p99_ms / 120.0 - 1.0).abs() < 0.03, "p99 {p99_ms} ms");
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "det(10ms)",
            "exp(1s500ms)",
            "uniform(5ms, 15ms)",
            "lognormal(mean=20ms, p99=120ms)",
            "lognormal(mean=20ms, cv=1.5)",
            "gamma(mean=10ms, cv=0.5)",
            "pareto(mean=10ms, alpha=2.5)",
            "weibull(mean=10ms, shape=0.7)",
        ] {
            assert_eq!(dist(text).to_string(), text);
            assert_eq!(dist(&dist(text).to_string()), dist(text));
        }
        assert_eq!(dist("10ms").to_string(), "det(10ms)");
        assert_eq!(dist("exp(mean=10ms)"), dist("exp(10ms)"));
    }

    #[test]
    fn impossible_distributions_say_what_is_allowed() {
        let cases = [
            ("exp(0s)", "mean must be positive"),
            ("exp(-1s)", "negative"),
            ("uniform(15ms, 5ms)", "min must not exceed max"),
            ("lognormal(mean=20ms, p99=10ms)", "must exceed the mean"),
            (
                "lognormal(mean=1ms, p99=1s)",
                "no log-normal has a p99 more than",
            ),
            ("lognormal(mean=1ms)", "exactly one of p99"),
            ("gamma(mean=1ms, cv=-1)", "cv must be a positive number"),
            (
                "pareto(mean=1ms, alpha=1)",
                "alpha must be a number above 1",
            ),
            ("weibull(mean=1ms, shape=0)", "shape must be between"),
            ("exp(10ms, 3)", "unexpected argument"),
            ("zipf(3)", "unknown distribution"),
            ("exp(10ms", "closing"),
            ("fast", "not a duration or distribution"),
            ("gamma(mean=1ms, cv=abc)", "cv must be a number"),
        ];
        for (input, reason) in cases {
            let err = input.parse::<DurationDist>().unwrap_err().to_string();
            assert!(err.contains(reason), "{input}: {err}");
        }
    }
}

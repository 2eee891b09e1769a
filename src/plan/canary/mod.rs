//! Planning the canary itself: how many instances, how long, and which judge catch the
//! regressions a team fears with the power it wants, while failing a healthy release
//! no more often than it allows ([`plan_canary`]).
//!
//! # How the pieces move
//! 1. A [`CanaryQuestion`] names the layer, the regressions ([`regression`]), the canary
//!    sizes, durations and judges to weigh, the targets and the runs.
//! 2. For each canary size, smallest first, each release (healthy, and each regression)
//!    is rehearsed once per seed with the canary held for the longest duration
//!    ([`recording`]): the real controller against the simulated world, the model's
//!    traffic (frozen at the hour asked), background noise and Chaos Monkey. Seeds are
//!    common to every size and release (common random numbers).
//! 3. Every judge is replayed over each rehearsal for every duration ([`replay`]): one
//!    rehearsal answers every judge and every shorter canary, as the controller would
//!    have decided it.
//! 4. Per candidate (size, judge, duration): power against each regression and the
//!    false-alarm rate, with Wilson intervals, and what the canary costs ([`power`]).
//! 5. The search stops at the first size where a candidate meets the targets; larger
//!    canaries are not rehearsed. Seeds come in batches: after the first batch, a size
//!    at which no candidate can reach the targets any more (every interval excludes
//!    them) gets no more runs.
//!
//! # Where it is accurate, and where not
//! The judges are the controller's own code fed what the controller would be fed; the
//! canary's instances are simulated request by request, so its samples have the size
//! the real fleet's traffic gives them. A share of the runs is a binomial estimate:
//! with 20 runs, 0 false alarms bounds the rate only below 16% (95%), and showing a
//! rate under 1% takes some 300 healthy runs. Traffic is held at one hour's rate; a
//! canary that spans the evening ramp sees more.

pub mod power;
pub(crate) mod recording;
pub mod regression;
pub(crate) mod replay;

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::SimDuration;
use crate::scenario::Scenario;
use crate::scenario::rollout::{AnalysisSpec, JudgeKind, ReleaseSpec};

use power::{Against, Candidate, Share, Targets};
use recording::{Recording, canary_scenario, weight_for};
use regression::Regression;
use replay::{Decided, replay};

/// A judge to weigh: its settings and a name for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeChoice {
    /// "threshold, 1m interval, 2 failures".
    pub name: String,
    /// Its settings.
    #[serde(skip)]
    pub analysis: AnalysisSpec,
}

impl JudgeChoice {
    /// A judge named by its kind, interval and failure limit.
    pub fn named(analysis: AnalysisSpec) -> JudgeChoice {
        let kind = match analysis.judge {
            JudgeKind::Threshold => "threshold",
            JudgeKind::MannWhitney => "mann-whitney",
        };
        let failures = analysis.failure_limit;
        JudgeChoice {
            name: format!(
                "{kind}, {} interval, {failures} failure{}",
                analysis.interval,
                if failures == 1 { "" } else { "s" }
            ),
            analysis,
        }
    }

    /// The judges weighed by default around `analysis` (the layer's): threshold and
    /// Mann–Whitney, at half, once and twice its interval, stopping at 1, 2 or 3
    /// consecutive failed checks; its other settings (limits, warm-up delay) kept.
    pub fn around(analysis: &AnalysisSpec) -> Vec<JudgeChoice> {
        let mut judges = Vec::new();
        for judge in [JudgeKind::Threshold, JudgeKind::MannWhitney] {
            let half =
                SimDuration::from_secs((analysis.interval.as_nanos() / 2_000_000_000).max(1));
            for interval in [half, analysis.interval, analysis.interval.saturating_mul(2)] {
                let points = analysis.sample_interval.saturating_mul(5);
                if interval < points && judge == JudgeKind::MannWhitney {
                    continue; // fewer points than the statistical judge needs
                }
                for failure_limit in 1..=3 {
                    judges.push(JudgeChoice::named(AnalysisSpec {
                        judge,
                        interval,
                        failure_limit,
                        ..analysis.clone()
                    }));
                }
            }
        }
        judges
    }
}

/// What to plan.
#[derive(Debug, Clone)]
pub struct CanaryQuestion {
    /// The layer the canary runs in.
    pub layer: String,
    /// The regressions to catch.
    pub regressions: Vec<Regression>,
    /// Canary sizes to weigh (instances), ascending.
    pub instances: Vec<u32>,
    /// Canary durations to weigh, ascending.
    pub durations: Vec<SimDuration>,
    /// Judges to weigh, and the layer's own analysis (if it has one).
    pub judges: Vec<JudgeChoice>,
    pub own_analysis: Option<AnalysisSpec>,
    /// What a candidate must meet.
    pub targets: Targets,
    /// Rehearsals per size and release, at most; and the first batch's size.
    pub runs: usize,
    pub first_batch: usize,
    /// Seed of the first rehearsal (then seed + 1, …).
    pub seed: u64,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryPlan {
    /// The layer and its fleet.
    pub layer: String,
    pub fleet: u32,
    /// The regressions, as asked.
    pub regressions: Vec<String>,
    /// The judges weighed, and which of them is the layer's own (its rollout's analysis).
    pub judges: Vec<JudgeChoice>,
    pub own_judge: Option<usize>,
    /// The targets.
    pub targets: Targets,
    /// Every candidate of every size rehearsed: by size, judge, duration.
    pub candidates: Vec<Candidate>,
    /// Sizes rehearsed, and the runs each got.
    pub sizes: Vec<(u32, usize)>,
    /// The recommended candidate (index into `candidates`): the smallest canary, then
    /// the shortest, then the fewest false alarms and the most power.
    pub recommended: Option<usize>,
}

impl CanaryPlan {
    /// The candidates of `instances` judged by `judge`, by duration.
    pub fn line(&self, instances: u32, judge: usize) -> Vec<&Candidate> {
        self.candidates
            .iter()
            .filter(|c| c.instances == instances && c.judge == judge)
            .collect()
    }

    /// The lines worth showing: per size rehearsed, the layer's own judge and the best
    /// judge of that size (the recommended one, else the one with the most power against
    /// its hardest regression less its false alarms).
    pub fn shown(&self) -> Vec<(u32, usize)> {
        let score = |c: &Candidate| c.weakest_power() - c.false_alarms.share;
        let mut lines = Vec::new();
        for &(instances, _) in &self.sizes {
            lines.extend(self.own_judge.map(|j| (instances, j)));
            let best = self
                .recommended
                .map(|i| &self.candidates[i])
                .filter(|c| c.instances == instances)
                .or_else(|| {
                    self.candidates
                        .iter()
                        .filter(|c| c.instances == instances)
                        .max_by(|a, b| score(a).total_cmp(&score(b)))
                });
            if let Some(best) = best.filter(|c| Some(c.judge) != self.own_judge) {
                lines.push((instances, best.judge));
            }
        }
        lines
    }
}

/// Every decision of one rehearsal: per judge, per duration.
type Decisions = Vec<Vec<Option<Decided>>>;

/// Answers `question` on `model` (its traffic as it should be judged: frozen at an
/// hour), telling `on_rehearsal` after each rehearsal.
pub fn plan_canary(
    model: &Scenario,
    question: &CanaryQuestion,
    on_rehearsal: &(dyn Fn() + Sync),
) -> CanaryPlan {
    let fleet = model.layers[&question.layer].instances;
    let mut plan = CanaryPlan {
        layer: question.layer.clone(),
        fleet,
        regressions: question.regressions.iter().map(|r| r.to_string()).collect(),
        judges: question.judges.clone(),
        own_judge: question
            .judges
            .iter()
            .position(|j| Some(&j.analysis) == question.own_analysis.as_ref()),
        targets: question.targets,
        candidates: Vec::new(),
        sizes: Vec::new(),
        recommended: None,
    };
    for &instances in &question.instances {
        let (candidates, runs) = weigh_size(model, question, instances, on_rehearsal);
        plan.sizes.push((instances, runs));
        let first = plan.candidates.len();
        plan.candidates.extend(candidates);
        plan.recommended = best(&plan.candidates[first..], plan.own_judge).map(|i| first + i);
        if plan.recommended.is_some() {
            break;
        }
    }
    plan
}

/// The releases rehearsed: healthy first, then each regression's.
fn releases(question: &CanaryQuestion) -> Vec<ReleaseSpec> {
    std::iter::once(ReleaseSpec::default())
        .chain(question.regressions.iter().map(Regression::release))
        .collect()
}

/// Rehearses a canary of `instances` in batches of seeds; the candidates of that size
/// and the runs they rest on.
fn weigh_size(
    model: &Scenario,
    question: &CanaryQuestion,
    instances: u32,
    on_rehearsal: &(dyn Fn() + Sync),
) -> (Vec<Candidate>, usize) {
    let releases = releases(question);
    // Per release, per seed: the decisions.
    let mut decisions: Vec<Vec<Decisions>> = vec![Vec::new(); releases.len()];
    let mut runs = 0;
    let mut candidates = Vec::new();
    while runs < question.runs {
        let batch = if runs == 0 {
            question.first_batch.min(question.runs)
        } else {
            question.runs - runs
        };
        // One job per seed: the world up to the rollout's start is run once and cloned
        // for each release.
        let done: Vec<Vec<Decisions>> = (runs..runs + batch)
            .into_par_iter()
            .map(|k| {
                let seed = question.seed.wrapping_add(k as u64);
                rehearse_and_replay(model, question, instances, &releases, seed, on_rehearsal)
            })
            .collect();
        for per_release in done {
            for (r, d) in per_release.into_iter().enumerate() {
                decisions[r].push(d);
            }
        }
        runs += batch;
        candidates = candidates_of(model, question, instances, &decisions);
        let reachable = candidates
            .iter()
            .any(|c| question.targets.reachable(&c.regressions, &c.false_alarms));
        if !reachable {
            break;
        }
    }
    (candidates, runs)
}

/// Rehearsals of a canary of `instances` with each of `releases` under `seed` (one
/// world up to the rollout's start, cloned for each), every judge replayed over each for
/// every duration.
fn rehearse_and_replay(
    model: &Scenario,
    question: &CanaryQuestion,
    instances: u32,
    releases: &[ReleaseSpec],
    seed: u64,
    on_rehearsal: &(dyn Fn() + Sync),
) -> Vec<Decisions> {
    let longest = *question.durations.last().expect("at least one duration");
    let scenario_of = |release: &ReleaseSpec| {
        canary_scenario(model, &question.layer, instances, release, longest, seed)
    };
    let prefix = recording::prefix(&scenario_of(&ReleaseSpec::default()));
    releases
        .iter()
        .map(|release| {
            let recording = Recording::of(prefix.clone(), &scenario_of(release), longest);
            on_rehearsal();
            question
                .judges
                .iter()
                .map(|judge| {
                    question
                        .durations
                        .iter()
                        .map(|d| replay(&judge.analysis, &recording, *d))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The candidates of one size from its decisions (per release, per seed).
fn candidates_of(
    model: &Scenario,
    question: &CanaryQuestion,
    instances: u32,
    decisions: &[Vec<Decisions>],
) -> Vec<Candidate> {
    let fleet = model.layers[&question.layer].instances;
    let mut out = Vec::new();
    for (j, judge) in question.judges.iter().enumerate() {
        for (k, duration) in question.durations.iter().enumerate() {
            // A rehearsal whose canary never took traffic for that long decides nothing.
            let of = |r: usize| -> Vec<Decided> {
                decisions[r].iter().filter_map(|d| d[j][k]).collect()
            };
            let healthy = of(0);
            let regressions: Vec<Against> =
                (1..decisions.len()).map(|r| Against::of(&of(r))).collect();
            let false_alarms = Share::failed(&healthy);
            let new_version_requests = Against::of(&healthy).bad_version_requests;
            out.push(Candidate {
                instances,
                traffic_percent: weight_for(instances, fleet),
                judge: j,
                judge_name: judge.name.clone(),
                duration: *duration,
                meets_targets: question.targets.met(&regressions, &false_alarms),
                regressions,
                false_alarms,
                new_version_requests,
                canary_instance_hours: f64::from(instances) * duration.as_secs_f64() / 3600.0,
            });
        }
    }
    out
}

/// The best of `candidates` that meets the targets: the shortest, then the fewest false
/// alarms, then the most power against the hardest regression, then the layer's own
/// judge (nothing to change); `None` if none does.
fn best(candidates: &[Candidate], own_judge: Option<usize>) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.meets_targets)
        .min_by(|(_, a), (_, b)| {
            (a.instances, a.duration)
                .cmp(&(b.instances, b.duration))
                .then(a.false_alarms.share.total_cmp(&b.false_alarms.share))
                .then(b.weakest_power().total_cmp(&a.weakest_power()))
                .then((Some(b.judge) == own_judge).cmp(&(Some(a.judge) == own_judge)))
        })
        .map(|(i, _)| i)
}

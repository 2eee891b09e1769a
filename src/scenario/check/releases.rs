//! Checks of the release calendar (`releases`): rates and probabilities in range,
//! teams that are layers, defect kinds that are valid releases, rollouts that are
//! valid for each team's service, and a calendar small enough to run.
//!
//! The rollout settings and defects are checked by the rollouts' own checks
//! ([`super::rollouts`]), run on the rollouts the calendar would make, with each
//! problem's path moved to the field of `releases` that set it.

use crate::scenario::document::Scenario;
use crate::scenario::limits::MAX_LIST_LEN;
use crate::scenario::locate::Segment;
use crate::scenario::rollout::RolloutSpec;

use super::rollouts::{check_analysis, check_release, check_strategy_settings};
use super::{Checker, ToSegment, names};

/// Most releases a calendar may draw on average over a run.
const MAX_EXPECTED_RELEASES: f64 = MAX_LIST_LEN as f64;

pub(super) fn check_releases(c: &mut Checker, scenario: &Scenario) {
    let Some(releases) = &scenario.releases else {
        return;
    };
    let r: &dyn ToSegment = &"releases";
    rate(c, &[r, &"per_day"], releases.per_day);
    share(c, &[r, &"defect_probability"], releases.defect_probability);
    if releases.defects.is_empty() && releases.defect_probability > 0.0 {
        c.fail(
            &[r, &"defects"],
            "no defect kinds, yet releases may be defective (defect_probability > 0): list at \
             least one kind, or leave `defects` out for the standard mix",
        );
    }
    for (k, kind) in releases.defects.iter().enumerate() {
        if !(kind.weight.is_finite() && kind.weight > 0.0 && kind.weight <= 1e6) {
            c.fail(
                &[r, &"defects", &k, &"weight"],
                format!(
                    "must be a positive number (at most 1000000), got {}",
                    kind.weight
                ),
            );
        }
        if kind.release.is_healthy() {
            c.fail(
                &[r, &"defects", &k, &"release"],
                format!("defect kind {:?} describes a healthy release: give it a defect (error_rate, latency_factor, capacity_factor, leak or crash_after)", kind.name),
            );
        }
        if releases.defects[..k]
            .iter()
            .any(|other| other.name == kind.name)
        {
            c.fail(
                &[r, &"defects", &k, &"name"],
                format!("{:?} is listed twice", kind.name),
            );
        }
        let mut sub = Checker {
            problems: Vec::new(),
        };
        check_release(&mut sub, 0, &kind.release);
        moved(c, sub, &[r, &"defects", &k, &"release"], 3);
    }
    check_template(
        c,
        &releases.rollout,
        &[
            Segment::Key("releases".into()),
            Segment::Key("rollout".into()),
        ],
    );
    for (name, team) in &releases.teams {
        let t: &dyn ToSegment = name;
        if !scenario.layers.contains_key(name) {
            c.fail(
                &[r, &"teams", t],
                format!(
                    "no layer {name:?}; the teams are the layers: {}",
                    names(&scenario.layers)
                ),
            );
        }
        if let Some(per_day) = team.per_day {
            rate(c, &[r, &"teams", t, &"per_day"], per_day);
        }
        if let Some(p) = team.defect_probability {
            share(c, &[r, &"teams", t, &"defect_probability"], p);
        }
        if let Some(rollout) = &team.rollout {
            let prefix = [
                Segment::Key("releases".into()),
                Segment::Key("teams".into()),
                Segment::Key(name.clone()),
                Segment::Key("rollout".into()),
            ];
            check_template(c, rollout, &prefix);
        }
    }
    // Each releasing team's rollout, as the calendar will make it, against its layer.
    for (name, layer) in &scenario.layers {
        let team = releases.teams.get(name);
        if releases.per_day_of(name) == 0.0 {
            continue;
        }
        let (template, prefix): (&RolloutSpec, Vec<Segment>) =
            match team.and_then(|t| t.rollout.as_ref()) {
                Some(own) => (
                    own,
                    vec![
                        Segment::Key("releases".into()),
                        Segment::Key("teams".into()),
                        Segment::Key(name.clone()),
                        Segment::Key("rollout".into()),
                    ],
                ),
                None => (
                    &releases.rollout,
                    vec![
                        Segment::Key("releases".into()),
                        Segment::Key("rollout".into()),
                    ],
                ),
            };
        let rollout = RolloutSpec {
            layer: name.clone(),
            ..template.clone()
        };
        let mut sub = Checker {
            problems: Vec::new(),
        };
        check_strategy_settings(&mut sub, 0, &rollout, layer);
        check_analysis(&mut sub, 0, &rollout);
        let mut sub_problems = sub.problems;
        sub_problems.dedup();
        for problem in sub_problems {
            let mut path = prefix.clone();
            path.extend(problem.path.into_iter().skip(2));
            c.problems.push(super::Problem {
                path,
                message: format!("for team {name:?}: {}", problem.message),
            });
        }
    }
    if let Some(0) = releases.policy.max_concurrent {
        c.fail(
            &[r, &"policy", &"max_concurrent"],
            "must be at least 1 (leave it out for no limit)",
        );
    }
    let expected = releases.expected_count(scenario);
    if expected > MAX_EXPECTED_RELEASES {
        c.fail(
            &[r, &"per_day"],
            format!(
                "the calendar would draw about {expected:.0} releases over the run; at most \
                 {MAX_EXPECTED_RELEASES:.0}"
            ),
        );
    }
}

/// A calendar's rollout: the calendar sets its layer, start and release.
fn check_template(c: &mut Checker, rollout: &RolloutSpec, prefix: &[Segment]) {
    let at = |field: &str| {
        let mut path = prefix.to_vec();
        path.push(Segment::Key(field.into()));
        path
    };
    let mut fail = |field: &str, message: &str| {
        c.problems.push(super::Problem {
            path: at(field),
            message: message.into(),
        });
    };
    if !rollout.layer.is_empty() {
        fail(
            "layer",
            "the calendar rolls each team's own service: leave `layer` out",
        );
    }
    if rollout.release != Default::default() {
        fail(
            "release",
            "the calendar draws each release (defect_probability, defects): leave `release` out",
        );
    }
    if rollout.start != RolloutSpec::default().start {
        fail(
            "start",
            "the calendar draws each release's time: leave `start` out",
        );
    }
}

/// Moves `sub`'s problems under `prefix`, dropping the first `skip` segments of their
/// paths (`rollouts[0].release`).
fn moved(c: &mut Checker, sub: Checker, prefix: &[&dyn ToSegment], skip: usize) {
    for problem in sub.problems {
        let mut path: Vec<Segment> = prefix.iter().map(|s| s.to_segment()).collect();
        path.extend(problem.path.into_iter().skip(skip));
        c.problems.push(super::Problem {
            path,
            message: problem.message,
        });
    }
}

fn rate(c: &mut Checker, path: &[&dyn ToSegment], per_day: f64) {
    if !(per_day.is_finite() && (0.0..=1000.0).contains(&per_day)) {
        c.fail(
            path,
            format!("must be between 0 and 1000 releases a working day, got {per_day}"),
        );
    }
}

fn share(c: &mut Checker, path: &[&dyn ToSegment], p: f64) {
    if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
        c.fail(path, format!("must be in [0, 1], got {p}"));
    }
}

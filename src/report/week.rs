//! The report of a run with a release calendar: every rollout in order of start (team,
//! due, waited, strategy, defect, outcome), then what the week cost
//! ([`WeekMetrics`]); as text or JSON.

use serde_json::{Value as Json, json};

use crate::metrics::WeekMetrics;
use crate::rehearsal::Rehearsal;
use crate::rollout::{Outcome, RolloutRecord};
use crate::scenario::Scenario;

/// One rollout's line: what the table and the JSON show.
struct Line<'a> {
    record: &'a RolloutRecord,
    due_s: f64,
    defect: Option<String>,
}

fn lines<'a>(rehearsal: &'a Rehearsal, scenario: &Scenario) -> Vec<Line<'a>> {
    let own = scenario.rollouts.len();
    rehearsal
        .records
        .iter()
        .enumerate()
        .map(|(k, record)| {
            let (due, defect) = match k.checked_sub(own) {
                Some(i) => (
                    rehearsal.releases[i].due,
                    rehearsal.releases[i].defect.clone(),
                ),
                None => {
                    let spec = &scenario.rollouts[k];
                    let defect = (!spec.release.is_healthy()).then(|| "model file's".to_string());
                    (spec.start, defect)
                }
            };
            Line {
                record,
                due_s: due.as_secs_f64(),
                defect,
            }
        })
        .collect()
}

/// "d1 09:42" (day of the run from 1, and time of day from the run's start).
fn when(secs: f64) -> String {
    let minutes = (secs / 60.0).floor() as u64;
    format!(
        "d{} {:02}:{:02}",
        minutes / 1440 + 1,
        minutes / 60 % 24,
        minutes % 60
    )
}

/// The rollouts and the week's figures, as text.
pub(crate) fn render_text(
    rehearsal: &Rehearsal,
    scenario: &Scenario,
    week: &WeekMetrics,
) -> String {
    let mut rows = vec![
        ["team", "due", "waited", "strategy", "release", "outcome"]
            .map(String::from)
            .to_vec(),
    ];
    for line in lines(rehearsal, scenario) {
        let waited = line.record.started_at.map_or("not started".into(), |s| {
            format!(
                "{:.0} min",
                ((s.since_start().as_secs_f64() - line.due_s) / 60.0).max(0.0)
            )
        });
        rows.push(vec![
            line.record.layer.clone(),
            when(line.due_s),
            waited,
            line.record.strategy.name().into(),
            line.defect.unwrap_or_else(|| "healthy".into()),
            line.record.outcome.name().into(),
        ]);
    }
    let mut out = format!(
        "Releases: {} drawn by the calendar, {} rollouts in all (days and times from the run's start)\n",
        week.releases, week.rollouts
    );
    out.push_str(&crate::report::text_table(&rows));
    out.push('\n');
    let w = week;
    let figures = vec![
        vec![
            "rollouts started / promoted / rolled back / undecided".into(),
            format!(
                "{} / {} / {} / {}",
                w.started, w.promoted, w.rolled_back, w.undecided
            ),
        ],
        vec![
            "defective releases: caught / escaped (promoted)".into(),
            format!("{}: {} / {}", w.defective, w.caught, w.escaped),
        ],
        vec![
            "healthy releases rolled back (false alarms)".into(),
            w.false_alarms.to_string(),
        ],
        vec![
            "wait for the release policy, mean / longest".into(),
            format!("{:.1} / {:.1} min", w.wait_minutes_mean, w.wait_minutes_max),
        ],
        vec![
            "failed requests at the entry (extra over no releases)".into(),
            format!("{} ({:+})", w.failed_requests, w.extra_failed_requests),
        ],
        vec![
            "minutes in SLO breach (extra over no releases)".into(),
            format!(
                "{} ({:+})",
                w.minutes_in_slo_breach, w.extra_minutes_in_slo_breach
            ),
        ],
        vec![
            "extra instance-hours".into(),
            format!("{:.1}", w.extra_instance_hours),
        ],
        vec![
            "rollouts overlapping on dependent services (with a defect)".into(),
            format!("{} ({})", w.dependent_overlaps, w.overlap_incidents),
        ],
    ];
    out.push_str("What the releases did\n");
    out.push_str(&crate::report::text_table(&figures));
    out
}

/// The rollouts and the week's figures, as JSON.
pub(crate) fn to_json(rehearsal: &Rehearsal, scenario: &Scenario, week: &WeekMetrics) -> Json {
    let releases: Vec<Json> = lines(rehearsal, scenario)
        .into_iter()
        .map(|line| {
            json!({
                "team": line.record.layer,
                "due": line.due_s,
                "started": line.record.started_at.map(|s| s.since_start().as_secs_f64()),
                "strategy": line.record.strategy.name(),
                "defect": line.defect,
                "outcome": line.record.outcome.name(),
                "escaped": line.record.outcome == Outcome::Promoted && line.defect.is_some(),
            })
        })
        .collect();
    json!({
        "week": serde_json::to_value(week).expect("week metrics serialize"),
        "releases": releases,
    })
}

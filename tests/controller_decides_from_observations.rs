//! The rollout controller decides from observations alone: driven here by a tiny fake
//! platform (no simulator), it gives the commands each strategy prescribes, at the
//! times the observations make due, and records how the rollout ended.
//!
//! The fake platform keeps, per version, one cluster: whether it is enabled, and one
//! "ready at" time per instance. An instance launched at `t` is ready at `t + boot` (plus
//! a stagger per instance of the same launch, if set) and registered once ready while
//! its cluster is enabled; scaling down and destroying remove instances at once;
//! disabling unregisters at once; enabling re-registers after `enable_delay`. Between
//! two observations each version serves `rps` requests per second per registered
//! instance, with the error rate and latency a scripted function gives at the start of
//! the span.
//!
//! Each controller is built from a [`ControllerSpec`], which has no release: what the
//! new version is like, the controller learns only from the fake platform's numbers.

use rollsim::engine::SimDuration;
use rollsim::rollout::{
    Command, Controller, ControllerSpec, Decision, Instant, Observation, Outcome, RollbackPath,
    RolloutRecord, VersionMetrics, VersionState,
};
use rollsim::stats::LatencyHistogram;

const OLD: u32 = 1;
const NEW: u32 = 2;

fn secs(s: u64) -> Instant {
    Instant::ZERO + SimDuration::from_secs(s)
}

fn mins(m: u64) -> Instant {
    Instant::ZERO + SimDuration::from_mins(m)
}

/// A controller's spec: a model file's rollout section without a release, which a
/// controller cannot be given.
fn spec(text: &str) -> ControllerSpec {
    toml::from_str::<ControllerSpec>(text).expect("a valid controller spec")
}

/// How a version serves during a span starting at some time.
#[derive(Debug, Clone, Copy)]
struct Serving {
    /// Requests per second per registered instance.
    rps: f64,
    error_rate: f64,
    latency: SimDuration,
}

const HEALTHY: Serving = Serving {
    rps: 100.0,
    error_rate: 0.001,
    latency: SimDuration::from_millis(10),
};

const ERRORS: Serving = Serving {
    error_rate: 0.05,
    ..HEALTHY
};

type Behaviour = Box<dyn Fn(u32, Instant) -> Serving>;

/// Every version healthy.
fn all_healthy() -> Behaviour {
    Box::new(|_, _| HEALTHY)
}

/// The new version serves as `bad` from `from` on; everything else is healthy.
fn new_version_from(from: Instant, bad: Serving) -> Behaviour {
    Box::new(move |v, t| if v == NEW && t >= from { bad } else { HEALTHY })
}

struct Cluster {
    version: u32,
    enabled: bool,
    /// Instances register no earlier than this (set by Enable).
    registers_from: Instant,
    /// One per instance.
    ready_at: Vec<Instant>,
}

impl Cluster {
    fn registered(&self, now: Instant) -> u32 {
        if !self.enabled || now < self.registers_from {
            return 0;
        }
        self.ready_at.iter().filter(|r| **r <= now).count() as u32
    }

    fn state(&self, now: Instant) -> VersionState {
        let serving = self.ready_at.iter().filter(|r| **r <= now).count() as u32;
        VersionState {
            version: self.version,
            desired: self.ready_at.len() as u32,
            starting: self.ready_at.len() as u32 - serving,
            serving,
            registered: self.registered(now),
            enabled: self.enabled && !self.ready_at.is_empty(),
            crashes: 0,
        }
    }

    /// Registered instance-nanoseconds over `[from, to)` (nothing changes in between).
    fn registered_nanos(&self, from: Instant, to: Instant) -> u128 {
        if !self.enabled {
            return 0;
        }
        self.ready_at
            .iter()
            .map(|ready| {
                let start = (*ready).max(self.registers_from).max(from);
                u128::from((to - start).as_nanos())
            })
            .sum()
    }
}

struct FakePlatform {
    clusters: Vec<Cluster>,
    boot: SimDuration,
    /// Extra boot time of the k-th instance of one launch: k × stagger.
    stagger: SimDuration,
    enable_delay: SimDuration,
    /// Versions whose instances never become ready.
    never_ready: Vec<u32>,
    behaviour: Behaviour,
    observed_until: Instant,
}

impl FakePlatform {
    /// `size` instances of the old version, registered from the start.
    fn new(size: u32, behaviour: Behaviour) -> Self {
        FakePlatform {
            clusters: vec![Cluster {
                version: OLD,
                enabled: true,
                registers_from: Instant::ZERO,
                ready_at: vec![Instant::ZERO; size as usize],
            }],
            boot: SimDuration::from_secs(60),
            stagger: SimDuration::ZERO,
            enable_delay: SimDuration::from_secs(30),
            never_ready: Vec::new(),
            behaviour,
            observed_until: Instant::ZERO,
        }
    }

    fn cluster_mut(&mut self, version: u32) -> Option<&mut Cluster> {
        self.clusters.iter_mut().find(|c| c.version == version)
    }

    fn states(&self, now: Instant) -> Vec<VersionState> {
        let mut states: Vec<VersionState> = self.clusters.iter().map(|c| c.state(now)).collect();
        states.sort_by_key(|s| s.version);
        states
    }

    fn observe(&mut self, now: Instant) -> Observation {
        let from = self.observed_until;
        let mut metrics = Vec::new();
        for cluster in &self.clusters {
            let serving = (self.behaviour)(cluster.version, from);
            let seconds = cluster.registered_nanos(from, now) as f64 / 1e9;
            let requests = (serving.rps * seconds).round() as u64;
            let errors = (requests as f64 * serving.error_rate).round() as u64;
            let mut latency = LatencyHistogram::new();
            latency.record_n(serving.latency, requests - errors);
            metrics.push((
                cluster.version,
                VersionMetrics {
                    requests,
                    errors,
                    latency,
                },
            ));
        }
        metrics.sort_by_key(|(v, _)| *v);
        self.observed_until = now;
        Observation {
            now,
            versions: self.states(now),
            metrics,
        }
    }

    fn apply(&mut self, now: Instant, command: &Command) {
        match *command {
            Command::Scale { version, size } => {
                if self.cluster_mut(version).is_none() {
                    if size == 0 {
                        return;
                    }
                    self.clusters.push(Cluster {
                        version,
                        enabled: true,
                        registers_from: Instant::ZERO,
                        ready_at: Vec::new(),
                    });
                }
                let (boot, stagger) = (self.boot, self.stagger);
                let never = self.never_ready.contains(&version);
                let cluster = self.cluster_mut(version).expect("just made");
                let size = size as usize;
                if size > cluster.ready_at.len() {
                    for k in 0..(size - cluster.ready_at.len()) {
                        cluster.ready_at.push(if never {
                            Instant::MAX
                        } else {
                            now + boot + stagger.saturating_mul(k as u64)
                        });
                    }
                } else {
                    // Not yet ready first, then the youngest.
                    cluster.ready_at.sort();
                    cluster.ready_at.truncate(size);
                }
            }
            // Traffic here is per registered instance; weights are the world's business
            // (tests/rollouts_keep_their_promises.rs covers the weighted strategies).
            Command::SetWeight { .. } => {}
            Command::Enable { version } => {
                let delay = self.enable_delay;
                if let Some(c) = self.cluster_mut(version)
                    && !c.enabled
                {
                    c.enabled = true;
                    c.registers_from = now + delay;
                }
            }
            Command::Disable { version } => {
                if let Some(c) = self.cluster_mut(version) {
                    c.enabled = false;
                }
            }
            Command::Destroy { version } => self.clusters.retain(|c| c.version != version),
        }
    }
}

/// What one drive of a controller saw and did.
struct Run {
    observations: Vec<Observation>,
    decisions: Vec<Decision>,
    record: RolloutRecord,
    /// Every command with the time it was given.
    commands: Vec<(Instant, Command)>,
    /// The platform's versions at every observation and after every decision's commands.
    snapshots: Vec<(Instant, Vec<VersionState>)>,
    /// The platform's versions at the end.
    end: Vec<VersionState>,
}

impl Run {
    fn commands_at(&self, at: Instant) -> Vec<Command> {
        self.commands
            .iter()
            .filter(|(t, _)| *t == at)
            .map(|(_, c)| c.clone())
            .collect()
    }

    fn first_time_of(&self, command: &Command) -> Option<Instant> {
        self.commands
            .iter()
            .find(|(_, c)| c == command)
            .map(|(t, _)| *t)
    }

    fn notes_containing(&self, text: &str) -> usize {
        self.record
            .timeline
            .iter()
            .filter(|(_, n)| n.contains(text))
            .count()
    }
}

fn version_in(states: &[VersionState], version: u32) -> VersionState {
    states
        .iter()
        .find(|s| s.version == version)
        .cloned()
        .unwrap_or(VersionState {
            version,
            ..VersionState::default()
        })
}

const LIMIT: Instant = Instant::from_nanos(6 * 3_600_000_000_000);

/// Observations at most per drive (a controller that wakes too often is stopped).
const MAX_STEPS: usize = 20_000;

/// Observes at every `wake_at` until the controller is done; fails if it is not done
/// by `LIMIT`.
fn drive(spec: &ControllerSpec, platform: &mut FakePlatform) -> Run {
    let (run, done) = drive_until_limit(spec, platform);
    assert!(
        done,
        "the rollout did not finish by {LIMIT} or within {MAX_STEPS} observations"
    );
    run
}

/// Observes at every `wake_at` until the controller is done or `LIMIT` is passed;
/// whether it is done.
fn drive_until_limit(spec: &ControllerSpec, platform: &mut FakePlatform) -> (Run, bool) {
    let mut controller = Controller::new(spec, OLD, NEW);
    let mut run = Run {
        observations: Vec::new(),
        decisions: Vec::new(),
        record: controller.record().clone(),
        commands: Vec::new(),
        snapshots: Vec::new(),
        end: Vec::new(),
    };
    let mut now = controller.first_wake();
    loop {
        let observation = platform.observe(now);
        run.snapshots.push((now, observation.versions.clone()));
        let decision = controller.step(&observation);
        for command in &decision.commands {
            platform.apply(now, command);
            run.commands.push((now, command.clone()));
        }
        run.snapshots.push((now, platform.states(now)));
        let wake_at = decision.wake_at;
        run.observations.push(observation);
        run.decisions.push(decision);
        match wake_at {
            None => break,
            Some(next) => {
                assert!(next > now, "wake-up at {next} not after {now}");
                if next > LIMIT || run.observations.len() >= MAX_STEPS {
                    break;
                }
                now = next;
            }
        }
    }
    run.record = controller.record().clone();
    run.end = platform.states(now);
    (run, controller.is_done())
}

/// The timeline is in time order, and is exactly the decisions' notes at their times.
fn assert_timeline_matches(run: &Run) {
    let timeline = &run.record.timeline;
    assert!(
        timeline.windows(2).all(|w| w[0].0 <= w[1].0),
        "timeline out of order: {timeline:#?}"
    );
    let from_decisions: Vec<(Instant, String)> = run
        .observations
        .iter()
        .zip(&run.decisions)
        .flat_map(|(o, d)| d.notes.iter().map(move |n| (o.now, n.clone())))
        .collect();
    assert_eq!(timeline, &from_decisions);
    assert!(timeline.first().is_some_and(|(_, n)| n.contains("begins")));
    let last = &timeline.last().expect("notes").1;
    assert_eq!(last, &format!("rollout {}", run.record.outcome.name()));
}

/// At every snapshot some version serves with at least `size` registered instances.
fn assert_always_serving(run: &Run, size: u32) {
    for (t, states) in &run.snapshots {
        let registered: u32 = states.iter().map(|s| s.registered).sum();
        assert!(
            registered >= size,
            "only {registered} registered at {t}: {states:?}"
        );
    }
}

fn scale(version: u32, size: u32) -> Command {
    Command::Scale { version, size }
}

#[test]
fn red_black_promotes_a_healthy_release_after_canary_and_bake_then_cleans_up_by_policy() {
    // Start 5m; canary of 1 healthy at 6m (boot 60 s), judged 6m..16m; full cluster of 4
    // launched at 16m, healthy at 17m: switch; bake 17m..37m; then cleanup.
    let cases = [
        (
            "destroy",
            vec![(mins(37), Command::Destroy { version: OLD })],
            mins(37),
        ),
        (
            "disable",
            vec![(mins(52), Command::Destroy { version: OLD })],
            mins(52),
        ),
        ("scale-down", vec![(mins(37), scale(OLD, 0))], mins(37)),
    ];
    for (cleanup, cleanup_commands, finished) in cases {
        let spec = spec(&format!(
            r#"layer = "api"
               start = "5m"
               red_black = {{ canary = {{ instances = 1, duration = "10m" }}, bake = "20m", cleanup = "{cleanup}", disabled_for = "15m" }}"#
        ));
        let mut platform = FakePlatform::new(4, all_healthy());
        let run = drive(&spec, &mut platform);

        let mut expected = vec![
            (mins(5), scale(NEW, 1)),
            (mins(16), scale(NEW, 4)),
            (mins(17), Command::Disable { version: OLD }),
        ];
        expected.extend(cleanup_commands);
        assert_eq!(run.commands, expected, "cleanup {cleanup}");

        let r = &run.record;
        assert_eq!(r.outcome, Outcome::Promoted, "cleanup {cleanup}");
        assert_eq!(r.started_at, Some(mins(5)));
        assert_eq!(r.baseline_size, 4);
        assert_eq!(r.switched_at, Some(mins(17)), "switch = Disable(old)");
        assert_eq!(r.aborted_at, None);
        assert_eq!(r.rollback_path, None);
        assert_eq!(r.finished_at, Some(finished), "cleanup {cleanup}");

        // The canary was judged for its whole duration, every interval, and passed.
        let canary_checks: Vec<Instant> = r
            .timeline
            .iter()
            .filter(|(_, n)| n.starts_with("canary check"))
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(canary_checks, (7..=16).map(mins).collect::<Vec<_>>());
        assert_eq!(run.notes_containing("canary check: pass"), 10);
        assert_eq!(
            run.notes_containing("canary passed (10/10 checks passed)"),
            1
        );
        assert_eq!(run.notes_containing("bake check: pass"), 20);
        assert_eq!(run.notes_containing("bake passed (20/20 checks passed)"), 1);
        assert_timeline_matches(&run);
        assert_always_serving(&run, 4);

        // The new version serves alone at the end.
        assert_eq!(version_in(&run.end, NEW).registered, 4);
        assert_eq!(version_in(&run.end, OLD).desired, 0);
        assert_eq!(version_in(&run.end, OLD).registered, 0);
    }
}

#[test]
fn red_black_aborts_a_bad_canary_after_exactly_failure_limit_failed_checks() {
    let spec = spec(
        r#"layer = "api"
           start = "5m"
           red_black = { canary = { instances = 1, duration = "30m" } }
           analysis = { interval = "1m", delay = "2m", failure_limit = 3, max_error_rate = 0.01 }"#,
    );
    let bad_latency = Serving {
        latency: SimDuration::from_millis(20),
        ..HEALTHY
    };
    for (why, bad) in [("error rate", ERRORS), ("p99", bad_latency)] {
        let mut platform = FakePlatform::new(4, new_version_from(Instant::ZERO, bad));
        let run = drive(&spec, &mut platform);

        // Healthy at 6m (boot 60 s); the 2m warm-up is not judged; 3 checks of 1m fail.
        let healthy = mins(6);
        let a = &spec.analysis;
        let abort_at = healthy + a.delay + a.interval.saturating_mul(u64::from(a.failure_limit));
        assert_eq!(abort_at, mins(11));
        assert_eq!(
            run.commands,
            vec![
                (mins(5), scale(NEW, 1)),
                (abort_at, Command::Destroy { version: NEW })
            ],
            "{why}"
        );
        let r = &run.record;
        assert_eq!(r.outcome, Outcome::RolledBack);
        assert_eq!(r.aborted_at, Some(abort_at));
        assert_eq!(r.finished_at, Some(abort_at));
        assert_eq!(r.rollback_path, Some(RollbackPath::Canary));
        assert_eq!(r.switched_at, None);
        let reason = r.abort_reason.as_deref().expect("a reason");
        assert!(reason.contains("3 consecutive failed checks"), "{reason}");
        assert!(reason.contains(why), "{reason}");
        let checks: Vec<&(Instant, String)> = r
            .timeline
            .iter()
            .filter(|(_, n)| n.starts_with("canary check"))
            .collect();
        assert_eq!(checks.len(), 3, "{checks:?}");
        assert!(checks.iter().all(|(_, n)| n.contains("fail")), "{checks:?}");
        assert_eq!(
            checks.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            vec![mins(9), mins(10), mins(11)]
        );
        assert_timeline_matches(&run);
        // The old cluster never stopped serving.
        assert!(
            run.snapshots
                .iter()
                .all(|(_, s)| version_in(s, OLD).registered == 4)
        );
        assert!(version_in(&run.end, NEW).desired == 0);
    }
}

#[test]
fn a_release_that_turns_bad_after_the_switch_switches_back_to_the_warm_cluster() {
    // Switch at 6m; bake checks at 7m..10m pass; bad from 10m: fails at 11m and 12m.
    let spec = spec(
        r#"layer = "api"
           start = "5m"
           red_black = { bake = "20m", cleanup = "disable" }"#,
    );
    let mut platform = FakePlatform::new(4, new_version_from(mins(10), ERRORS));
    let run = drive(&spec, &mut platform);

    let back = mins(12) + SimDuration::from_secs(30); // the enable delay
    assert_eq!(
        run.commands,
        vec![
            (mins(5), scale(NEW, 4)),
            (mins(6), Command::Disable { version: OLD }),
            (mins(12), Command::Enable { version: OLD }),
            (back, Command::Destroy { version: NEW }),
        ]
    );
    // Between the abort and the old version's return, the controller only watches, and
    // the new version keeps serving.
    for (obs, d) in run.observations.iter().zip(&run.decisions) {
        if obs.now > mins(12) && obs.now < back {
            assert!(d.commands.is_empty(), "at {}: {:?}", obs.now, d.commands);
            assert!(obs.version(OLD).registered < 4);
            assert_eq!(obs.version(NEW).registered, 4);
        }
        if obs.now == back {
            assert_eq!(obs.version(OLD).registered, 4);
        }
    }
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.switched_at, Some(mins(6)));
    assert_eq!(r.aborted_at, Some(mins(12)));
    assert_eq!(r.rollback_path, Some(RollbackPath::WarmCluster));
    assert_eq!(r.finished_at, Some(back));
    assert_eq!(run.notes_containing("bake check: pass"), 4);
    assert_eq!(run.notes_containing("bake check: fail"), 2);
    assert_timeline_matches(&run);
    assert_always_serving(&run, 4);
    assert_eq!(version_in(&run.end, OLD).registered, 4);
    assert_eq!(version_in(&run.end, NEW).desired, 0);
}

#[test]
fn a_defect_found_while_monitoring_after_destroy_cleanup_relaunches_the_old_version() {
    // Switch at 6m; bake to 16m passes: Destroy(old); monitoring to 46m; bad from 20m:
    // fails at 21m and 22m.
    let spec = spec(
        r#"layer = "api"
           start = "5m"
           monitor = "30m"
           red_black = { bake = "10m", cleanup = "destroy" }"#,
    );
    let mut platform = FakePlatform::new(4, new_version_from(mins(20), ERRORS));
    let run = drive(&spec, &mut platform);

    assert_eq!(
        run.commands,
        vec![
            (mins(5), scale(NEW, 4)),
            (mins(6), Command::Disable { version: OLD }),
            (mins(16), Command::Destroy { version: OLD }),
            (mins(22), scale(OLD, 4)),
            (mins(22), Command::Enable { version: OLD }),
            // The relaunched instances boot in 60 s.
            (mins(23), Command::Destroy { version: NEW }),
        ]
    );
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.switched_at, Some(mins(6)));
    assert_eq!(r.aborted_at, Some(mins(22)));
    assert_eq!(r.rollback_path, Some(RollbackPath::Relaunch));
    assert_eq!(r.finished_at, Some(mins(23)));
    assert_eq!(run.notes_containing("monitor check: pass"), 4);
    assert_eq!(run.notes_containing("monitor check: fail"), 2);
    assert_timeline_matches(&run);
    assert_always_serving(&run, 4);
    assert_eq!(version_in(&run.end, OLD).registered, 4);
}

#[test]
fn no_data_is_not_a_pass() {
    // The canary is registered but gets no traffic (or too little for a verdict).
    for rps in [0.0, 0.5] {
        let spec = spec(
            r#"layer = "api"
               start = "5m"
               red_black = { canary = { instances = 1, duration = "10m" } }"#,
        );
        let behaviour: Behaviour = Box::new(move |v, _| {
            if v == NEW {
                Serving { rps, ..HEALTHY }
            } else {
                HEALTHY
            }
        });
        let mut platform = FakePlatform::new(4, behaviour);
        let run = drive(&spec, &mut platform);

        assert_eq!(
            run.commands,
            vec![
                (mins(5), scale(NEW, 1)),
                (mins(16), Command::Destroy { version: NEW })
            ],
            "rps {rps}"
        );
        let r = &run.record;
        assert_eq!(r.outcome, Outcome::RolledBack);
        assert_eq!(r.rollback_path, Some(RollbackPath::Canary));
        assert_eq!(r.aborted_at, Some(mins(16)));
        let reason = r.abort_reason.as_deref().expect("a reason");
        assert!(reason.contains("inconclusive"), "{reason}");
        assert!(reason.contains("0/10 checks passed"), "{reason}");
        assert_eq!(run.notes_containing("canary check: no data"), 10);
        assert_timeline_matches(&run);
    }

    // Nor in the bake: the switch is undone.
    let spec = spec(
        r#"layer = "api"
           start = "5m"
           red_black = { bake = "10m" }"#,
    );
    let mut platform = FakePlatform::new(
        4,
        Box::new(|v, _| {
            if v == NEW {
                Serving {
                    rps: 0.0,
                    ..HEALTHY
                }
            } else {
                HEALTHY
            }
        }),
    );
    let run = drive(&spec, &mut platform);
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.switched_at, Some(mins(6)));
    assert_eq!(r.aborted_at, Some(mins(16)));
    assert_eq!(r.rollback_path, Some(RollbackPath::WarmCluster));
    let reason = r.abort_reason.as_deref().expect("a reason");
    assert!(reason.contains("bake inconclusive"), "{reason}");
    assert_eq!(
        run.commands_at(mins(16)),
        vec![Command::Enable { version: OLD }]
    );
    assert_timeline_matches(&run);
}

/// Checks the rolling bounds at every snapshot; returns the run.
fn rolling_run(surge: &str, unavailable: &str, behaviour: Behaviour) -> Run {
    let spec = spec(&format!(
        r#"layer = "api"
           start = "5m"
           strategy = "rolling"
           rolling = {{ max_surge = "{surge}", max_unavailable = "{unavailable}" }}"#
    ));
    let mut platform = FakePlatform::new(8, behaviour);
    drive(&spec, &mut platform)
}

fn assert_within(run: &Run, max_total: u32, min_registered: u32) {
    for (t, states) in &run.snapshots {
        let total: u32 = states.iter().map(|s| s.desired).sum();
        let registered: u32 = states.iter().map(|s| s.registered).sum();
        assert!(total <= max_total, "{total} desired at {t}: {states:?}");
        assert!(
            registered >= min_registered,
            "{registered} registered at {t}: {states:?}"
        );
    }
}

#[test]
fn rolling_stays_within_surge_and_unavailability_and_reverses_a_bad_release() {
    // Surge 25% of 8 = 2 (rounded up), nothing unavailable.
    let run = rolling_run("25%", "0%", all_healthy());
    assert_within(&run, 10, 8);
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::Promoted);
    assert_eq!(r.baseline_size, 8);
    assert_eq!(r.rollback_path, None);
    let last_old = run.first_time_of(&scale(OLD, 0)).expect("old scaled to 0");
    assert_eq!(r.switched_at, Some(last_old));
    assert_eq!(version_in(&run.end, OLD).desired, 0);
    assert_eq!(version_in(&run.end, NEW).registered, 8);
    // Batches of 2: the new version grows 2, 4, 6, 8 and the old shrinks 6, 4, 2, 0.
    let new_sizes: Vec<u32> = run
        .commands
        .iter()
        .filter_map(|(_, c)| match c {
            Command::Scale { version: NEW, size } => Some(*size),
            _ => None,
        })
        .collect();
    assert_eq!(new_sizes, vec![2, 4, 6, 8]);
    assert_timeline_matches(&run);

    // Nothing above 8; 25% of 8 = 2 may be unavailable.
    let run = rolling_run("0%", "25%", all_healthy());
    assert_within(&run, 8, 6);
    assert_eq!(run.record.outcome, Outcome::Promoted);
    assert!(run.record.switched_at.is_some());
    assert_eq!(version_in(&run.end, OLD).desired, 0);
    assert_eq!(version_in(&run.end, NEW).registered, 8);
    assert_timeline_matches(&run);

    // A bad release is found mid-way and rolled back batch by batch, within the same
    // bounds.
    let run = rolling_run("25%", "0%", new_version_from(Instant::ZERO, ERRORS));
    assert_within(&run, 10, 8);
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.rollback_path, Some(RollbackPath::BatchByBatch));
    assert_eq!(r.switched_at, None);
    let aborted = r.aborted_at.expect("aborted");
    assert_eq!(run.notes_containing("rolling check: fail"), 2);
    // After the abort the new version only shrinks and the old one only grows.
    for (t, c) in &run.commands {
        if *t > aborted {
            match c {
                Command::Scale { version: NEW, size } => assert!(*size < 8),
                Command::Scale { version: OLD, size } => assert!(*size <= 8),
                Command::Destroy { version } => assert_eq!(*version, NEW),
                other => panic!("unexpected {other:?} at {t}"),
            }
        }
    }
    assert!(
        run.commands
            .iter()
            .any(|(t, c)| *t > aborted && matches!(c, Command::Scale { version: OLD, .. })),
        "the old version grows back in batches"
    );
    assert_eq!(version_in(&run.end, NEW).desired, 0);
    assert_eq!(version_in(&run.end, OLD).desired, 8);
    assert_eq!(version_in(&run.end, OLD).registered, 8);
    assert_timeline_matches(&run);
}

#[test]
fn highlander_destroys_the_old_cluster_as_soon_as_the_new_one_is_fully_registered() {
    let spec = spec(
        r#"layer = "api"
           start = "5m"
           strategy = "highlander"
           red_black = { canary = { instances = 1 } }"#,
    );
    let mut platform = FakePlatform::new(4, all_healthy());
    // The 4 new instances are ready at 6m, 6m10s, 6m20s and 6m30s.
    platform.stagger = SimDuration::from_secs(10);
    let run = drive(&spec, &mut platform);

    let full = secs(6 * 60 + 30);
    assert_eq!(
        run.commands,
        vec![
            (mins(5), scale(NEW, 4)),
            (full, Command::Destroy { version: OLD })
        ]
    );
    for obs in &run.observations {
        if obs.now < full {
            assert!(obs.version(NEW).registered < 4);
        }
    }
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::Promoted);
    assert_eq!(r.switched_at, Some(full));
    assert_eq!(r.finished_at, Some(full));
    assert_timeline_matches(&run);
    assert_always_serving(&run, 4);
}

#[test]
fn the_same_observations_give_the_same_decisions() {
    type MakeBehaviour = fn() -> Behaviour;
    let scenarios: Vec<(&str, MakeBehaviour)> = vec![
        (
            r#"layer = "api"
               red_black = { canary = { instances = 2, duration = "15m" }, bake = "20m" }"#,
            all_healthy,
        ),
        (
            r#"layer = "api"
               monitor = "30m"
               red_black = { bake = "10m", cleanup = "destroy" }"#,
            || new_version_from(mins(25), ERRORS),
        ),
        (
            r#"layer = "api"
               strategy = "rolling""#,
            || new_version_from(mins(7), ERRORS),
        ),
    ];
    for (text, behaviour) in scenarios {
        let spec = spec(text);
        let first = drive(&spec, &mut FakePlatform::new(6, behaviour()));
        let second = drive(&spec, &mut FakePlatform::new(6, behaviour()));
        assert_eq!(first.observations, second.observations);
        assert_eq!(first.decisions, second.decisions);
        assert_eq!(first.record, second.record);

        // Replaying the recorded observations into a fresh controller, with no platform
        // at all, gives the same decisions and record.
        let mut replay = Controller::new(&spec, OLD, NEW);
        let decisions: Vec<Decision> = first.observations.iter().map(|o| replay.step(o)).collect();
        assert_eq!(decisions, first.decisions);
        assert_eq!(replay.record(), &first.record);
    }
}

#[test]
fn a_cluster_that_never_becomes_healthy_aborts_at_the_healthy_deadline() {
    // A canary: dropped at start + healthy_deadline.
    let spec_canary = spec(
        r#"layer = "api"
           start = "5m"
           red_black = { canary = { instances = 1 }, healthy_deadline = "10m" }"#,
    );
    let mut platform = FakePlatform::new(4, all_healthy());
    platform.never_ready.push(NEW);
    let run = drive(&spec_canary, &mut platform);
    assert_eq!(
        run.commands,
        vec![
            (mins(5), scale(NEW, 1)),
            (mins(15), Command::Destroy { version: NEW })
        ]
    );
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.aborted_at, Some(mins(15)));
    assert_eq!(r.rollback_path, Some(RollbackPath::Canary));
    assert!(
        r.abort_reason
            .as_deref()
            .is_some_and(|s| s.contains("not healthy in time"))
    );
    assert_timeline_matches(&run);
    assert_always_serving(&run, 4);

    // The full cluster: dropped before the switch; the old one is never disabled.
    let spec_full = spec(
        r#"layer = "api"
           start = "5m"
           red_black = { healthy_deadline = "10m" }"#,
    );
    let mut platform = FakePlatform::new(4, all_healthy());
    platform.never_ready.push(NEW);
    let run = drive(&spec_full, &mut platform);
    assert_eq!(
        run.commands,
        vec![
            (mins(5), scale(NEW, 4)),
            (mins(15), Command::Destroy { version: NEW })
        ]
    );
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.aborted_at, Some(mins(15)));
    assert_eq!(r.switched_at, None);
    assert_eq!(r.rollback_path, Some(RollbackPath::BeforeSwitch));
    assert_timeline_matches(&run);
    assert_always_serving(&run, 4);
}

#[test]
fn a_canary_step_that_never_becomes_healthy_aborts_at_the_canarys_own_deadline() {
    // Red/black's deadline is red/black's: the canary has its own.
    let spec = spec(
        r#"layer = "api"
           start = "5m"
           strategy = "canary"
           canary = { healthy_deadline = "7m" }
           red_black = { healthy_deadline = "2m" }"#,
    );
    let mut platform = FakePlatform::new(4, all_healthy());
    platform.never_ready.push(NEW);
    let run = drive(&spec, &mut platform);
    let r = &run.record;
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.aborted_at, Some(mins(12)));
    assert_eq!(r.rollback_path, Some(RollbackPath::Canary));
    assert!(
        r.abort_reason
            .as_deref()
            .is_some_and(|s| s.contains("step 1 not healthy in time"))
    );
    assert_timeline_matches(&run);
    assert_always_serving(&run, 4);
}

#[test]
fn a_canarys_deadline_counts_from_the_last_progress_only_if_the_canary_says_so() {
    // Four instances ready 60, 100, 140 and 180 s after the launch: 100 s from the
    // launch is too short, 100 s from the last instance that came up is not. Red/black's
    // settings, generous here, are not the canary's.
    let record = |canary: &str| {
        let spec = spec(&format!(
            r#"layer = "api"
               start = "5m"
               strategy = "canary"
               canary = {{ steps = [{{ weight = 100, pause = "5m" }}], healthy_deadline = "100s"{canary} }}
               red_black = {{ healthy_deadline = "1h", progress_deadline = true }}"#
        ));
        let mut platform = FakePlatform::new(4, all_healthy());
        platform.stagger = SimDuration::from_secs(40);
        drive(&spec, &mut platform).record
    };
    let from_launch = record("");
    assert_eq!(from_launch.outcome, Outcome::RolledBack);
    assert_eq!(from_launch.aborted_at, Some(secs(300 + 100)));
    let from_progress = record(", progress_deadline = true");
    assert_eq!(
        from_progress.outcome,
        Outcome::Promoted,
        "{:#?}",
        from_progress.timeline
    );
}

// Behaviours first found broken by the fake platform, now fixed.

#[test]
fn a_rolling_upgrade_that_never_becomes_healthy_rolls_back_at_the_deadline() {
    for (surge, unavailable) in [("25%", "0%"), ("25%", "25%"), ("0%", "25%")] {
        let spec = spec(&format!(
            r#"layer = "api"
               start = "5m"
               strategy = "rolling"
               rolling = {{ max_surge = "{surge}", max_unavailable = "{unavailable}", healthy_deadline = "10m" }}"#
        ));
        let mut platform = FakePlatform::new(8, all_healthy());
        platform.never_ready.push(NEW);
        let (run, done) = drive_until_limit(&spec, &mut platform);
        let r = &run.record;
        assert_eq!(r.aborted_at, Some(mins(15)), "{surge}/{unavailable}");
        assert_eq!(r.rollback_path, Some(RollbackPath::BatchByBatch));
        // Actual: from 15m on no command; v2 keeps its never-ready instances and (with
        // 25% unavailable) v1 stays at 6 of 8. Polls every 5 s until 25m (the deadline
        // set when reversing), then asks to be woken every nanosecond.
        for pair in run.observations.windows(2) {
            let gap = pair[1].now - pair[0].now;
            assert!(
                gap >= SimDuration::from_secs(1),
                "{surge}/{unavailable}: woken {gap} after {}",
                pair[0].now
            );
        }
        assert!(
            done,
            "{surge}/{unavailable}: not done by {LIMIT}; end {:?}",
            run.end
        );
        assert_eq!(r.outcome, Outcome::RolledBack);
        assert_eq!(version_in(&run.end, NEW).desired, 0);
        assert_eq!(version_in(&run.end, OLD).registered, 8);
    }
}

#[test]
fn the_first_rolling_check_compares_with_the_old_version_over_the_same_interval() {
    // The old version had an incident before the rollout (3% errors until 5m), 0.1%
    // since. The new version has 0.8% errors: under the 1% limit, but over the
    // same-interval baseline 0.1% + 0.5%. Instances boot in 30 s, so the first check
    // (at 6m) has data; with failure_limit 1 it must abort there.
    let spec = spec(
        r#"layer = "api"
           start = "5m"
           strategy = "rolling"
           analysis = { failure_limit = 1 }"#,
    );
    let mut platform = FakePlatform::new(
        8,
        Box::new(|v, t| match v {
            OLD if t < mins(5) => Serving {
                error_rate: 0.03,
                ..HEALTHY
            },
            NEW => Serving {
                error_rate: 0.008,
                ..HEALTHY
            },
            _ => HEALTHY,
        }),
    );
    platform.boot = SimDuration::from_secs(30);
    let run = drive(&spec, &mut platform);
    // Actual: the 6m check compares with the old version over [0, 6m) (≈2.7%), passes,
    // and the release is promoted at 6m10s.
    let r = &run.record;
    assert_eq!(r.aborted_at, Some(mins(6)), "timeline: {:#?}", r.timeline);
    assert_eq!(r.outcome, Outcome::RolledBack);
    assert_eq!(r.rollback_path, Some(RollbackPath::BatchByBatch));
}

#[test]
fn a_rolling_upgrade_is_not_promoted_without_a_passing_check() {
    let run = rolling_run(
        "25%",
        "25%",
        Box::new(|v, _| {
            if v == NEW {
                Serving {
                    rps: 0.0,
                    ..HEALTHY
                }
            } else {
                HEALTHY
            }
        }),
    );
    // Actual: 2 checks, both "no data", then "all 8 instances on v2", promoted at 7m10s.
    let r = &run.record;
    assert_eq!(run.notes_containing("rolling check: pass"), 0);
    assert_eq!(
        r.outcome,
        Outcome::RolledBack,
        "timeline: {:#?}",
        r.timeline
    );
    assert_eq!(r.rollback_path, Some(RollbackPath::BatchByBatch));
    assert_eq!(version_in(&run.end, NEW).desired, 0);
}

#[test]
fn a_controller_cannot_be_told_whether_the_release_is_defective() {
    let error = toml::from_str::<ControllerSpec>(
        r#"layer = "api"
           release = { error_rate = 0.5 }"#,
    )
    .expect_err("a controller spec has no release");
    assert!(
        error.to_string().contains("unknown field `release`"),
        "{error}"
    );
}

/// The commands that scaled `version`, in order, with their sizes.
fn sizes_of(run: &Run, version: u32) -> Vec<u32> {
    run.commands
        .iter()
        .filter_map(|(_, c)| match c {
            Command::Scale { version: v, size } if *v == version => Some(*size),
            _ => None,
        })
        .collect()
}

#[test]
fn a_canary_scale_sizes_the_new_version_apart_from_its_weight() {
    // Argo Rollouts' setCanaryScale (docs/features/canary, "Setting Canary Scale"): with
    // a traffic router the canary runs `replicas`, or `weight` percent of spec.replicas,
    // whatever its traffic weight, until matchTrafficWeight sizes it by weight again;
    // the stable stack keeps its full size.
    let spec = spec(
        r#"layer = "api"
           strategy = "canary"
           canary = { steps = [
               { weight = 10, pause = "3m", scale = 5 },
               { weight = 20, pause = "3m", scale = "30%" },
               { weight = 40, pause = "3m" },
           ] }"#,
    );
    let mut platform = FakePlatform::new(10, all_healthy());
    let run = drive(&spec, &mut platform);
    assert_eq!(run.record.outcome, Outcome::Promoted);
    // 5 at 10%, 3 at 20% (scaled down), ⌈10 × 40%⌉ = 4 at 40%, then all 10.
    assert_eq!(sizes_of(&run, NEW), vec![5, 3, 4, 10]);
    assert!(
        !sizes_of(&run, OLD).iter().any(|s| *s < 10),
        "the old version keeps its size"
    );
    assert_timeline_matches(&run);
}

#[test]
fn a_dynamic_stable_scale_shrinks_the_old_version_as_its_weight_falls() {
    // Argo Rollouts' dynamicStableScale (docs/features/canary, "Dynamic Stable Scale";
    // utils/replicaset/canary.go): once a step's weight is on the canary, the stable
    // ReplicaSet runs ⌈replicas × (100 − w)%⌉, so the update never runs twice the pods.
    let steps = r#"[{ weight = 25, pause = "3m" }, { weight = 75, pause = "3m" }]"#;
    let dynamic = spec(&format!(
        r#"layer = "api"
           strategy = "canary"
           canary = {{ steps = {steps}, dynamic_stable_scale = true }}"#
    ));
    let mut platform = FakePlatform::new(8, all_healthy());
    let run = drive(&dynamic, &mut platform);
    assert_eq!(run.record.outcome, Outcome::Promoted);
    assert_eq!(sizes_of(&run, OLD), vec![6, 2], "⌈8 × 75%⌉, then ⌈8 × 25%⌉");
    let peak = |run: &Run| {
        run.snapshots
            .iter()
            .map(|(_, states)| states.iter().map(|s| s.desired).sum::<u32>())
            .max()
            .unwrap_or(0)
    };
    let fixed = spec(&format!(
        r#"layer = "api"
           strategy = "canary"
           canary = {{ steps = {steps} }}"#
    ));
    let full = drive(&fixed, &mut FakePlatform::new(8, all_healthy()));
    assert_eq!(
        peak(&full),
        16,
        "the stable stack at full size beside a full canary"
    );
    assert!(peak(&run) < 16, "peak {} instances", peak(&run));
    assert_timeline_matches(&run);
}

#[test]
fn a_dynamic_stable_scale_abort_grows_the_old_version_back_before_dropping_the_new() {
    // Argo's docs: with dynamicStableScale an aborted canary scales down as traffic
    // shifts back to stable, not at once (which would leave the shrunk stable stack with
    // all the traffic).
    let spec = spec(
        r#"layer = "api"
           strategy = "canary"
           canary = { steps = [{ weight = 25, pause = "5m" }, { weight = 75, pause = "10m" }], dynamic_stable_scale = true }"#,
    );
    let mut platform = FakePlatform::new(8, new_version_from(mins(11), ERRORS));
    let run = drive(&spec, &mut platform);
    assert_eq!(run.record.outcome, Outcome::RolledBack);
    let regrown = run
        .first_time_of(&scale(OLD, 8))
        .expect("old version regrown");
    let dropped = run
        .first_time_of(&Command::Destroy { version: NEW })
        .expect("new version dropped");
    assert!(
        dropped >= regrown + SimDuration::from_secs(60),
        "dropped at {dropped}, regrowth ordered at {regrown}"
    );
    assert_eq!(version_in(&run.end, OLD).registered, 8);
    assert_timeline_matches(&run);
}

#[test]
fn failed_checks_counted_in_all_abort_where_in_a_row_they_do_not() {
    // Argo Rollouts' failureLimit counts every failed measurement (analysis/analysis.go:
    // `result.Failed > failureLimit`), Flagger's threshold every failed check
    // (pkg/controller/scheduler.go: failedChecks + 1, reset only by a new revision): one
    // failure in each of two steps, a pass apart, reaches a limit of 2.
    let bad_spans =
        |t: Instant| (mins(6)..mins(7)).contains(&t) || (mins(12)..mins(13)).contains(&t);
    let behaviour = move || -> Behaviour {
        Box::new(move |v, t| {
            if v == NEW && bad_spans(t) {
                ERRORS
            } else {
                HEALTHY
            }
        })
    };
    let run = |counting: &str| {
        let spec = spec(&format!(
            r#"layer = "api"
               strategy = "canary"
               canary = {{ steps = [{{ weight = 50, pause = "3m" }}, {{ weight = 100, pause = "3m" }}] }}
               analysis = {{ failure_limit = 2, failure_counting = "{counting}" }}"#
        ));
        drive(&spec, &mut FakePlatform::new(4, behaviour()))
    };
    let in_a_row = run("consecutive");
    assert_eq!(in_a_row.record.outcome, Outcome::Promoted);
    assert_eq!(in_a_row.notes_containing("check: fail"), 2);
    let in_all = run("total");
    assert_eq!(in_all.record.outcome, Outcome::RolledBack);
    assert_eq!(in_all.record.aborted_at, Some(mins(13)));
    let reason = in_all.record.abort_reason.clone().unwrap_or_default();
    assert!(reason.contains("2 failed checks in all"), "{reason}");
}

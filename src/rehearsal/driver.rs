//! Drives rollout controllers against the simulated world: the simulator's
//! implementation of the controller's platform.
//!
//! # The loop
//! 1. Run the world up to the earliest moment a controller wants to look (a rollout's
//!    start, or a wake-up it asked for).
//! 2. Build that controller's [`Observation`]: the time (the virtual clock's, as the
//!    controller's [`Instant`](crate::rollout::Instant)), every version of its layer
//!    (clusters grouped by version) and what each did since its previous observation,
//!    summed from the world's per-second cluster series.
//! 3. Carry out its commands on the world: scale (launching a cluster for a version
//!    that has none), enable, disable, destroy.
//! 4. While a controller works on a layer, the layer's autoscaling is suspended (as
//!    Asgard and Spinnaker suspend an ASG's scaling processes during a deploy), and
//!    resumed on the clusters left when it is done.
//! 5. Repeat until the end of the run. Controllers of different layers run at once;
//!    at equal times they act in the order of their rollouts in the model file, then
//!    the release calendar's ([`calendar`], drawn from the seed) in order of due time.
//! 6. A rollout due to start waits while another of its layer is deciding, and while
//!    the release policy holds it back ([`policy`]); its timeline says what it waited
//!    for.

use crate::engine::{SimDuration, SimTime};
use crate::model::observe::{window_of, windows_in};
use crate::model::{ClusterId, InstanceState, LayerId, World};
use crate::rollout::{
    Command, Controller, ControllerSpec, Observation, VersionMetrics, VersionState,
};
use crate::scenario::Scenario;

use crate::rollout::{RolloutRecord, TimeLeft};

use super::calendar::{self, DrawnRelease};
use super::policy::{Gate, Running};

/// A rollout waiting for its start, or under way.
struct Slot {
    /// What its controller is told (the release went to the world).
    spec: ControllerSpec,
    layer: LayerId,
    new_version: u32,
    controller: Option<Controller>,
    wake_at: Option<SimTime>,
    observed_until_s: usize,
    /// When it was due to start, if it had to wait (for another rollout of its layer,
    /// or for the release policy), and what it last waited for.
    waited_since: Option<(SimTime, String)>,
}

/// A world run with its rollouts.
pub struct Rehearsal {
    /// The world, at the end of the run.
    pub world: World,
    /// Each rollout's record, in model-file order.
    pub records: Vec<RolloutRecord>,
    /// For each record, what its rollout still needed when the run ended; `None` for
    /// one that finished.
    pub time_left: Vec<Option<TimeLeft>>,
    /// The release calendar drawn for the run: its releases are the records after the
    /// model file's own rollouts, in this order.
    pub releases: Vec<DrawnRelease>,
}

/// Told how far a run went, in simulated time, each time it has gone a stretch (at most
/// [`ADVANCE_STEP`]): for progress, the run's clock only.
pub type OnAdvance<'a> = &'a (dyn Fn(SimDuration) + Sync);

/// The stretch of simulated time after which a run tells how far it got.
pub const ADVANCE_STEP: SimDuration = SimDuration::from_secs(10);

/// Runs `scenario` with its rollouts to the end.
pub fn rehearse(scenario: &Scenario) -> Rehearsal {
    rehearse_with(scenario, Until::End, &|_| {})
}

/// [`rehearse`], telling `on_advance` how far it got as it goes.
pub fn rehearse_reporting(scenario: &Scenario, on_advance: OnAdvance<'_>) -> Rehearsal {
    rehearse_with(scenario, Until::End, on_advance)
}

/// Runs `scenario` with its rollouts and, in parallel, the same scenario and seed without
/// them: the no-rollout baseline the rollout metrics compare with.
pub fn rehearse_with_baseline(scenario: &Scenario) -> (Rehearsal, World) {
    rayon::join(|| rehearse(scenario), || baseline(scenario))
}

/// Runs `scenario` without its rollouts, to the end: the baseline of the rollout metrics
/// (common random numbers: the same traffic and faults as a rehearsal of the same seed).
pub(crate) fn baseline(scenario: &Scenario) -> World {
    baseline_reporting(scenario, &|_| {})
}

/// [`baseline`], telling `on_advance` how far it got as it goes.
pub(crate) fn baseline_reporting(scenario: &Scenario, on_advance: OnAdvance<'_>) -> World {
    let mut plain = scenario.clone();
    plain.rollouts.clear();
    let mut world = World::new(&plain);
    let end = world.end();
    advance(&mut world, end, on_advance);
    world
}

/// Runs `world` up to `horizon` (as [`World::run_until`]) a stretch at a time, telling
/// `on_advance` after each. The stretches change nothing the world does: it handles the
/// same events in the same order as in one go.
fn advance(world: &mut World, horizon: SimTime, on_advance: OnAdvance<'_>) {
    let horizon = horizon.min(world.end());
    loop {
        let from = world.now();
        let to = (from + ADVANCE_STEP).min(horizon);
        world.run_until(to);
        if world.now() > from {
            on_advance(world.now() - from);
        }
        if to >= horizon {
            break;
        }
    }
}

/// Runs `scenario` with its rollouts until every rollout has finished (or the run
/// ends): for questions about the rollouts alone, without the rest of the run.
pub fn rehearse_until_done(scenario: &Scenario) -> Rehearsal {
    rehearse_with(scenario, Until::Done, &|_| {})
}

/// Runs `scenario` with its rollouts until the first rollout's first judged phase has
/// been judged for `judged_for` (or the run ends): what a judge would have seen in a
/// phase that long, for replaying other judges over it (the canary planner).
#[cfg(test)]
pub(crate) fn rehearse_judged_for(scenario: &Scenario, judged_for: SimDuration) -> Rehearsal {
    rehearse_with(scenario, Until::JudgedFor(judged_for), &|_| {})
}

/// [`rehearse_judged_for`], going on from `world`: a world of `scenario` (built by
/// [`World::new`] from it, or from the same model with other rollouts and the same
/// seed) already run up to a moment no later than the first rollout's start. The run
/// is the one [`rehearse_judged_for`] would make, event for event: a world without
/// rollouts does the same as one whose rollouts have not started, so one such prefix
/// serves every rollout rehearsed from it.
pub(crate) fn rehearse_judged_for_from(
    world: World,
    scenario: &Scenario,
    judged_for: SimDuration,
) -> Rehearsal {
    drive(world, scenario, Until::JudgedFor(judged_for), &|_| {})
}

/// When a rehearsal stops.
#[derive(Clone, Copy)]
enum Until {
    /// At the end of the run.
    End,
    /// When every rollout has finished (or the run ends).
    Done,
    /// When the first rollout's first judged phase has lasted this long.
    JudgedFor(SimDuration),
}

/// The moment `until` asks to stop at, once it is known.
fn stop_at(until: Until, slots: &[Slot]) -> Option<SimTime> {
    let Until::JudgedFor(judged_for) = until else {
        return None;
    };
    let first = slots
        .first()?
        .controller
        .as_ref()?
        .record()
        .judged_from
        .first()?;
    Some(SimTime::from(*first) + judged_for)
}

fn rehearse_with(scenario: &Scenario, until: Until, on_advance: OnAdvance<'_>) -> Rehearsal {
    drive(World::new(scenario), scenario, until, on_advance)
}

/// Runs `world` with `scenario`'s rollouts until `until`.
fn drive(
    mut world: World,
    scenario: &Scenario,
    until: Until,
    on_advance: OnAdvance<'_>,
) -> Rehearsal {
    let drawn = calendar::draw(scenario);
    let gate = Gate::new(scenario, &world);
    let mut slots: Vec<Slot> = scenario
        .rollouts
        .iter()
        .chain(drawn.iter().map(|(_, rollout)| rollout))
        .map(|spec| {
            let layer = world
                .layer_id(&spec.layer)
                .expect("validated: a rollout's layer exists");
            // The release is the world's: the controller gets everything else.
            let new_version = world.add_release(layer, &spec.release);
            Slot {
                spec: ControllerSpec::from(spec),
                layer,
                new_version,
                controller: None,
                wake_at: Some(SimTime::ZERO + spec.start),
                observed_until_s: 0,
                waited_since: None,
            }
        })
        .collect();
    loop {
        let stop = stop_at(until, &slots);
        if stop.is_some_and(|t| world.now() >= t) {
            break;
        }
        let next = slots.iter().filter_map(|s| s.wake_at).min();
        let next = next.map(|t| stop.map_or(t, |stop| t.min(stop)));
        let Some(next) = next.filter(|t| *t <= world.end()) else {
            let all_done = slots
                .iter()
                .all(|s| s.controller.as_ref().is_some_and(Controller::is_done));
            if !(matches!(until, Until::Done) && all_done) {
                let end = world.end();
                advance(&mut world, end, on_advance);
            }
            break;
        };
        advance(&mut world, next, on_advance);
        for index in 0..slots.len() {
            if slots[index].wake_at != Some(next) {
                continue;
            }
            // A rollout that would start while another of its layer is still deciding
            // (not yet promoted, nor rolled back) waits for it, as a deploy pipeline that
            // allows one execution at a time; the release policy may hold it back too.
            if slots[index].controller.is_none() {
                let running: Vec<Running> = slots
                    .iter()
                    .map(|s| Running {
                        layer: s.layer,
                        deciding: s.controller.as_ref().is_some_and(Controller::holds_layer),
                        wake_at: s.wake_at,
                    })
                    .collect();
                if let Some(blocked) = gate.blocker(slots[index].layer, next, &running) {
                    let slot = &mut slots[index];
                    let due = slot.waited_since.as_ref().map_or(next, |(due, _)| *due);
                    slot.waited_since = Some((due, blocked.reason));
                    slot.wake_at = Some(blocked.retry_at);
                    continue;
                }
            }
            step(&mut world, &mut slots[index]);
        }
    }
    let end = world.end();
    let (records, time_left) = slots
        .into_iter()
        .map(|s| {
            let controller = s
                .controller
                .unwrap_or_else(|| Controller::new(&s.spec, 0, s.new_version));
            (
                controller.record().clone(),
                controller.time_left(end.into()),
            )
        })
        .unzip();
    Rehearsal {
        world,
        records,
        time_left,
        releases: drawn.into_iter().map(|(release, _)| release).collect(),
    }
}

fn step(world: &mut World, slot: &mut Slot) {
    let now = world.now();
    let controller = slot.controller.get_or_insert_with(|| {
        // The version replaced is the one taking the most traffic at the start: enabled,
        // most instances in the balancer, the newest on a tie.
        let old = versions(world, slot.layer)
            .into_iter()
            .filter(|v| v.version != slot.new_version && v.enabled)
            .max_by_key(|v| (v.registered, v.version))
            .map_or(0, |v| v.version);
        // Sizes are the controller's while it works: autoscaling is suspended.
        for cluster in world.clusters_of(slot.layer) {
            world.set_autoscaling_suspended(cluster, true);
        }
        slot.observed_until_s =
            window_of(now).saturating_sub(windows_in(slot.spec.analysis.interval));
        let mut controller = Controller::new(&slot.spec, old, slot.new_version);
        if let Some((due, reason)) = &slot.waited_since {
            controller.note_at(
                now.into(),
                format!(
                    "due at {}, waited {} for {reason}",
                    *due - SimTime::ZERO,
                    now - *due,
                ),
            );
        }
        controller
    });
    let now_s = window_of(now);
    let observation = Observation {
        now: now.into(),
        versions: versions(world, slot.layer),
        metrics: metrics(world, slot.layer, slot.observed_until_s, now_s),
    };
    slot.observed_until_s = now_s;
    let decision = controller.step(&observation);
    for command in &decision.commands {
        apply(world, slot.layer, command);
    }
    let done = controller.is_done();
    for cluster in world.clusters_of(slot.layer) {
        world.set_autoscaling_suspended(cluster, !done);
    }
    slot.wake_at = decision.wake_at.map(SimTime::from);
}

/// Every version with a live cluster in `layer`.
fn versions(world: &World, layer: LayerId) -> Vec<VersionState> {
    let mut out: Vec<VersionState> = Vec::new();
    for cluster in world.clusters_of(layer) {
        let view = world.cluster_view(cluster);
        let index = out.iter().position(|v| v.version == view.version);
        let state = match index {
            Some(i) => &mut out[i],
            None => {
                out.push(VersionState {
                    version: view.version,
                    ..VersionState::default()
                });
                out.last_mut().expect("just pushed")
            }
        };
        let count = |s: InstanceState| view.instances[s.index()];
        state.desired += view.desired;
        state.starting += count(InstanceState::Launching) + count(InstanceState::Booting);
        state.serving += count(InstanceState::Warming) + count(InstanceState::InService);
        state.registered += view.registered;
        state.enabled |= view.enabled && view.desired > 0;
        state.crashes += view.crashes;
    }
    out.sort_by_key(|v| v.version);
    out
}

/// What each version's instances did in the windows `[from_s, to_s)`.
pub(crate) fn metrics(
    world: &World,
    layer: LayerId,
    from_s: usize,
    to_s: usize,
) -> Vec<(u32, VersionMetrics)> {
    let mut out: Vec<(u32, VersionMetrics)> = Vec::new();
    for cluster in world.all_clusters_of(layer) {
        let series = world.series_of(cluster);
        let version = series.version;
        let mut m = VersionMetrics::default();
        for s in from_s..to_s {
            let Some(window) = s
                .checked_sub(series.first_window as usize)
                .and_then(|k| series.windows.get(k))
            else {
                continue;
            };
            m.requests += u64::from(window.succeeded) + u64::from(window.failed_total());
            m.errors += u64::from(window.failed_total());
            m.latency.merge(&window.latency);
        }
        match out.iter_mut().find(|(v, _)| *v == version) {
            Some((_, total)) => total.add(&m),
            None => out.push((version, m)),
        }
    }
    out.sort_by_key(|(v, _)| *v);
    out
}

fn clusters_of_version(world: &World, layer: LayerId, version: u32) -> Vec<ClusterId> {
    world
        .clusters_of(layer)
        .into_iter()
        .filter(|c| world.cluster_view(*c).version == version)
        .collect()
}

fn apply(world: &mut World, layer: LayerId, command: &Command) {
    match *command {
        Command::Scale { version, size } => {
            let clusters = clusters_of_version(world, layer, version);
            match clusters.first() {
                Some(cluster) => world.resize_cluster(*cluster, size),
                None if size > 0 => {
                    world.launch_cluster(layer, version, size);
                }
                None => {}
            }
        }
        Command::Enable { version } => {
            for cluster in clusters_of_version(world, layer, version) {
                world.set_enabled(cluster, true);
            }
        }
        Command::Disable { version } => {
            for cluster in clusters_of_version(world, layer, version) {
                world.set_enabled(cluster, false);
            }
        }
        Command::SetWeight { version, weight } => {
            for cluster in clusters_of_version(world, layer, version) {
                world.set_weight(cluster, weight);
            }
        }
        Command::Destroy { version } => {
            for cluster in clusters_of_version(world, layer, version) {
                world.resize_cluster(cluster, 0);
            }
        }
    }
}

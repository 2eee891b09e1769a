//! Drives the rollout controller against real processes behind a real HAProxy: the
//! live twin of [`crate::rehearsal::driver`], with tokio's timers for the event queue.
//!
//! # The loop
//! 1. Set up: HAProxy with the layer's health checks; the old version's instances
//!    (booted, warm), in rotation before time zero.
//! 2. Time zero: the run's [`Clock`] starts and the load generator sends the model's
//!    traffic through HAProxy.
//! 3. Every [`TICK`], and at every wake-up the controller asked for: the fleet is
//!    brought up to date from HAProxy's stats (drains ended, crashes counted and
//!    replaced) and its size sampled.
//! 4. At a wake-up: the [`Observation`] is built from the fleet (versions as HAProxy
//!    sees their servers) and from the load generator's attempts since the previous
//!    observation (per version: answered, failed, time on the instance; taken from
//!    the generator every tick, so neither keeps them long); the very
//!    controller the simulator drives decides; its commands go to the fleet (scale =
//!    start or drain-and-stop processes, enable/disable = ready/drain in HAProxy,
//!    destroy, weights).
//! 5. Once the controller is done, traffic runs for [`TAIL`] more (requests under way
//!    finish, drains end), then stops. The run also stops at the model's end.

use std::net::SocketAddr;

use super::clock::Clock;
use super::fleet::{Fleet, FleetSample};
use super::haproxy::{self, BalancerConfig};
use super::load::{Attempt, AttemptOutcome, LoadGenerator, LoadSpec, SharedRecords};
use super::processes::Supervisor;
use super::scale::LiveModel;
use super::tally::LoadTally;
use crate::Error;
use crate::engine::{SimDuration, SimTime};
use crate::model::observe::window_of;
use crate::rollout::{
    Command, Controller, ControllerSpec, Observation, RolloutRecord, VersionMetrics,
};
use crate::scenario::balancer::BalancerSpec;
use crate::scenario::rollout::ReleaseSpec;

/// How often the fleet is brought up to date between wake-ups.
const TICK: SimDuration = SimDuration::from_millis(50);
/// Traffic after the controller is done.
pub(crate) const TAIL: SimDuration = SimDuration::from_secs(2);
/// Time the first instances get to pass HAProxy's health checks.
const SETUP_TIMEOUT: SimDuration = SimDuration::from_secs(30);
/// The version replaced, and the one rolled out.
const OLD_VERSION: u32 = 0;
const NEW_VERSION: u32 = 1;

/// What a live run did.
#[derive(Debug, Clone)]
pub(crate) struct LiveRun {
    /// The controller's account.
    pub(crate) record: RolloutRecord,
    /// The load generator's attempts and requests, per second to the one `end` is in.
    pub(crate) load: LoadTally,
    /// The fleet's size over time.
    pub(crate) fleet: Vec<FleetSample>,
    /// When traffic stopped.
    pub(crate) end: SimTime,
    /// HAProxy's frontend (loopback).
    pub(crate) frontend: SocketAddr,
}

/// Plays `model`'s rollout for real; every process is `supervisor`'s. `log` gets each
/// decision as it is taken. Whatever fails here (HAProxy, an instance process, the
/// load) is a failure at run time.
pub(crate) async fn drive(
    model: &LiveModel,
    supervisor: &mut Supervisor,
    log: &mut dyn FnMut(SimTime, &str),
) -> Result<LiveRun, Error> {
    play(model, supervisor, log).await.map_err(Error::Failed)
}

async fn play(
    model: &LiveModel,
    supervisor: &mut Supervisor,
    log: &mut dyn FnMut(SimTime, &str),
) -> Result<LiveRun, String> {
    let layer = model.layer_spec();
    let BalancerSpec::Elb {
        algorithm,
        health_check_interval,
        healthy_threshold,
        unhealthy_threshold,
        deregistration_delay,
    } = layer.balancer.clone()
    else {
        return Err("live mode plays the layer's balancer as an ELB".into());
    };
    let config = BalancerConfig {
        algorithm,
        check_interval: health_check_interval,
        rise: healthy_threshold,
        fall: unhealthy_threshold,
    };
    let proxy = haproxy::start(supervisor, &config).await?;
    let mut fleet = Fleet::new(
        proxy.runtime.clone(),
        layer,
        deregistration_delay,
        model.scenario.seed,
    )?;
    fleet.add_release(OLD_VERSION, &ReleaseSpec::default());
    fleet.add_release(NEW_VERSION, &model.rollout().release);
    fleet
        .launch_booted(supervisor, OLD_VERSION, layer.instances)
        .await?;
    settle(&mut fleet, supervisor).await?;

    let clock = Clock::starting_now();
    let end_cap = SimTime::ZERO + model.scenario.duration;
    let load = LoadGenerator::start(
        LoadSpec {
            target: proxy.frontend,
            traffic: model.scenario.traffic.clone(),
            client: layer.client.clone(),
            seed: model.scenario.seed,
            end: end_cap,
        },
        clock,
    );
    // The release went to the instances; the controller gets everything else.
    let mut controller = Controller::new(
        &ControllerSpec::from(model.rollout()),
        OLD_VERSION,
        NEW_VERSION,
    );
    let mut wake = Some(SimTime::from(controller.first_wake()));
    let mut window = Window::default();
    let look_back = model.rollout().analysis.interval;
    let mut samples = Vec::new();
    let mut stop_at: Option<SimTime> = None;
    loop {
        // The controller's time, and the same moment on the run's windows.
        let instant = clock.now_ms();
        let now = SimTime::from(instant);
        if let Some(status) = supervisor.try_exit(proxy.child) {
            return Err(format!("HAProxy exited during the run ({status})"));
        }
        fleet.tick(supervisor, now).await?;
        samples.push(fleet.sample(now));
        window.absorb(load.records(), now, look_back);
        if let Some(at) = wake
            && now >= at
        {
            let observation = Observation {
                now: instant,
                versions: fleet.versions(),
                metrics: window.take(now, look_back),
            };
            let decision = controller.step(&observation);
            for note in &decision.notes {
                log(now, note);
            }
            for command in &decision.commands {
                apply(&mut fleet, supervisor, command, now).await?;
            }
            wake = decision.wake_at.map(SimTime::from);
        }
        if controller.is_done() && stop_at.is_none() {
            stop_at = Some(now + TAIL);
        }
        let stop = stop_at.unwrap_or(end_cap).min(end_cap);
        if now >= stop {
            load.stop_at(now);
            break;
        }
        let next = [Some(now + TICK), wake, Some(stop)]
            .into_iter()
            .flatten()
            .min()
            .expect("a tick is always due");
        tokio::time::sleep_until(clock.instant(next)).await;
    }
    let end = SimTime::from(clock.now_ms());
    let load = load.finish().await.ending_at(window_of(end));
    Ok(LiveRun {
        record: controller.record().clone(),
        load,
        fleet: samples,
        end,
        frontend: proxy.frontend,
    })
}

/// Waits until the first instances are in rotation.
async fn settle(fleet: &mut Fleet, supervisor: &mut Supervisor) -> Result<(), String> {
    let clock = Clock::starting_now();
    loop {
        fleet.tick(supervisor, SimTime::ZERO).await?;
        if fleet.settled() {
            return Ok(());
        }
        if clock.now() >= SimTime::ZERO + SETUP_TIMEOUT {
            return Err(format!(
                "the first instances did not pass HAProxy's health checks within {SETUP_TIMEOUT}"
            ));
        }
        tokio::time::sleep(std::time::Duration::from_nanos(TICK.as_nanos())).await;
    }
}

async fn apply(
    fleet: &mut Fleet,
    supervisor: &mut Supervisor,
    command: &Command,
    now: SimTime,
) -> Result<(), String> {
    match *command {
        Command::Scale { version, size } => fleet.scale(supervisor, version, size, now).await,
        Command::Enable { version } => fleet.set_enabled(version, true).await,
        Command::Disable { version } => fleet.set_enabled(version, false).await,
        Command::Destroy { version } => fleet.destroy(version, now).await,
        Command::SetWeight { version, weight } => fleet.set_weight(version, weight).await,
    }
}

/// The attempts not yet shown to the controller, taken from the load generator every
/// tick so that neither side keeps more than a few seconds of them.
#[derive(Debug, Default)]
struct Window {
    /// Before the first observation: the attempts that may fall in its look-back.
    recent: Vec<Attempt>,
    /// Since: per version, what its instances answered since the previous observation.
    since: Vec<(u32, VersionMetrics)>,
    /// Whether the controller has looked before.
    started: bool,
}

impl Window {
    /// Takes the attempts that ended since the previous call; `now` is the time of
    /// the tick, `look_back` how far the first observation looks back.
    fn absorb(&mut self, records: &SharedRecords, now: SimTime, look_back: SimDuration) {
        let fresh =
            std::mem::take(&mut records.lock().unwrap_or_else(|e| e.into_inner()).unobserved);
        if self.started {
            for attempt in &fresh {
                add(&mut self.since, attempt);
            }
        } else {
            // The first observation, at `now` or later, looks back from then: what
            // ended before `now` − the interval cannot be in it.
            let from = before(now, look_back);
            self.recent.retain(|a| a.end >= from);
            self.recent
                .extend(fresh.into_iter().filter(|a| a.end >= from));
        }
    }

    /// Per version, what its instances answered since the previous observation (the
    /// first looks back `look_back`, the analysis interval, as the simulator's driver
    /// does).
    fn take(&mut self, now: SimTime, look_back: SimDuration) -> Vec<(u32, VersionMetrics)> {
        if !self.started {
            self.started = true;
            let from = before(now, look_back);
            for attempt in std::mem::take(&mut self.recent) {
                if attempt.end >= from {
                    add(&mut self.since, &attempt);
                }
            }
        }
        let mut out = std::mem::take(&mut self.since);
        out.sort_by_key(|(v, _)| *v);
        out
    }
}

/// `span` before `now`, or time zero.
fn before(now: SimTime, span: SimDuration) -> SimTime {
    SimTime::from_nanos(now.as_nanos().saturating_sub(span.as_nanos()))
}

/// Counts `attempt` for the version that answered it, if one did.
fn add(metrics: &mut Vec<(u32, VersionMetrics)>, attempt: &Attempt) {
    let Some(version) = attempt.version else {
        return;
    };
    let index = match metrics.iter().position(|(v, _)| *v == version) {
        Some(i) => i,
        None => {
            metrics.push((version, VersionMetrics::default()));
            metrics.len() - 1
        }
    };
    let metrics = &mut metrics[index].1;
    metrics.requests += 1;
    match attempt.outcome {
        AttemptOutcome::Ok => {
            if let Some(time) = attempt.instance_time {
                metrics.latency.record(time);
            }
        }
        _ => metrics.errors += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::load::Records;

    fn at(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    /// An attempt of `version` ending at `end_ms`, ok or failed.
    fn ended(records: &SharedRecords, end_ms: u64, version: u32, ok: bool) {
        let mut records = records.lock().expect("unpoisoned");
        records.unobserved.push(Attempt {
            start: at(end_ms.saturating_sub(5)),
            end: at(end_ms),
            outcome: if ok {
                AttemptOutcome::Ok
            } else {
                AttemptOutcome::Failed
            },
            version: Some(version),
            instance_time: Some(SimDuration::from_millis(4)),
        });
    }

    #[test]
    fn the_first_observation_looks_back_one_interval_and_later_ones_see_all_since() {
        let records = SharedRecords::new(std::sync::Mutex::new(Records::default()));
        let interval = SimDuration::from_secs(10);
        let mut window = Window::default();
        // Taken tick by tick for 30 s; the first observation is at 30 s.
        for ms in (0..30_000).step_by(50) {
            ended(&records, ms, 0, ms % 1000 != 0);
            window.absorb(&records, at(ms), interval);
        }
        assert!(window.recent.len() <= 201, "kept {}", window.recent.len());
        let first = window.take(at(30_000), interval);
        // From 20 s (included) to 29.95 s: 200 attempts, 10 of them failed.
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].1.requests, first[0].1.errors), (200, 10));
        assert_eq!(first[0].1.latency.count(), 190);
        // Then everything that ended since, whenever it ended, per version in order.
        ended(&records, 29_000, 1, true);
        ended(&records, 30_100, 0, false);
        window.absorb(&records, at(30_100), interval);
        ended(&records, 30_150, 1, true);
        window.absorb(&records, at(30_150), interval);
        let second = window.take(at(30_150), interval);
        let counts: Vec<_> = second
            .iter()
            .map(|(v, m)| (*v, m.requests, m.errors))
            .collect();
        assert_eq!(counts, [(0, 1, 1), (1, 2, 0)]);
        assert!(records.lock().expect("unpoisoned").unobserved.is_empty());
    }
}

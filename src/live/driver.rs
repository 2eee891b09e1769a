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
//!    observation (per version: answered, failed, time on the instance); the very
//!    controller the simulator drives decides; its commands go to the fleet (scale =
//!    start or drain-and-stop processes, enable/disable = ready/drain in HAProxy,
//!    destroy, weights).
//! 5. Once the controller is done, traffic runs for [`TAIL`] more (requests under way
//!    finish, drains end), then stops. The run also stops at the model's end.

use std::net::SocketAddr;

use super::clock::Clock;
use super::fleet::{Fleet, FleetSample};
use super::haproxy::{self, BalancerConfig};
use super::load::{AttemptOutcome, LoadGenerator, LoadSpec, Records, SharedRecords};
use super::processes::Supervisor;
use super::scale::LiveModel;
use crate::engine::{SimDuration, SimTime};
use crate::rollout::{Command, Controller, Observation, RolloutRecord, VersionMetrics};
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
    /// Every attempt and request of the load generator.
    pub(crate) records: Records,
    /// The fleet's size over time.
    pub(crate) fleet: Vec<FleetSample>,
    /// When traffic stopped.
    pub(crate) end: SimTime,
    /// HAProxy's frontend (loopback).
    pub(crate) frontend: SocketAddr,
}

/// Plays `model`'s rollout for real; every process is `supervisor`'s. `log` gets each
/// decision as it is taken.
pub(crate) async fn drive(
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
    let mut controller = Controller::new(model.rollout(), OLD_VERSION, NEW_VERSION);
    let mut wake = Some(controller.first_wake());
    let mut window = Window::default();
    let mut samples = Vec::new();
    let mut stop_at: Option<SimTime> = None;
    loop {
        let now = clock.now_ms();
        if let Some(status) = supervisor.try_exit(proxy.child) {
            return Err(format!("HAProxy exited during the run ({status})"));
        }
        fleet.tick(supervisor, now).await?;
        samples.push(fleet.sample(now));
        if let Some(at) = wake
            && now >= at
        {
            let observation = Observation {
                now,
                versions: fleet.versions(),
                metrics: window.take(load.records(), now, model.rollout()),
            };
            let decision = controller.step(&observation);
            for note in &decision.notes {
                log(now, note);
            }
            for command in &decision.commands {
                apply(&mut fleet, supervisor, command, now).await?;
            }
            wake = decision.wake_at;
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
    let end = clock.now_ms();
    let records = load.finish().await;
    Ok(LiveRun {
        record: controller.record().clone(),
        records,
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

/// The attempts not yet shown to the controller.
#[derive(Debug, Default)]
struct Window {
    /// Attempts before this index were shown.
    seen: usize,
    /// Whether the controller has looked before.
    started: bool,
}

impl Window {
    /// Per version, what its instances answered since the previous observation (the
    /// first looks back one analysis interval, as the simulator's driver does).
    fn take(
        &mut self,
        records: &SharedRecords,
        now: SimTime,
        spec: &crate::scenario::rollout::RolloutSpec,
    ) -> Vec<(u32, VersionMetrics)> {
        let records = records.lock().unwrap_or_else(|e| e.into_inner());
        let from = if self.started {
            SimTime::ZERO
        } else {
            SimTime::from_nanos(
                now.as_nanos()
                    .saturating_sub(spec.analysis.interval.as_nanos()),
            )
        };
        self.started = true;
        let mut out: Vec<(u32, VersionMetrics)> = Vec::new();
        for attempt in records.attempts[self.seen..]
            .iter()
            .filter(|a| a.end >= from)
        {
            let Some(version) = attempt.version else {
                continue;
            };
            let index = match out.iter().position(|(v, _)| *v == version) {
                Some(i) => i,
                None => {
                    out.push((version, VersionMetrics::default()));
                    out.len() - 1
                }
            };
            let metrics = &mut out[index].1;
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
        self.seen = records.attempts.len();
        out.sort_by_key(|(v, _)| *v);
        out
    }
}

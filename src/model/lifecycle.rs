//! Instances coming and going: launch, boot, registration in the balancer, launch
//! failures, crashes, graceful draining, and clusters keeping their desired size.
//!
//! # Registration
//! - ELB: after boot the instance must pass `healthy_threshold` health checks,
//!   `health_check_interval` apart, the first at a random moment within one interval.
//!   A dead instance stays registered until `unhealthy_threshold` checks have failed.
//! - Discovery: the instance registers itself when ready. A dead one stays in the
//!   registry until its lease expires: `eviction_timeout` after its last heartbeat (a
//!   random moment within one `heartbeat_interval` before it died). Callers see either
//!   change only after their next refresh.
//!
//! # Leaving
//! A graceful exit (scale-in, a rollout's terminate) first deregisters the instance,
//! lets it serve for the balancer's drain time ([`super::world::Balancer::drain_time`]),
//! then shuts it down; behind an ELB it is done as soon as nothing is in flight. A crash (Chaos Monkey, a zone outage) is immediate: its jobs
//! fail with `reset`, and the cluster launches a replacement.

use rand::RngExt;

use crate::engine::{SimDuration, SimTime};
use crate::queueing::{Station, StationStats};

use super::ids::{ClusterId, InstanceId};
use super::instance::Phase;
use super::world::{Balancer, Event, World};

/// Ribbon's `PollingServerListUpdater` first refreshes its list a second after start.
const BALANCER_LIST_INITIAL_DELAY: SimDuration = SimDuration::from_secs(1);

impl World {
    /// Launches a new instance for `cluster`.
    pub(crate) fn launch(&mut self, cluster: ClusterId) -> InstanceId {
        let id = self.new_instance(cluster);
        let layer = self.clusters[cluster.index()].layer;
        self.layers[layer.index()].launched += 1;
        let provisioning = self.layers[layer.index()]
            .launch_time
            .sample(&mut self.rng.lifecycle);
        self.scheduler
            .schedule_in(provisioning, Event::Launched { instance: id });
        id
    }

    pub(crate) fn launched(&mut self, id: InstanceId) {
        let instance = &mut self.instances[id.index()];
        if instance.phase != Phase::Launching {
            return;
        }
        instance.phase = Phase::Booting;
        let layer = instance.layer;
        self.sync_brief(id);
        let boot = self.layers[layer.index()]
            .boot_time
            .sample(&mut self.rng.lifecycle);
        self.scheduler
            .schedule_in(boot, Event::Booted { instance: id });
    }

    pub(crate) fn booted(&mut self, id: InstanceId) {
        let now = self.now();
        if self.instances[id.index()].phase != Phase::Booting {
            return;
        }
        let layer_id = self.instances[id.index()].layer;
        let failure_probability = self.layers[layer_id.index()].launch_failure_probability;
        if failure_probability > 0.0 && self.rng.lifecycle.random::<f64>() < failure_probability {
            let cluster = self.instances[id.index()].cluster;
            self.clusters[cluster.index()].crashes += 1;
            self.crash(id);
            return;
        }
        let layer = &self.layers[layer_id.index()];
        let (warmup, balancer) = (layer.warmup, layer.balancer);
        let version = self.clusters[self.instances[id.index()].cluster.index()].version as usize;
        if let Some(crash_after) = layer.releases[version].crash_after {
            let lifetime = crash_after.sample(&mut self.rng.release);
            self.scheduler
                .schedule_in(lifetime, Event::Crash { instance: id });
        }
        let instance = &mut self.instances[id.index()];
        instance.phase = Phase::Serving;
        instance.ready_at = now;
        instance.warm_at = now + warmup;
        // As a caller, it fetches the registries of the layers it calls when it starts,
        // then every refresh interval.
        instance.refresh_phase = SimDuration::from_nanos(now.as_nanos());
        // Ribbon's list refresh starts a second after the application.
        instance.list_phase = SimDuration::from_nanos(now.as_nanos()) + BALANCER_LIST_INITIAL_DELAY;
        self.sync_brief(id);
        self.start_spells(id, false);
        match balancer {
            Balancer::Elb {
                health_check_interval,
                healthy_threshold,
                ..
            } => {
                let first_check = self.random_phase(health_check_interval);
                let passed = first_check
                    + health_check_interval.saturating_mul(u64::from(healthy_threshold) - 1);
                self.scheduler
                    .schedule_in(passed, Event::HealthChecksPassed { instance: id });
            }
            Balancer::Discovery { .. } => self.register_if_enabled(id),
        }
    }

    pub(crate) fn health_checks_passed(&mut self, id: InstanceId) {
        if self.instances[id.index()].phase == Phase::Serving {
            self.register_if_enabled(id);
        }
    }

    /// Puts a serving instance in its balancer, if its cluster takes traffic.
    pub(crate) fn register_if_enabled(&mut self, id: InstanceId) {
        let now = self.now();
        let cohort = self.instances[id.index()].cohort;
        let warm_at = self.instances[id.index()].warm_at;
        let cluster = &mut self.clusters[self.instances[id.index()].cluster.index()];
        if cluster.enabled && !cluster.is_registered(id) {
            let rep = cluster.register(id, cohort, now);
            if let Some(group) = cluster.cohorts.get_mut(cohort as usize) {
                group.warm_by = group.warm_by.max(warm_at);
            }
            if rep {
                let weight = cluster.cohorts[cohort as usize].weight();
                let instance = &mut self.instances[id.index()];
                instance.sample_weight = weight;
            }
            self.instances[id.index()].rep = rep;
            self.sync_brief(id);
            let cluster = self.instances[id.index()].cluster;
            self.sample_reps_on_register(cluster, id);
        }
    }

    pub(crate) fn health_checks_failed(&mut self, id: InstanceId) {
        let now = self.now();
        let cluster = self.instances[id.index()].cluster;
        self.clusters[cluster.index()].deregister(id, now);
        self.top_up_reps(cluster);
    }

    /// A crash-looping instance goes down, if it is still serving.
    pub(crate) fn crash_if_serving(&mut self, id: InstanceId) {
        if self.instances[id.index()].phase == Phase::Serving {
            let cluster = self.instances[id.index()].cluster;
            self.clusters[cluster.index()].crashes += 1;
            self.crash(id);
        }
    }

    /// The instance dies at once (crash, kill, failed launch); its cluster replaces it.
    pub(crate) fn crash(&mut self, id: InstanceId) {
        let now = self.now();
        let (cluster, layer, was_registered) = {
            let instance = &self.instances[id.index()];
            if instance.phase == Phase::Terminated {
                return;
            }
            let cluster = instance.cluster;
            (
                cluster,
                instance.layer,
                self.clusters[cluster.index()].is_registered(id),
            )
        };
        self.layers[layer.index()].crashed += 1;
        if was_registered {
            match self.layers[layer.index()].balancer {
                Balancer::Elb {
                    health_check_interval,
                    unhealthy_threshold,
                    ..
                } => {
                    let first_check = self.random_phase(health_check_interval);
                    let detected = first_check
                        + health_check_interval.saturating_mul(u64::from(unhealthy_threshold) - 1);
                    self.scheduler
                        .schedule_in(detected, Event::HealthChecksFailed { instance: id });
                }
                Balancer::Discovery {
                    heartbeat_interval,
                    eviction_timeout,
                    ..
                } => {
                    let since_heartbeat = self.random_phase(heartbeat_interval);
                    let evicted = SimTime::ZERO
                        + now.since_start().saturating_sub(since_heartbeat)
                        + eviction_timeout;
                    self.clusters[cluster.index()].deregister(id, evicted.max(now));
                    self.top_up_reps(cluster);
                }
            }
        }
        self.shut_down(id);
        self.replace_missing(cluster);
    }

    /// Takes an instance out of its cluster and balancer, and shuts it down after the
    /// balancer's drain time (at once if it never served).
    pub(crate) fn retire(&mut self, id: InstanceId) {
        let now = self.now();
        let instance = &mut self.instances[id.index()];
        let cluster = instance.cluster;
        match instance.phase {
            Phase::Launching | Phase::Booting => {
                self.shut_down(id);
            }
            Phase::Serving => {
                instance.phase = Phase::Draining;
                let drain = self.layers[instance.layer.index()].balancer.drain_time();
                self.briefs[id.index()].phase = Phase::Draining;
                let cluster = &mut self.clusters[cluster.index()];
                cluster.members.retain(|m| *m != id);
                cluster.deregister(id, now);
                // Known to callers (registered now or lately, e.g. a disabled cluster):
                // drain, since stale views may still send to it. Never registered: go.
                let known = cluster.entries.iter().any(|e| e.instance == id);
                let cluster_id = self.instances[id.index()].cluster;
                self.top_up_reps(cluster_id);
                if known {
                    self.scheduler
                        .schedule_in(drain, Event::DrainDone { instance: id });
                    self.finish_drain_if_idle(id);
                } else {
                    self.shut_down(id);
                }
            }
            Phase::Draining | Phase::Terminated => {}
        }
    }

    /// Behind an ELB, a draining instance with nothing in flight is done at once (AWS:
    /// "if a deregistering target has no in-flight requests … deregistration completes
    /// immediately"); the delay only bounds how long in-flight requests may take. Behind
    /// discovery, stale callers may still come, so it drains for the full time.
    pub(crate) fn finish_drain_if_idle(&mut self, id: InstanceId) {
        let instance = &self.instances[id.index()];
        if instance.phase == Phase::Draining
            && instance.outstanding() == 0
            && matches!(
                self.layers[instance.layer.index()].balancer,
                Balancer::Elb { .. }
            )
        {
            self.shut_down(id);
        }
    }

    pub(crate) fn drain_done(&mut self, id: InstanceId) {
        if self.instances[id.index()].phase == Phase::Draining {
            self.shut_down(id);
        }
    }

    /// The instance is gone: jobs on it fail, its station's statistics are kept.
    fn shut_down(&mut self, id: InstanceId) {
        let now = self.now();
        let instance = &mut self.instances[id.index()];
        if instance.phase == Phase::Terminated {
            return;
        }
        instance.phase = Phase::Terminated;
        instance.terminated_at = now;
        let cluster = instance.cluster;
        let layer = instance.layer;
        self.briefs[id.index()].phase = Phase::Terminated;
        let instance = &mut self.instances[id.index()];
        let station = std::mem::replace(&mut instance.station, Station::new(1, 0));
        let mut station = station;
        let stats = station.stats_at(now);
        if self.is_fast() {
            self.fast_instance_gone(stats.area_busy, id);
        }
        add_stats(&mut self.layers[layer.index()].gone_stations, &stats);
        self.clusters[cluster.index()].busy_area_gone_ns += stats.area_busy;
        self.clusters[cluster.index()].members.retain(|m| *m != id);
        self.reset_jobs_on(id, now);
    }

    /// Launches instances until the cluster has its desired size again.
    pub(crate) fn replace_missing(&mut self, cluster: ClusterId) {
        while (self.clusters[cluster.index()].members.len() as u32)
            < self.clusters[cluster.index()].desired
        {
            self.launch(cluster);
        }
    }

    /// Sets a cluster's desired size: launches, or retires instances (those not yet
    /// serving first, then the oldest).
    pub(crate) fn resize(&mut self, cluster: ClusterId, desired: u32) {
        self.clusters[cluster.index()].desired = desired;
        self.replace_missing(cluster);
        while self.clusters[cluster.index()].members.len() as u32 > desired {
            // Not yet serving first, then serving but not in the balancer, then the oldest.
            let c = &self.clusters[cluster.index()];
            let victim = c
                .members
                .iter()
                .copied()
                .find(|m| self.instances[m.index()].phase != Phase::Serving)
                .or_else(|| c.members.iter().copied().find(|m| !c.is_registered(*m)))
                .unwrap_or(c.members[0]);
            self.clusters[cluster.index()]
                .members
                .retain(|m| *m != victim);
            self.retire(victim);
        }
    }
}

fn add_stats(total: &mut StationStats, more: &StationStats) {
    total.arrivals += more.arrivals;
    total.rejected += more.rejected;
    total.completed += more.completed;
    total.area_in_system += more.area_in_system;
    total.area_in_queue += more.area_in_queue;
    total.area_busy += more.area_busy;
}

//! The layer's fleet, live: one cluster of instance processes per version, behind
//! HAProxy. The driver's hands: what the controller's commands do to real processes.
//!
//! # An instance's life
//! 1. Launch: `rollsim instance` is started (supervised) with the layer's settings,
//!    its release's defects and a launch-plus-boot time drawn from the (scaled) model;
//!    it prints its port, and is added to HAProxy at once. HAProxy's health checks
//!    put it in rotation once it has booted and passed `rise` checks (unless its
//!    cluster is disabled: then it stays drained).
//! 2. Disable / enable: the cluster's servers are drained (no new requests, the
//!    process keeps running, warm) or made ready again.
//! 3. Removal (a smaller size, or destroy): the server is drained; once HAProxy has no
//!    request on it, or after the balancer's deregistration delay, it is taken out of
//!    HAProxy and the process gets SIGTERM.
//! 4. A process that exits on its own (a crash loop) counts as a crash of its
//!    version, is taken out of HAProxy, and is replaced while its cluster wants the
//!    instances (as an auto-scaling group does).
//!
//! [`Fleet::tick`] moves all of this along; the driver calls it every few tens of
//! milliseconds and before every observation.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::haproxy::{Runtime, ServerStat};
use super::instance::InstanceArgs;
use super::processes::{ChildId, Supervisor};
use crate::engine::{RngStreams, SimDuration, SimRng, SimTime};
use crate::rollout::VersionState;
use crate::scenario::layer::LayerSpec;
use crate::scenario::rollout::ReleaseSpec;

/// Time an instance process gets to print its port.
const PORT_TIMEOUT: Duration = Duration::from_secs(10);
/// Server weight of an instance of a cluster without an explicit weight.
const UNIT_WEIGHT: f64 = 16.0;
/// Largest server weight HAProxy takes.
const MAX_WEIGHT: f64 = 256.0;
/// Most instances alive at once (a limit on what a model may start on one machine).
pub(crate) const MAX_INSTANCES: usize = 64;

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// In HAProxy, booting or serving.
    Running,
    /// Drained since then, to be removed.
    Draining { since: SimTime },
    /// Out of HAProxy, SIGTERM sent; waiting for the process to end.
    Stopping,
}

#[derive(Debug)]
struct Member {
    name: String,
    child: ChildId,
    stage: Stage,
    stat: Option<ServerStat>,
    weight: u32,
}

#[derive(Debug)]
struct Cluster {
    version: u32,
    release: ReleaseSpec,
    desired: u32,
    enabled: bool,
    weight: Option<f64>,
    crashes: u32,
    members: Vec<Member>,
}

impl Cluster {
    fn running(&self) -> impl DoubleEndedIterator<Item = &Member> {
        self.members.iter().filter(|m| m.stage == Stage::Running)
    }
}

/// Counts of the whole fleet at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FleetSample {
    /// When.
    pub(crate) at: SimTime,
    /// Processes alive (booting, serving, draining).
    pub(crate) alive: u32,
    /// Processes serving (booted, answering health checks).
    pub(crate) serving: u32,
}

/// Every cluster of the layer.
pub(crate) struct Fleet {
    runtime: Runtime,
    layer: LayerSpec,
    exe: PathBuf,
    seed: u64,
    rng: SimRng,
    deregistration_delay: SimDuration,
    clusters: Vec<Cluster>,
    launched: u64,
}

impl Fleet {
    /// An empty fleet of `layer`'s instances behind HAProxy's `runtime`.
    pub(crate) fn new(
        runtime: Runtime,
        layer: &LayerSpec,
        deregistration_delay: SimDuration,
        seed: u64,
    ) -> Result<Fleet, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find rollsim's own executable: {e}"))?;
        Ok(Fleet {
            runtime,
            layer: layer.clone(),
            exe,
            seed,
            rng: RngStreams::new(seed).stream("live-launches"),
            deregistration_delay,
            clusters: Vec::new(),
            launched: 0,
        })
    }

    /// Gives `version` its release (before its cluster is first scaled).
    pub(crate) fn add_release(&mut self, version: u32, release: &ReleaseSpec) {
        if self.cluster(version).is_none() {
            self.clusters.push(Cluster {
                version,
                release: release.clone(),
                desired: 0,
                enabled: true,
                weight: None,
                crashes: 0,
                members: Vec::new(),
            });
        }
    }

    fn cluster(&self, version: u32) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.version == version)
    }
    fn cluster_mut(&mut self, version: u32) -> Option<&mut Cluster> {
        self.clusters.iter_mut().find(|c| c.version == version)
    }

    /// Launches instances that serve at once (no boot): the fleet before the rollout.
    pub(crate) async fn launch_booted(
        &mut self,
        supervisor: &mut Supervisor,
        version: u32,
        size: u32,
    ) -> Result<(), String> {
        let cluster = self
            .cluster_mut(version)
            .ok_or_else(|| format!("v{version} has no release"))?;
        cluster.desired = size;
        for _ in 0..size {
            self.launch(supervisor, version, SimDuration::ZERO, SimTime::ZERO)
                .await?;
        }
        Ok(())
    }

    /// Sets `version`'s cluster to `size` instances.
    pub(crate) async fn scale(
        &mut self,
        supervisor: &mut Supervisor,
        version: u32,
        size: u32,
        now: SimTime,
    ) -> Result<(), String> {
        let Some(cluster) = self.cluster_mut(version) else {
            return Err(format!("v{version} has no release"));
        };
        cluster.desired = size;
        let running = cluster.running().count() as u32;
        if running > size {
            // The newest go first.
            let extra = (running - size) as usize;
            let names: Vec<String> = cluster
                .running()
                .rev()
                .take(extra)
                .map(|m| m.name.clone())
                .collect();
            for name in names {
                self.drain(version, &name, now).await?;
            }
        }
        self.replace_missing(supervisor, now).await
    }

    /// Puts `version`'s instances in rotation, or drains them (they keep running).
    pub(crate) async fn set_enabled(&mut self, version: u32, enabled: bool) -> Result<(), String> {
        let Some(cluster) = self.cluster_mut(version) else {
            return Ok(());
        };
        cluster.enabled = enabled;
        let names: Vec<String> = cluster.running().map(|m| m.name.clone()).collect();
        let state = if enabled { "ready" } else { "drain" };
        for name in names {
            self.runtime.set_state(&name, state).await?;
        }
        Ok(())
    }

    /// Gives `version` a share of the traffic (`None`: by its instances).
    pub(crate) async fn set_weight(
        &mut self,
        version: u32,
        weight: Option<f64>,
    ) -> Result<(), String> {
        if let Some(cluster) = self.cluster_mut(version) {
            cluster.weight = weight;
        }
        self.apply_weights().await
    }

    /// Removes `version`'s cluster: every instance drains, then stops.
    pub(crate) async fn destroy(&mut self, version: u32, now: SimTime) -> Result<(), String> {
        let Some(cluster) = self.cluster_mut(version) else {
            return Ok(());
        };
        cluster.desired = 0;
        let names: Vec<String> = cluster.running().map(|m| m.name.clone()).collect();
        for name in names {
            self.drain(version, &name, now).await?;
        }
        Ok(())
    }

    /// Reads HAProxy's stats, ends drains, reaps stopped processes, counts crashes and
    /// replaces crashed instances.
    pub(crate) async fn tick(
        &mut self,
        supervisor: &mut Supervisor,
        now: SimTime,
    ) -> Result<(), String> {
        let stats = self.runtime.stats().await?;
        let mut to_remove = Vec::new();
        for cluster in &mut self.clusters {
            for member in &mut cluster.members {
                member.stat = stats.iter().find(|s| s.name == member.name).cloned();
                match member.stage {
                    Stage::Running => {
                        if supervisor.try_exit(member.child).is_some() {
                            cluster.crashes += 1;
                            to_remove.push(member.name.clone());
                            member.stage = Stage::Stopping;
                            // Already reaped: nothing left to wait for.
                            member.child = ChildId::GONE;
                        }
                    }
                    Stage::Draining { since } => {
                        let idle = member.stat.as_ref().is_none_or(|s| s.current_sessions == 0);
                        if idle || now.saturating_since(since) >= self.deregistration_delay {
                            to_remove.push(member.name.clone());
                            supervisor.signal(member.child, libc::SIGTERM);
                            member.stage = Stage::Stopping;
                        }
                    }
                    Stage::Stopping => {}
                }
            }
        }
        for name in to_remove {
            self.runtime.remove_server(&name).await?;
        }
        for cluster in &mut self.clusters {
            cluster.members.retain(|m| {
                m.stage != Stage::Stopping
                    || (m.child != ChildId::GONE && supervisor.try_exit(m.child).is_none())
            });
        }
        self.replace_missing(supervisor, now).await
    }

    /// The controller's view of every version with a cluster.
    pub(crate) fn versions(&self) -> Vec<VersionState> {
        self.clusters
            .iter()
            .filter(|c| c.desired > 0 || !c.members.is_empty())
            .map(|c| {
                let running: Vec<&Member> = c.running().collect();
                let serving = running
                    .iter()
                    .filter(|m| m.stat.as_ref().is_some_and(ServerStat::healthy))
                    .count() as u32;
                VersionState {
                    version: c.version,
                    desired: c.desired,
                    starting: running.len() as u32 - serving,
                    serving,
                    registered: running
                        .iter()
                        .filter(|m| m.stat.as_ref().is_some_and(ServerStat::in_rotation))
                        .count() as u32,
                    enabled: c.enabled && c.desired > 0,
                    crashes: c.crashes,
                }
            })
            .collect()
    }

    /// Alive and serving processes now.
    pub(crate) fn sample(&self, at: SimTime) -> FleetSample {
        let (mut alive, mut serving) = (0, 0);
        for member in self.clusters.iter().flat_map(|c| &c.members) {
            if member.child == ChildId::GONE {
                continue;
            }
            alive += 1;
            if member.stage != Stage::Stopping
                && member.stat.as_ref().is_some_and(ServerStat::healthy)
            {
                serving += 1;
            }
        }
        FleetSample { at, alive, serving }
    }

    /// Whether every cluster has exactly the instances it wants, all in rotation
    /// (disabled clusters: all healthy), and nothing is draining.
    pub(crate) fn settled(&self) -> bool {
        self.clusters.iter().all(|c| {
            c.members.len() as u32 == c.desired
                && c.running().all(|m| {
                    m.stat.as_ref().is_some_and(|s| {
                        if c.enabled {
                            s.in_rotation()
                        } else {
                            s.healthy()
                        }
                    })
                })
        })
    }

    async fn drain(&mut self, version: u32, name: &str, now: SimTime) -> Result<(), String> {
        self.runtime.set_state(name, "drain").await?;
        if let Some(member) = self
            .cluster_mut(version)
            .and_then(|c| c.members.iter_mut().find(|m| m.name == name))
        {
            member.stage = Stage::Draining { since: now };
        }
        Ok(())
    }

    async fn replace_missing(
        &mut self,
        supervisor: &mut Supervisor,
        now: SimTime,
    ) -> Result<(), String> {
        let mut launches = Vec::new();
        for cluster in &self.clusters {
            let running = cluster.running().count() as u32;
            for _ in running..cluster.desired {
                launches.push(cluster.version);
            }
        }
        for version in launches {
            let boot = self.boot_time();
            self.launch(supervisor, version, boot, now).await?;
        }
        Ok(())
    }

    /// Launch plus boot, drawn from the model.
    fn boot_time(&mut self) -> SimDuration {
        let launch = self.layer.launch_time.sample(&mut self.rng);
        let boot = self.layer.boot_time.sample(&mut self.rng);
        SimDuration::from_nanos(launch.as_nanos().saturating_add(boot.as_nanos()))
    }

    async fn launch(
        &mut self,
        supervisor: &mut Supervisor,
        version: u32,
        boot_time: SimDuration,
        now: SimTime,
    ) -> Result<(), String> {
        let alive: usize = self.clusters.iter().map(|c| c.members.len()).sum();
        if alive >= MAX_INSTANCES {
            return Err(format!(
                "the rollout wants more than {MAX_INSTANCES} instances alive at once: too many \
                 for one machine (make the layer smaller)"
            ));
        }
        let (release, enabled) = self
            .cluster(version)
            .map(|c| (c.release.clone(), c.enabled))
            .ok_or_else(|| format!("v{version} has no release"))?;
        let crash_after = release.crash_after.map(|d| d.sample(&mut self.rng));
        let warm = boot_time.is_zero() && now == SimTime::ZERO;
        let args = InstanceArgs {
            version,
            port: 0,
            workers: self.layer.workers,
            queue_capacity: self.layer.queue_capacity,
            service_time: self.layer.service_time,
            boot_time,
            // The fleet before the rollout is warm already.
            warmup: if warm {
                SimDuration::ZERO
            } else {
                self.layer.warmup
            },
            warmup_slowdown: self.layer.warmup_slowdown,
            error_rate: release.error_rate,
            latency_factor: release.latency_factor,
            capacity_factor: release.capacity_factor,
            affected_fraction: release.affected_fraction,
            above_load: release.above_load,
            leak_onset: release.leak.as_ref().map(|l| l.onset),
            leak_ramp: release.leak.as_ref().map(|l| l.ramp),
            leak_max_error_rate: release.leak.as_ref().map_or(1.0, |l| l.max_error_rate),
            crash_after,
            seed: self.seed.wrapping_add(1 + self.launched),
        };
        self.launched += 1;
        let name = format!("v{version}-{}", self.launched);
        let mut command = tokio::process::Command::new(&self.exe);
        command
            .arg("instance")
            .args(args.to_args())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let (child, mut handle) = supervisor
            .spawn(command)
            .map_err(|e| format!("cannot start an instance ({}): {e}", self.exe.display()))?;
        let stdout = handle.stdout.take().expect("stdout is piped");
        supervisor.adopt(child, handle);
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        let port = match tokio::time::timeout(PORT_TIMEOUT, read).await {
            Ok(Ok(_)) => line
                .trim()
                .rsplit(':')
                .next()
                .and_then(|p| p.parse::<u16>().ok()),
            _ => None,
        }
        .ok_or_else(|| format!("instance {name} did not say its port (it printed {line:?})"))?;
        self.runtime
            .add_server(&name, port, UNIT_WEIGHT as u32, !enabled)
            .await?;
        let cluster = self.cluster_mut(version).expect("checked above");
        cluster.members.push(Member {
            name,
            child,
            stage: Stage::Running,
            stat: None,
            weight: UNIT_WEIGHT as u32,
        });
        self.apply_weights().await
    }

    /// Server weights from cluster weights: an explicit weight is the cluster's share
    /// (spread over its instances), no weight is one share per instance, as in the
    /// simulator; scaled into HAProxy's 0–256.
    async fn apply_weights(&mut self) -> Result<(), String> {
        if self.clusters.iter().all(|c| c.weight.is_none()) {
            return Ok(());
        }
        let per_server = |c: &Cluster| -> f64 {
            let n = c.running().count().max(1) as f64;
            c.weight.map_or(1.0, |w| w / n)
        };
        let top = self
            .clusters
            .iter()
            .map(per_server)
            .fold(0.0_f64, f64::max)
            .max(f64::MIN_POSITIVE);
        let mut changes = Vec::new();
        for cluster in &mut self.clusters {
            let weight = (per_server(cluster) / top * MAX_WEIGHT).round() as u32;
            for member in cluster
                .members
                .iter_mut()
                .filter(|m| m.stage == Stage::Running)
            {
                if member.weight != weight {
                    member.weight = weight;
                    changes.push((member.name.clone(), weight));
                }
            }
        }
        for (name, weight) in changes {
            self.runtime.set_weight(&name, weight).await?;
        }
        Ok(())
    }
}

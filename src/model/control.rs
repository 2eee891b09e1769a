//! Cluster operations a rollout controller (or a test) uses on a running world:
//! launch a cluster, resize it, weight or disable it in its balancer, and look at it.
//! These are the simulator's side of the controller's platform interface.

use super::ids::{ClusterId, LayerId};
use super::instance::{InstanceState, Phase};
use super::world::World;

/// What a cluster looks like now.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterView {
    /// The cluster.
    pub id: ClusterId,
    /// Its layer.
    pub layer: LayerId,
    /// The release it runs.
    pub version: u32,
    /// Its desired size.
    pub desired: u32,
    /// Live members by state ([`InstanceState::ALL`] order).
    pub instances: [u32; 6],
    /// Members registered in the balancer now.
    pub registered: u32,
    /// Its explicit traffic weight, if any.
    pub weight: Option<f64>,
    /// Whether it takes traffic.
    pub enabled: bool,
    /// Its instances that failed on their own (crash loop, failed boot) so far.
    pub crashes: u32,
}

impl World {
    /// The layer called `name`.
    pub fn layer_id(&self, name: &str) -> Option<LayerId> {
        self.layers
            .iter()
            .position(|l| l.name == name)
            .map(|i| LayerId(i as u16))
    }

    /// The name of `layer`.
    pub fn layer_name(&self, layer: LayerId) -> &str {
        &self.layers[layer.index()].name
    }

    /// The layers `layer` calls, directly or through others, in layer order.
    pub fn layers_below(&self, layer: LayerId) -> Vec<LayerId> {
        let mut below: Vec<LayerId> = Vec::new();
        let mut frontier = vec![layer];
        while let Some(next) = frontier.pop() {
            for call in &self.layers[next.index()].downstream {
                if !below.contains(&call.layer) {
                    below.push(call.layer);
                    frontier.push(call.layer);
                }
            }
        }
        below.sort();
        below
    }

    /// The per-second series of `cluster` (every cluster ever launched has one).
    pub fn series_of(&self, cluster: ClusterId) -> &super::observe::ClusterSeries {
        &self.observations.clusters[cluster.index()]
    }

    /// Every cluster ever launched in `layer`, retired ones included, in launch order.
    pub fn all_clusters_of(&self, layer: LayerId) -> Vec<ClusterId> {
        (0..self.clusters.len())
            .map(|i| ClusterId(i as u32))
            .filter(|c| self.clusters[c.index()].layer == layer)
            .collect()
    }

    /// The clusters of `layer` that still route or hold instances.
    pub fn clusters_of(&self, layer: LayerId) -> Vec<ClusterId> {
        self.layers[layer.index()].clusters.clone()
    }

    /// Adds a version of `layer` that behaves as `release`; returns its number.
    pub fn add_release(
        &mut self,
        layer: LayerId,
        release: &crate::scenario::rollout::ReleaseSpec,
    ) -> u32 {
        let releases = &mut self.layers[layer.index()].releases;
        releases.push(super::release::Release::new(release));
        (releases.len() - 1) as u32
    }

    /// Whether `version` of `layer` is a healthy release (no defect of any kind).
    pub fn release_is_healthy(&self, layer: LayerId, version: u32) -> bool {
        self.layers[layer.index()]
            .releases
            .get(version as usize)
            .is_none_or(|release| *release == super::release::Release::healthy())
    }

    /// Launches a new cluster of `size` instances running `version` in `layer`.
    ///
    /// # Panics
    /// If `version` is not a version of the layer (0, or one from [`World::add_release`]).
    pub fn launch_cluster(&mut self, layer: LayerId, version: u32, size: u32) -> ClusterId {
        assert!(
            (version as usize) < self.layers[layer.index()].releases.len(),
            "version {version} of layer {:?} was never added",
            self.layers[layer.index()].name
        );
        let id = self.add_cluster(layer, version, size);
        self.replace_missing(id);
        self.schedule_autoscale(id);
        id
    }

    /// Sets the desired size of a cluster.
    pub fn resize_cluster(&mut self, cluster: ClusterId, size: u32) {
        self.resize(cluster, size);
        self.retire_if_empty(cluster);
    }

    /// Suspends or resumes a cluster's autoscaler (deploy tools suspend scaling
    /// during a rollout, so sizes are the controller's).
    pub fn set_autoscaling_suspended(&mut self, cluster: ClusterId, suspended: bool) {
        self.clusters[cluster.index()].autoscaling_suspended = suspended;
    }

    /// Sets a cluster's share of its layer's traffic (`None`: by registered instances).
    /// Behind discovery callers see it with their view of the registry.
    pub fn set_weight(&mut self, cluster: ClusterId, weight: Option<f64>) {
        let now = self.now();
        self.clusters[cluster.index()].set_weight(weight, now);
    }

    /// Puts a cluster's serving instances in its balancer, or takes them all out
    /// (they keep running, warm, without new traffic). Behind an ELB, re-registered
    /// instances take traffic once they pass `healthy_threshold` health checks again;
    /// behind discovery, at once in the registry (callers see them at their next refresh).
    pub fn set_enabled(&mut self, cluster: ClusterId, enabled: bool) {
        let now = self.now();
        self.clusters[cluster.index()].enabled = enabled;
        let members = self.clusters[cluster.index()].members.clone();
        let balancer = self.layers[self.clusters[cluster.index()].layer.index()].balancer;
        for id in members {
            if !enabled {
                self.clusters[cluster.index()].deregister(id, now);
                self.top_up_reps(cluster);
            } else if self.instances[id.index()].phase == Phase::Serving {
                match balancer {
                    super::world::Balancer::Elb {
                        health_check_interval,
                        healthy_threshold,
                        ..
                    } => {
                        let first_check = self.random_phase(health_check_interval);
                        let passed = first_check
                            + health_check_interval
                                .saturating_mul(u64::from(healthy_threshold) - 1);
                        self.scheduler.schedule_in(
                            passed,
                            super::world::Event::HealthChecksPassed { instance: id },
                        );
                    }
                    super::world::Balancer::Discovery { .. } => self.register_if_enabled(id),
                }
            }
        }
    }

    /// What the cluster looks like now.
    pub fn cluster_view(&self, cluster: ClusterId) -> ClusterView {
        let now = self.now();
        let c = &self.clusters[cluster.index()];
        let mut instances = [0u32; 6];
        for id in &c.members {
            let state = self.instances[id.index()].state(now);
            instances[super::observe::state_index(state)] += 1;
        }
        ClusterView {
            id: cluster,
            layer: c.layer,
            version: c.version,
            desired: c.desired,
            instances,
            registered: c.active_entries,
            weight: c.weight_now(),
            enabled: c.enabled,
            crashes: c.crashes,
        }
    }

    /// Instances of `layer` in `state` now (all clusters, draining ones included).
    pub fn instances_in_state(&self, layer: LayerId, state: InstanceState) -> usize {
        let now = self.now();
        self.alive
            .iter()
            .map(|id| &self.instances[id.index()])
            .filter(|i| i.layer == layer && i.state(now) == state)
            .count()
    }

    /// A cluster with no size, members or registrations left stops being routed to.
    pub(crate) fn retire_if_empty(&mut self, cluster: ClusterId) {
        let c = &self.clusters[cluster.index()];
        if !c.retired && c.desired == 0 && c.members.is_empty() && c.entries.is_empty() {
            let layer = c.layer;
            self.layers[layer.index()]
                .clusters
                .retain(|id| *id != cluster);
            self.clusters[cluster.index()].retired = true;
        }
    }
}

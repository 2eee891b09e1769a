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
}

impl World {
    /// The layer called `name`.
    pub fn layer_id(&self, name: &str) -> Option<LayerId> {
        self.layers
            .iter()
            .position(|l| l.name == name)
            .map(|i| LayerId(i as u16))
    }

    /// The clusters of `layer` that still route or hold instances.
    pub fn clusters_of(&self, layer: LayerId) -> Vec<ClusterId> {
        self.layers[layer.index()].clusters.clone()
    }

    /// Launches a new cluster of `size` instances running `version` in `layer`.
    pub fn launch_cluster(&mut self, layer: LayerId, version: u32, size: u32) -> ClusterId {
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

    /// Sets a cluster's share of its layer's traffic (`None`: by registered instances).
    pub fn set_weight(&mut self, cluster: ClusterId, weight: Option<f64>) {
        self.clusters[cluster.index()].weight = weight;
    }

    /// Puts a cluster's serving instances in its balancer, or takes them all out
    /// (they keep running, warm, without new traffic).
    pub fn set_enabled(&mut self, cluster: ClusterId, enabled: bool) {
        let now = self.now();
        self.clusters[cluster.index()].enabled = enabled;
        let members = self.clusters[cluster.index()].members.clone();
        for id in members {
            if enabled {
                if self.instances[id.index()].phase == Phase::Serving {
                    self.register_if_enabled(id);
                }
            } else {
                self.clusters[cluster.index()].deregister(id, now);
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
            weight: c.weight,
            enabled: c.enabled,
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

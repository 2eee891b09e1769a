//! Target tracking (AWS-style): every `metric_period` the cluster's mean worker
//! utilisation over the period is compared with the target, and the desired size set
//! to `ceil(serving × utilisation / target)` within `[min, max]`. Scaling out waits
//! `scale_out_cooldown` after the last scale-out; scaling in waits `scale_in_cooldown`
//! after any scaling. The lag a user sees is the metric period plus launch and boot.

use super::ids::ClusterId;
use super::instance::Phase;
use super::world::{Event, World};

impl World {
    pub(crate) fn schedule_autoscale(&mut self, cluster: ClusterId) {
        let layer = self.clusters[cluster.index()].layer;
        if let Some(spec) = &self.layers[layer.index()].autoscaler {
            let at = self.now() + spec.metric_period;
            if at < self.end {
                self.scheduler.schedule_at(at, Event::Autoscale { cluster });
            }
        }
    }

    pub(crate) fn autoscale(&mut self, cluster_id: ClusterId) {
        let now = self.now();
        let cluster = &self.clusters[cluster_id.index()];
        if cluster.retired {
            return;
        }
        if cluster.autoscaling_suspended {
            self.schedule_autoscale(cluster_id);
            return;
        }
        let layer = &self.layers[cluster.layer.index()];
        let Some(spec) = layer.autoscaler.clone() else {
            return;
        };
        let workers = layer.workers;
        // Busy time of every instance the cluster ever had: those gone, and all alive
        // (draining ones included), so the total never steps back when one leaves.
        // In fast mode, scaled from the representatives at each window's end.
        let fast = self.is_fast();
        let mut busy = if fast {
            cluster.sample.busy_scaled_ns as u128
        } else {
            cluster.busy_area_gone_ns
        };
        let mut serving = 0u32;
        for id in &self.alive {
            let instance = &mut self.instances[id.index()];
            if instance.cluster != cluster_id || instance.phase == Phase::Terminated {
                continue;
            }
            if !fast {
                busy += instance.station.stats_at(now).area_busy;
            }
            if instance.phase == Phase::Serving {
                serving += 1;
            }
        }
        let cluster = &mut self.clusters[cluster_id.index()];
        let state = cluster.autoscaler.get_or_insert_with(Default::default);
        let delta = busy.saturating_sub(state.busy_area_ns);
        state.busy_area_ns = busy;
        let capacity = serving as f64 * workers as f64 * spec.metric_period.as_nanos_f64();
        let desired = cluster.desired;
        let mut target = desired;
        if capacity > 0.0 {
            let utilisation = delta as f64 / capacity;
            let wanted = (serving as f64 * utilisation / spec.target_utilisation).ceil() as u32;
            let wanted = wanted.clamp(spec.min, spec.max);
            let since = |t: Option<crate::engine::SimTime>| t.map(|t| now - t);
            let out_ok = since(state.last_scale_out).is_none_or(|d| d >= spec.scale_out_cooldown);
            let last_any = state.last_scale_out.max(state.last_scale_in);
            let in_ok = since(last_any).is_none_or(|d| d >= spec.scale_in_cooldown);
            if wanted > desired && out_ok {
                state.last_scale_out = Some(now);
                target = wanted;
            } else if wanted < desired && in_ok {
                state.last_scale_in = Some(now);
                target = wanted;
            }
        }
        if target != desired {
            self.resize(cluster_id, target);
        }
        self.schedule_autoscale(cluster_id);
    }
}

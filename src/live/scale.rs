//! The model a live run plays: one layer of a model, alone, with its rollout, and every
//! time of the model's infrastructure divided by the time scale K.
//!
//! # What is scaled, what is not
//! - Scaled (÷ K): the run's length, traffic steps and bursts, the daily shape (folded
//!   into a table of one rate per scaled second, so the simulator plays the very same
//!   curve), launch, boot and warm-up times, health checks and draining, and every
//!   time of the rollout (start, canary, bake, deadlines, analysis intervals, the
//!   release's crash and leak times). These are the times of machines and people.
//! - Not scaled: service times, client timeouts and backoff, the SLO's latency, the
//!   arrival rate. These are the times of requests: a request takes as long live as in
//!   the model.
//!
//! # One layer
//! HAProxy in front of the instances is the layer's balancer, and the load generator
//! is its caller, so the layer plays alone: its calls to layers below are dropped, its
//! traffic is what reaches it in the model (the entry rate times the calls on the way,
//! less cache hits), a discovery balancer becomes an ELB (HAProxy registers instances
//! after health checks, as an ELB does), and chaos, herds, background noise and
//! autoscaling are left out.
//! [`LiveModel::notes`] says which of these applied. `--vs-sim` runs the simulator on
//! this same model, so both sides play the same thing.

use std::collections::BTreeMap;

use crate::Error;
use crate::engine::{DurationDist, DurationDistSpec, LogNormalSpread, Rate, SimDuration};
use crate::model::traffic::shape_factor;
use crate::scenario::Scenario;
use crate::scenario::balancer::BalancerSpec;
use crate::scenario::chaos::ChaosSpec;
use crate::scenario::rollout::{RolloutSpec, Strategy};

use super::fleet::MAX_INSTANCES;
use crate::scenario::traffic::RatePoint;

/// Most rate points a folded daily shape may produce (a scaled run of 3 h at 1 point/s).
const MAX_SHAPE_POINTS: u64 = 3 * 3600;

/// A model made ready for a live run.
#[derive(Debug, Clone)]
pub(crate) struct LiveModel {
    /// One layer, its rollout, times ÷ K.
    pub(crate) scenario: Scenario,
    /// The layer played.
    pub(crate) layer: String,
    /// What was changed to make the model playable live, one line each.
    pub(crate) notes: Vec<String>,
}

impl LiveModel {
    /// The played layer's spec.
    pub(crate) fn layer_spec(&self) -> &crate::scenario::layer::LayerSpec {
        &self.scenario.layers[&self.layer]
    }

    /// The played layer's rollout.
    pub(crate) fn rollout(&self) -> &RolloutSpec {
        &self.scenario.rollouts[0]
    }

    /// The model for the simulator (`--vs-sim`): this one, ending when the live run
    /// ended (`end_secs` after its start, to the nearest whole second). A live run stops
    /// at a whole second of its plan plus the timer's lateness (a few milliseconds), and
    /// its last one-second window holds only those milliseconds of traffic: rounded up,
    /// the simulator would count a whole second more of it (~150 requests at 150/s).
    pub(crate) fn ending_at(&self, end_secs: f64) -> Scenario {
        let mut model = self.scenario.clone();
        let seconds = end_secs.round().max(1.0) as u64;
        model.duration = SimDuration::from_secs(seconds);
        model
    }
}

/// Makes `model`'s layer `layer` (default: the layer of its only rollout) playable live,
/// with model times divided by `time_scale`; a model or setting that cannot be played is
/// bad input.
pub(crate) fn live_model(
    model: &Scenario,
    layer: Option<&str>,
    time_scale: f64,
) -> Result<LiveModel, Error> {
    scaled(model, layer, time_scale).map_err(Error::BadInput)
}

fn scaled(model: &Scenario, layer: Option<&str>, time_scale: f64) -> Result<LiveModel, String> {
    if !(time_scale.is_finite() && (0.001..=100_000.0).contains(&time_scale)) {
        return Err(format!(
            "--time-scale {time_scale}: must be a number between 0.001 and 100000"
        ));
    }
    let layer = match layer {
        Some(name) => name.to_string(),
        None => match model.rollouts.as_slice() {
            [only] => only.layer.clone(),
            [] => {
                return Err(format!(
                    "the model {} has no [[rollouts]] section: live mode plays a rollout",
                    model.name
                ));
            }
            _ => {
                return Err(format!(
                    "the model {} has several rollouts: choose the layer with --layer",
                    model.name
                ));
            }
        },
    };
    let Some(spec) = model.layers.get(&layer) else {
        let names: Vec<&str> = model.layers.keys().map(String::as_str).collect();
        return Err(format!(
            "--layer {layer}: no such layer; the layers are {}",
            names.join(", ")
        ));
    };
    let Some(rollout) = model.rollouts.iter().find(|r| r.layer == layer) else {
        return Err(format!("the model has no rollout of the layer {layer}"));
    };
    // Every strategy but rolling runs a full new cluster beside the old one: refuse
    // before starting anything rather than once the new cluster is half launched.
    let peak = match rollout.strategy {
        Strategy::Rolling => spec.instances,
        _ => spec.instances.saturating_mul(2),
    };
    if peak as usize > MAX_INSTANCES {
        return Err(format!(
            "{layer} has {} instances: its {} rollout would run {peak} at once, more than the \
             {MAX_INSTANCES} live mode starts on one machine (make the layer smaller with \
             --set layers.{layer}.instances=N)",
            spec.instances, rollout.strategy
        ));
    }
    let mut notes = Vec::new();
    let k = time_scale;
    let mut spec = spec.clone();
    if !spec.calls.is_empty() {
        notes.push(format!(
            "{layer}'s calls to lower layers are left out: the layer plays alone"
        ));
        spec.calls.clear();
    }
    if spec.autoscaler.take().is_some() {
        notes.push("autoscaling is left out: the fleet keeps its size".into());
    }
    spec.launch_time = scale_dist(&spec.launch_time, k)?;
    spec.boot_time = scale_dist(&spec.boot_time, k)?;
    spec.warmup = scale(spec.warmup, k);
    if let BalancerSpec::Discovery { algorithm, .. } = spec.balancer {
        notes.push(format!(
            "{layer}'s discovery balancer is played by HAProxy as an ELB with ELB defaults"
        ));
        spec.balancer = BalancerSpec::default();
        if let BalancerSpec::Elb { algorithm: a, .. } = &mut spec.balancer {
            *a = algorithm;
        }
    }
    if let BalancerSpec::Elb {
        health_check_interval,
        deregistration_delay,
        ..
    } = &mut spec.balancer
    {
        *health_check_interval = scale(*health_check_interval, k);
        *deregistration_delay = scale(*deregistration_delay, k);
    }

    if spec.noise.take().is_some() {
        // Real processes have their own noise; the simulator's twin runs without it.
        notes.push(format!("{layer}'s background noise is left out"));
    }

    let mut scenario = model.clone();
    scenario.duration = scale(model.duration, k);
    scenario.traffic.entry = layer.clone();
    let rate = rate_reaching(model, &layer, 0)?;
    if model.traffic.entry != layer {
        notes.push(format!(
            "traffic: {rate:.1}/s, what reaches {layer} from {} in the model",
            model.traffic.entry
        ));
    }
    let factor = rate / model.traffic.rate.per_second();
    scenario.traffic.rate = rate_of(rate)?;
    scenario.traffic.points = model
        .traffic
        .points
        .iter()
        .map(|p| {
            Ok(RatePoint {
                at: scale(p.at, k),
                rate: rate_of(p.rate.per_second() * factor)?,
            })
        })
        .collect::<Result<_, String>>()?;
    if let Some(shape) = scenario.traffic.shape.take() {
        let seconds = scenario.duration.as_nanos().div_ceil(1_000_000_000);
        if seconds > MAX_SHAPE_POINTS {
            return Err(format!(
                "the scaled run lasts {seconds} s; a daily shape is folded into one rate per \
                 second, at most {MAX_SHAPE_POINTS}: raise --time-scale"
            ));
        }
        let first = scenario.traffic.points.first().map(|p| p.at);
        let mut folded: Vec<RatePoint> = (0..seconds)
            .map(SimDuration::from_secs)
            .take_while(|at| first.is_none_or(|first| *at < first))
            .map(|at| {
                let model_time = crate::engine::SimTime::ZERO
                    + SimDuration::from_nanos_f64(at.as_nanos_f64() * k);
                Ok(RatePoint {
                    at,
                    rate: rate_of(rate * shape_factor(&shape, model_time))?,
                })
            })
            .collect::<Result<_, String>>()?;
        folded.append(&mut scenario.traffic.points);
        scenario.traffic.points = folded;
    }
    for burst in &mut scenario.traffic.bursts {
        burst.at = scale(burst.at, k);
        burst.duration = scale(burst.duration, k);
    }
    if !scenario.traffic.herds.is_empty() {
        notes.push("herds are left out".into());
        scenario.traffic.herds.clear();
    }
    if scenario.chaos != ChaosSpec::default() {
        notes.push("chaos is left out".into());
        scenario.chaos = ChaosSpec::default();
    }
    scenario.layers = BTreeMap::from([(layer.clone(), spec)]);
    let mut rollout = scale_rollout(rollout, k)?;
    // The simulator judges in one-second windows: an analysis interval is at least that.
    let second = SimDuration::from_secs(1);
    if rollout.analysis.interval < second {
        notes.push(format!(
            "analysis.interval ÷ {k} is {}, below the simulator's one-second windows: 1s",
            rollout.analysis.interval
        ));
        rollout.analysis.interval = second;
    }
    rollout.analysis.sample_interval = rollout
        .analysis
        .sample_interval
        .clamp(second, rollout.analysis.interval);
    scenario.rollouts = vec![rollout];
    crate::scenario::recheck(&scenario, std::path::Path::new(&model.name))
        .map_err(|e| format!("the model made live is not valid: {e}"))?;
    Ok(LiveModel {
        scenario,
        layer,
        notes,
    })
}

/// Requests per second reaching `layer` in `model`: the entry rate, times the calls on
/// every path from the entry, less cache hits once warm.
fn rate_reaching(model: &Scenario, layer: &str, depth: usize) -> Result<f64, String> {
    if layer == model.traffic.entry {
        return Ok(model.traffic.rate.per_second());
    }
    if depth > model.layers.len() {
        return Err(format!("the calls reaching {layer} form a cycle"));
    }
    let mut total = 0.0;
    for (caller, spec) in &model.layers {
        for call in spec.calls.iter().filter(|c| c.layer == layer) {
            let misses = 1.0 - call.cache.as_ref().map_or(0.0, |c| c.hit_ratio);
            total += rate_reaching(model, caller, depth + 1)? * f64::from(call.count) * misses;
        }
    }
    Ok(total)
}

fn rate_of(per_second: f64) -> Result<Rate, String> {
    Rate::per_second_checked(per_second).map_err(|e| e.to_string())
}

/// `d` ÷ `k`.
pub(crate) fn scale(d: SimDuration, k: f64) -> SimDuration {
    SimDuration::from_nanos_f64(d.as_nanos_f64() / k)
}

/// Every time of `dist` ÷ `k` (the shape, e.g. a coefficient of variation, kept).
pub(crate) fn scale_dist(dist: &DurationDist, k: f64) -> Result<DurationDist, String> {
    use DurationDistSpec as S;
    let s = |d| scale(d, k);
    let spec = match dist.spec() {
        S::Deterministic(d) => S::Deterministic(s(d)),
        S::Exponential { mean } => S::Exponential { mean: s(mean) },
        S::Uniform { min, max } => S::Uniform {
            min: s(min),
            max: s(max),
        },
        S::LogNormal { mean, spread } => S::LogNormal {
            mean: s(mean),
            spread: match spread {
                LogNormalSpread::P99(p99) => LogNormalSpread::P99(s(p99)),
                LogNormalSpread::Cv(cv) => LogNormalSpread::Cv(cv),
            },
        },
        S::Gamma { mean, cv } => S::Gamma { mean: s(mean), cv },
        S::Pareto { mean, alpha } => S::Pareto {
            mean: s(mean),
            alpha,
        },
        S::Weibull { mean, shape } => S::Weibull {
            mean: s(mean),
            shape,
        },
    };
    DurationDist::new(spec).map_err(|e| e.to_string())
}

fn scale_rollout(rollout: &RolloutSpec, k: f64) -> Result<RolloutSpec, String> {
    let mut r = rollout.clone();
    let s = |d| scale(d, k);
    r.start = s(r.start);
    if let Some(canary) = r.red_black.canary.as_mut() {
        canary.duration = s(canary.duration);
    }
    r.red_black.healthy_deadline = s(r.red_black.healthy_deadline);
    r.red_black.bake = s(r.red_black.bake);
    r.red_black.disabled_for = s(r.red_black.disabled_for);
    r.rolling.healthy_deadline = s(r.rolling.healthy_deadline);
    r.canary.healthy_deadline = s(r.canary.healthy_deadline);
    for step in &mut r.canary.steps {
        step.pause = s(step.pause);
    }
    r.canary.scale_down_delay = s(r.canary.scale_down_delay);
    r.rolling_red_black.pause = s(r.rolling_red_black.pause);
    r.analysis.interval = s(r.analysis.interval);
    r.analysis.delay = s(r.analysis.delay);
    r.analysis.sample_interval = s(r.analysis.sample_interval);
    r.monitor = s(r.monitor);
    if let Some(leak) = r.release.leak.as_mut() {
        leak.onset = s(leak.onset);
        leak.ramp = s(leak.ramp);
    }
    if let Some(crash) = r.release.crash_after.as_mut() {
        *crash = scale_dist(crash, k)?;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quickstart() -> Scenario {
        crate::scenario::parse(
            include_str!("../../models/quickstart.toml"),
            std::path::Path::new("quickstart.toml"),
        )
        .expect("quickstart parses")
    }

    #[test]
    fn infrastructure_and_rollout_times_shrink_request_times_do_not() {
        let model = quickstart();
        let live = live_model(&model, None, 60.0).expect("playable");
        assert_eq!(live.layer, "backend");
        let spec = live.layer_spec();
        assert_eq!(spec.service_time, model.layers["backend"].service_time);
        assert_eq!(spec.client, model.layers["backend"].client);
        assert!(spec.calls.is_empty());
        assert_eq!(live.rollout().start, SimDuration::from_secs(2));
        assert_eq!(live.rollout().red_black.bake, SimDuration::from_secs(3));
        assert_eq!(live.scenario.duration, SimDuration::from_secs(10));
        assert!(matches!(spec.balancer, BalancerSpec::Elb { .. }));
        assert_eq!(live.scenario.traffic.entry, "backend");
        assert!((live.scenario.traffic.rate.per_second() - 200.0).abs() < 1e-9);
        assert_eq!(live.notes.len(), 2, "{:?}", live.notes);
    }

    #[test]
    fn the_simulator_ends_at_the_live_runs_whole_second_not_one_after() {
        let live = live_model(&quickstart(), None, 60.0).expect("playable");
        let secs = |end: f64| live.ending_at(end).duration.as_secs_f64();
        assert_eq!(secs(22.002), 22.0, "a timer's lateness is no second more");
        assert_eq!(secs(21.998), 22.0);
        assert_eq!(secs(0.0), 1.0);
    }

    #[test]
    fn a_missing_layer_or_a_bad_scale_is_refused() {
        let model = quickstart();
        let err = live_model(&model, Some("nope"), 60.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the layers are backend, edge"), "{err}");
        let err = live_model(&model, Some("edge"), 60.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no rollout of the layer edge"), "{err}");
        assert!(live_model(&model, None, 0.0).is_err());
    }

    #[test]
    fn a_layer_too_large_for_one_machine_is_refused_before_anything_starts() {
        let mut model = quickstart();
        let layer = model.rollouts[0].layer.clone();
        model.layers.get_mut(&layer).expect("the layer").instances = 40;
        model.rollouts[0].strategy = Strategy::RedBlack;
        let err = live_model(&model, None, 60.0).unwrap_err().to_string();
        assert!(err.contains("would run 80 at once"), "{err}");
        // A rolling rollout replaces in place: 40 fit.
        model.rollouts[0].strategy = Strategy::Rolling;
        assert!(live_model(&model, None, 60.0).is_ok());
    }
}

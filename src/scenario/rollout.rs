//! Rollouts: replacing the version a layer runs, and the release that replaces it.
//!
//! A model may hold several (`[[rollouts]]`): teams release independently, one after
//! another or at once, while chaos keeps killing instances.
//!
//! ```toml
//! [[rollouts]]
//! layer = "middle"
//! start = "10m"
//! strategy = "red-black"                 # or "rolling", "highlander", "canary", "rolling-red-black"
//! release = { error_rate = 0.05 }        # the new version; {} is a healthy release
//! red_black = { canary = { instances = 1, duration = "10m" }, bake = "30m", cleanup = "disable" }
//! analysis = { interval = "1m", failure_limit = 2, max_error_rate = 0.01 }
//! ```
//!
//! # Default values
//! | field | default | source |
//! |---|---|---|
//! | `start` | `5m` | after the world has settled |
//! | `strategy` | `red-black` | Netflix 2011 |
//! | `red_black.canary` | none | |
//! | `red_black.canary.instances` | `1` | Asgard's `canaryCapacity` |
//! | `red_black.canary.duration` | `60m` | Asgard's canary judgment period |
//! | `red_black.healthy_deadline` | `10m` | Argo Rollouts' `progressDeadlineSeconds` (600 s) |
//! | `red_black.bake` | `30m` | |
//! | `red_black.cleanup` | `disable` | Spinnaker keeps the old server group disabled |
//! | `red_black.disabled_for` | `1h` | |
//! | `rolling.max_surge` | `25%` | Kubernetes, Argo Rollouts |
//! | `rolling.max_unavailable` | `25%` | Kubernetes, Argo Rollouts |
//! | `rolling.healthy_deadline` | `10m` | Argo Rollouts' `progressDeadlineSeconds` |
//! | `rolling.reaction_delay` | `1s` | Kubernetes' Deployment controller acts on watch events (pod ready) within about a second |
//! | `analysis.interval` | `1m` | Flagger |
//! | `analysis.delay` | `0s` | Spinnaker's `beginCanaryAnalysisAfterMins` (lets new instances warm up) |
//! | `analysis.failure_limit` | `2` | failed checks that abort (Flagger's threshold, 1–5) |
//! | `analysis.failure_counting` | `consecutive` | a pass resets the count; `total`: every failed check of the rollout counts (Argo Rollouts' `failureLimit`, Flagger's `threshold`) |
//! | `analysis.min_requests` | `50` | fewer requests in an interval is no data, not a pass |
//! | `analysis.max_error_rate` | `0.01` | |
//! | `analysis.max_error_rate_increase` | `0.005` | over the baseline version's rate |
//! | `analysis.max_latency_p99_ratio` | `1.5` | × the baseline version's p99 |
//! | `analysis.max_crashes` | `3` | crashes of new-version instances that abort (a crash loop) |
//! | `analysis.judge` | `threshold` | or `mann-whitney` (Kayenta's NetflixACAJudge in spirit) |
//! | `analysis.confidence` | `0.98` | Kayenta |
//! | `analysis.tolerance` | `0.25` | Kayenta |
//! | `analysis.pass_score` / `marginal_score` | `75` / `50` | Kayenta |
//! | `analysis.sample_interval` | `10s` | one point of each metric's series per sample |
//! | `canary.steps` | `[{ weight = 10, pause = "5m" }]` | CodeDeploy's ECS canary: 10% for 5 min |
//! | `canary.scale_down_delay` | `30s` | Argo Rollouts' `scaleDownDelaySeconds` |
//! | `canary.healthy_deadline` | `10m` | Argo Rollouts' `progressDeadlineSeconds` (600 s) |
//! | `canary.progress_deadline` | `false` | `true`: the deadline counts from the last progress (Kubernetes' `progressDeadlineSeconds`) |
//! | `red_black.progress_deadline` | `false` | `true`: the deadline counts from the last progress (Kubernetes' `progressDeadlineSeconds`) |
//! | `canary.traffic` | `weights` | a traffic router; `replicas`: by instance share (Argo Rollouts without `trafficRouting`) |
//! | `canary.steps[].scale` | none | the new version sized by the step's weight; a count or a percentage of the layer sizes it apart from its weight (Argo Rollouts' `setCanaryScale`) |
//! | `canary.dynamic_stable_scale` | `false` | the old version keeps its full size until promotion; `true`: it shrinks as its weight falls (Argo Rollouts' `dynamicStableScale`) |
//! | `rolling_red_black.target_percentages` | `[25, 50, 100]` | |
//! | `rolling_red_black.pause` | `5m` | |
//! | `monitor` | `0s` | analysis after promotion (alerts), rolling back by the fastest path left |
//! | `release.*` | healthy: no errors, 1× latency, 1× capacity, no leak, no crashes | |
//! | `release.leak.ramp` | `30m` | from the leak's `onset` (which must be given) to its full error rate |
//! | `release.leak.max_error_rate` | `1` | every request fails once the leak is full-blown |

use std::fmt;
use std::str::FromStr;

use crate::engine::{DurationDist, SimDuration};

/// One rollout of one layer.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RolloutSpec {
    /// The layer whose version is replaced (required in `[[rollouts]]`; a release
    /// calendar's rollout takes each team's).
    #[serde(default)]
    #[cfg_attr(test, schemars(example = &"middle"))]
    pub layer: String,
    /// When the rollout begins.
    #[serde(default = "RolloutSpec::default_start")]
    pub start: SimDuration,
    /// How the new version replaces the old.
    #[serde(default)]
    pub strategy: Strategy,
    /// How the new version behaves.
    #[serde(default)]
    pub release: ReleaseSpec,
    /// Knobs of the `red-black` and `highlander` strategies.
    #[serde(default)]
    pub red_black: RedBlackSpec,
    /// Knobs of the `rolling` strategy.
    #[serde(default)]
    pub rolling: RollingSpec,
    /// Knobs of the `canary` strategy (traffic-weight steps).
    #[serde(default)]
    pub canary: CanaryStepsSpec,
    /// Knobs of the `rolling-red-black` strategy (shift by target percentages).
    #[serde(default)]
    pub rolling_red_black: RollingRedBlackSpec,
    /// How the new version is judged.
    #[serde(default)]
    pub analysis: AnalysisSpec,
    /// How long the controller keeps judging after promotion.
    #[serde(default)]
    pub monitor: SimDuration,
}

impl Default for RolloutSpec {
    /// Every default, for no layer (a model file must name one).
    fn default() -> Self {
        RolloutSpec {
            layer: String::new(),
            start: SimDuration::from_mins(5),
            strategy: Strategy::default(),
            release: ReleaseSpec::default(),
            red_black: RedBlackSpec::default(),
            rolling: RollingSpec::default(),
            canary: CanaryStepsSpec::default(),
            rolling_red_black: RollingRedBlackSpec::default(),
            analysis: AnalysisSpec::default(),
            monitor: SimDuration::ZERO,
        }
    }
}

impl RolloutSpec {
    /// `start` when a section leaves it out (`layer` must be given, so the struct reads
    /// its other defaults field by field): [`RolloutSpec::default`]'s.
    fn default_start() -> SimDuration {
        RolloutSpec::default().start
    }
}

/// How a rollout replaces a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Optional canary, a full new cluster, switch, bake, clean up (or switch back).
    #[default]
    RedBlack,
    /// Replace instances in batches bounded by `max_surge` and `max_unavailable`.
    Rolling,
    /// A full new cluster; the old one is destroyed as soon as the new one is healthy.
    Highlander,
    /// Traffic-weight steps with pauses and analysis, then full promotion (Argo
    /// Rollouts, Flagger, CodeDeploy canary).
    Canary,
    /// The new cluster grows through target percentages of traffic, then red/black's
    /// switch, bake and cleanup (Spinnaker).
    RollingRedBlack,
}

impl Strategy {
    /// Every strategy, by name.
    pub const ALL: [Strategy; 5] = [
        Strategy::RedBlack,
        Strategy::Rolling,
        Strategy::Highlander,
        Strategy::Canary,
        Strategy::RollingRedBlack,
    ];

    /// The strategy's name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::RedBlack => "red-black",
            Strategy::Rolling => "rolling",
            Strategy::Highlander => "highlander",
            Strategy::Canary => "canary",
            Strategy::RollingRedBlack => "rolling-red-black",
        }
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Strategy::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown strategy {text:?}; the strategies are {}",
                    names.join(", ")
                )
            })
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The new version's behaviour. Every field defaults to healthy; defects combine.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReleaseSpec {
    /// Probability that a request it serves fails with an error (HTTP 500).
    #[cfg_attr(test, schemars(range(min = 0, max = 1)))]
    pub error_rate: f64,
    /// Service-time multiplier (1.5 = a 50% latency regression).
    #[cfg_attr(test, schemars(range(max = 100), extend("exclusiveMinimum" = 0)))]
    pub latency_factor: f64,
    /// Workers per instance multiplier (0.5 = half the capacity).
    #[cfg_attr(test, schemars(range(max = 10), extend("exclusiveMinimum" = 0)))]
    pub capacity_factor: f64,
    /// Errors that grow with instance uptime (a memory leak).
    pub leak: Option<LeakSpec>,
    /// Instances crash this long after they are ready (a crash loop).
    #[cfg_attr(test, schemars(example = &"uniform(5m, 10m)"))]
    pub crash_after: Option<DurationDist>,
    /// Fraction of requests the error and latency defects hit.
    #[cfg_attr(test, schemars(range(max = 1), extend("exclusiveMinimum" = 0)))]
    pub affected_fraction: f64,
    /// The error and latency defects hit only when an instance's workers are at least
    /// this busy (a defect under load), in (0, 1].
    #[cfg_attr(test, schemars(range(max = 1), extend("exclusiveMinimum" = 0)))]
    #[cfg_attr(test, schemars(example = 0.8))]
    pub above_load: Option<f64>,
}

impl Default for ReleaseSpec {
    /// A healthy release: no defect at all.
    fn default() -> Self {
        ReleaseSpec {
            error_rate: 0.0,
            latency_factor: 1.0,
            capacity_factor: 1.0,
            leak: None,
            crash_after: None,
            affected_fraction: 1.0,
            above_load: None,
        }
    }
}

impl ReleaseSpec {
    /// Whether the release has no defect at all.
    pub fn is_healthy(&self) -> bool {
        *self == ReleaseSpec::default()
    }
}

/// A leak: no errors until `onset` of uptime, then an error rate rising linearly to
/// `max_error_rate` over `ramp`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LeakSpec {
    /// Uptime at which errors begin.
    #[cfg_attr(test, schemars(example = &"2h"))]
    pub onset: SimDuration,
    /// Time from onset to the full error rate.
    #[serde(default = "LeakSpec::default_ramp")]
    pub ramp: SimDuration,
    /// Error rate once the leak is full-blown.
    #[serde(default = "LeakSpec::default_max_error_rate")]
    #[cfg_attr(test, schemars(range(min = 0, max = 1)))]
    pub max_error_rate: f64,
}

impl LeakSpec {
    /// `ramp` when left out (`onset` must be given, so a leak has no `Default`).
    fn default_ramp() -> SimDuration {
        SimDuration::from_mins(30)
    }
    /// `max_error_rate` when left out.
    fn default_max_error_rate() -> f64 {
        1.0
    }
}

/// Knobs of red/black (and highlander, which uses `healthy_deadline`, and rolling
/// red/black, which uses all but `canary`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RedBlackSpec {
    /// A canary before the full cluster; none to skip.
    pub canary: Option<CanarySpec>,
    /// Longest wait for a launched cluster to be healthy before aborting.
    pub healthy_deadline: SimDuration,
    /// Whether `healthy_deadline` counts from the last instance that came into the
    /// balancer (Kubernetes' `progressDeadlineSeconds`: a slow but moving launch never
    /// times out) rather than from the launch (Asgard, Spinnaker).
    #[serde(skip_serializing_if = "is_false")]
    pub progress_deadline: bool,
    /// Time with all traffic on the new version, under analysis, before cleanup.
    pub bake: SimDuration,
    /// What happens to the old cluster after a good bake.
    pub cleanup: Cleanup,
    /// With `disable`: how long the old cluster stays disabled (warm) before it is destroyed.
    pub disabled_for: SimDuration,
}

impl Default for RedBlackSpec {
    fn default() -> Self {
        RedBlackSpec {
            canary: None,
            healthy_deadline: SimDuration::from_mins(10),
            progress_deadline: false,
            bake: SimDuration::from_mins(30),
            cleanup: Cleanup::default(),
            disabled_for: SimDuration::from_hours(1),
        }
    }
}

/// A canary: a few new-version instances taking their share of traffic beside the old.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CanarySpec {
    /// Instances of the new version.
    pub instances: u32,
    /// How long the canary is judged.
    pub duration: SimDuration,
}

impl Default for CanarySpec {
    fn default() -> Self {
        CanarySpec {
            instances: 1,
            duration: SimDuration::from_hours(1),
        }
    }
}

/// What red/black does with the old cluster after a good bake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Cleanup {
    /// Destroy it at once.
    Destroy,
    /// Keep it running without traffic (warm) for `disabled_for`, then destroy it.
    #[default]
    Disable,
    /// Scale it to zero instances but keep the group (a rollback relaunches into it).
    ScaleDown,
}

impl Cleanup {
    /// The policy's name.
    pub fn name(self) -> &'static str {
        match self {
            Cleanup::Destroy => "destroy",
            Cleanup::Disable => "disable",
            Cleanup::ScaleDown => "scale-down",
        }
    }
}

/// Knobs of a rolling upgrade.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RollingSpec {
    /// Instances above the desired size during the upgrade (count or percent, rounded up).
    pub max_surge: Count,
    /// Instances below the desired size during the upgrade (count or percent, rounded down;
    /// 1 if both this and `max_surge` come to 0, as Kubernetes resolves them).
    pub max_unavailable: Count,
    /// Longest wait for a batch to become healthy before aborting.
    pub healthy_deadline: SimDuration,
    /// How soon the controller acts on a batch's change (an instance ready or gone):
    /// it looks this often while the upgrade moves.
    pub reaction_delay: SimDuration,
}

impl RollingSpec {
    /// The surge and the unavailability for `size` instances, as Kubernetes resolves
    /// them: surge rounded up, unavailability rounded down, and if both come to 0,
    /// unavailability 1, so that the update can always progress.
    pub fn batch_limits(&self, size: u32) -> (u32, u32) {
        let surge = self.max_surge.of(size, true);
        let unavailable = self.max_unavailable.of(size, false);
        if surge == 0 && unavailable == 0 {
            (0, 1)
        } else {
            (surge, unavailable)
        }
    }
}

impl Default for RollingSpec {
    fn default() -> Self {
        RollingSpec {
            max_surge: Count::Percent(25.0),
            max_unavailable: Count::Percent(25.0),
            healthy_deadline: SimDuration::from_mins(10),
            reaction_delay: SimDuration::from_secs(1),
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Knobs of the progressive canary.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CanaryStepsSpec {
    /// Traffic weights (percent, increasing) and how long each holds under analysis.
    pub steps: Vec<WeightStep>,
    /// After full promotion, how long the old cluster lingers before it is destroyed.
    pub scale_down_delay: SimDuration,
    /// Longest wait for a step's instances (and, at promotion, the new version at full
    /// size; after an abort, the old one back) to be healthy before aborting.
    pub healthy_deadline: SimDuration,
    /// Whether `healthy_deadline` counts from the last instance that came into the
    /// balancer (Kubernetes' `progressDeadlineSeconds`, as Argo Rollouts and Flagger
    /// use it) rather than from the step's start.
    #[serde(skip_serializing_if = "is_false")]
    pub progress_deadline: bool,
    /// How a step's weight becomes traffic: set on the balancer, or by the share of
    /// instances each version serves with.
    #[serde(skip_serializing_if = "CanaryTraffic::is_weights")]
    pub traffic: CanaryTraffic,
    /// With a traffic router (`traffic = "weights"`): whether the old version shrinks
    /// to `⌈size × (100 − w)%⌉` instances once a step has moved weight `w` to the new
    /// one, instead of keeping its full size until promotion (Argo Rollouts'
    /// `dynamicStableScale`). On an abort it grows back to full size before the new
    /// version goes.
    #[serde(skip_serializing_if = "is_false")]
    pub dynamic_stable_scale: bool,
}

impl Default for CanaryStepsSpec {
    fn default() -> Self {
        CanaryStepsSpec {
            steps: vec![WeightStep {
                weight: 10.0,
                pause: WeightStep::default_pause(),
                scale: None,
            }],
            scale_down_delay: SimDuration::from_secs(30),
            healthy_deadline: SimDuration::from_mins(10),
            progress_deadline: false,
            traffic: CanaryTraffic::default(),
            dynamic_stable_scale: false,
        }
    }
}

/// How a canary step's weight becomes traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum CanaryTraffic {
    /// A traffic router (a service mesh, an ingress, an ALB) sends exactly the step's
    /// weight to the new version; the old one keeps its full size.
    #[default]
    Weights,
    /// No traffic router: the balancer spreads requests over every serving instance,
    /// so each version takes its share of instances. The new version runs
    /// `⌈size × w⌉` instances and the old one `⌈size × (1 − w)⌉` (Argo Rollouts without
    /// `trafficRouting`), so 10% of 4 instances is 1 of 5, a fifth of the traffic.
    Replicas,
}

impl CanaryTraffic {
    fn is_weights(&self) -> bool {
        *self == CanaryTraffic::Weights
    }
}

/// One step of a progressive canary.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WeightStep {
    /// Percent of the layer's traffic on the new version, in (0, 100].
    #[cfg_attr(test, schemars(example = 10))]
    pub weight: f64,
    /// How long the step holds (judged) before the next.
    #[serde(default = "WeightStep::default_pause")]
    pub pause: SimDuration,
    /// With a traffic router: the new version's instances at this step, a count or a
    /// percentage of the layer's size (rounded up), apart from its weight (Argo
    /// Rollouts' `setCanaryScale`); none sizes it by the weight, `⌈size × w⌉`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(example = &"25%"))]
    pub scale: Option<Count>,
}

impl WeightStep {
    /// `pause` when left out (`weight` must be given, so a step has no `Default`).
    fn default_pause() -> SimDuration {
        SimDuration::from_mins(5)
    }
}

/// Knobs of Spinnaker's rolling red/black.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RollingRedBlackSpec {
    /// Percent of the old cluster's size (and traffic) the new one takes at each step;
    /// increasing, ending at 100.
    pub target_percentages: Vec<f64>,
    /// How long each step holds (judged) before the next.
    pub pause: SimDuration,
}

impl Default for RollingRedBlackSpec {
    fn default() -> Self {
        RollingRedBlackSpec {
            target_percentages: vec![25.0, 50.0, 100.0],
            pause: SimDuration::from_mins(5),
        }
    }
}

/// An absolute count or a percentage of a size, e.g. `2` or `"25%"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Count {
    /// This many.
    Absolute(u32),
    /// This percent of the size.
    Percent(f64),
}

impl Count {
    /// The count for `size`, rounding a percentage up (`true`) or down (Kubernetes
    /// rounds surge up and unavailability down).
    pub fn of(self, size: u32, round_up: bool) -> u32 {
        match self {
            Count::Absolute(n) => n,
            Count::Percent(p) => {
                let exact = size as f64 * p / 100.0;
                let rounded = if round_up {
                    exact.ceil()
                } else {
                    exact.floor()
                };
                rounded.max(0.0) as u32
            }
        }
    }
}

impl Count {
    /// Whether this is 0 whatever the size (`0` or `"0%"`).
    pub fn is_zero(self) -> bool {
        match self {
            Count::Absolute(n) => n == 0,
            Count::Percent(p) => p == 0.0,
        }
    }
}

impl FromStr for Count {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let allowed = "write a count such as 2 or a percentage such as \"25%\"";
        if let Some(percent) = text.strip_suffix('%') {
            let p: f64 = percent
                .trim()
                .parse()
                .map_err(|_| format!("not a percentage: {text:?}; {allowed}"))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!(
                    "a percentage must be between 0% and 100%, got {text}"
                ));
            }
            Ok(Count::Percent(p))
        } else {
            text.parse()
                .map(Count::Absolute)
                .map_err(|_| format!("not a count: {text:?}; {allowed}"))
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Absolute(n) => write!(f, "{n}"),
            Count::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl serde::Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => u32::try_from(n).map(Count::Absolute).map_err(|_| {
                serde::de::Error::custom(format!(
                    "a count must be between 0 and {}, got {n}",
                    u32::MAX
                ))
            }),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Threshold analysis of the new version, interval by interval.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisSpec {
    /// Length of one check.
    pub interval: SimDuration,
    /// Time after a phase begins before its metrics count (new instances warm up).
    pub delay: SimDuration,
    /// Failed checks that abort the rollout, counted as `failure_counting` says.
    pub failure_limit: u32,
    /// Which failed checks count toward `failure_limit`: those in a row (a pass
    /// resets the count), or every one since the rollout began.
    #[serde(skip_serializing_if = "FailureCounting::is_consecutive")]
    pub failure_counting: FailureCounting,
    /// Requests the new version must have served in an interval for a verdict.
    pub min_requests: u64,
    /// Highest error rate of the new version.
    #[cfg_attr(test, schemars(range(min = 0, max = 1)))]
    pub max_error_rate: f64,
    /// Highest error rate above the baseline version's.
    #[cfg_attr(test, schemars(range(min = 0, max = 1)))]
    pub max_error_rate_increase: f64,
    /// Highest p99 latency as a multiple of the baseline version's.
    pub max_latency_p99_ratio: f64,
    /// Instances of the new version that crash on their own (crash loop, failed boot)
    /// before the rollout aborts; kills by chaos do not count.
    pub max_crashes: u32,
    /// How a check decides: fixed thresholds, or a statistical comparison with the baseline.
    pub judge: JudgeKind,
    /// Mann-Whitney: confidence that a difference is real before it counts.
    #[cfg_attr(test, schemars(extend("exclusiveMinimum" = 0.5, "exclusiveMaximum" = 1)))]
    pub confidence: f64,
    /// Mann-Whitney: relative increase over the baseline's median that is tolerated.
    #[cfg_attr(test, schemars(range(min = 0, max = 10)))]
    pub tolerance: f64,
    /// Mann-Whitney: score (0–100) at or above which a check passes.
    #[cfg_attr(test, schemars(range(min = 0, max = 100)))]
    pub pass_score: f64,
    /// Mann-Whitney: score below which a check fails (between: marginal, neither).
    #[cfg_attr(test, schemars(range(min = 0, max = 100)))]
    pub marginal_score: f64,
    /// Mann-Whitney: length of one point of each metric's series.
    pub sample_interval: SimDuration,
}

/// Which failed checks count toward the analysis' `failure_limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum FailureCounting {
    /// Failed checks in a row: a pass resets the count (a no-data or marginal check
    /// neither counts nor resets). Each phase (step, bake, monitor) counts afresh.
    #[default]
    Consecutive,
    /// Every failed check since the rollout began, across its phases, whatever passed
    /// between them: Argo Rollouts' `failureLimit` (the AnalysisRun fails when its
    /// failed measurements exceed it) and Flagger's `threshold` (the Canary's
    /// `failedChecks` only reset when a new revision starts).
    Total,
}

impl FailureCounting {
    fn is_consecutive(&self) -> bool {
        *self == FailureCounting::Consecutive
    }
}

/// How an analysis check decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum JudgeKind {
    /// Limits on the error rate and p99 (absolute and relative to the baseline).
    #[default]
    Threshold,
    /// Kayenta-style: Mann-Whitney U per metric on per-sample series of new and old
    /// versions, a weighted score, pass and marginal thresholds.
    MannWhitney,
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        AnalysisSpec {
            interval: SimDuration::from_mins(1),
            delay: SimDuration::ZERO,
            failure_limit: 2,
            failure_counting: FailureCounting::Consecutive,
            min_requests: 50,
            max_error_rate: 0.01,
            max_error_rate_increase: 0.005,
            max_latency_p99_ratio: 1.5,
            max_crashes: 3,
            judge: JudgeKind::default(),
            confidence: 0.98,
            tolerance: 0.25,
            pass_score: 75.0,
            marginal_score: 50.0,
            sample_interval: SimDuration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_that_both_round_to_zero_let_one_instance_be_unavailable() {
        let rolling = RollingSpec {
            max_surge: Count::Absolute(0),
            max_unavailable: Count::Percent(10.0),
            ..RollingSpec::default()
        };
        assert_eq!(rolling.batch_limits(3), (0, 1));
        assert_eq!(rolling.batch_limits(20), (0, 2));
        assert_eq!(RollingSpec::default().batch_limits(3), (1, 0));
    }

    #[test]
    fn counts_round_as_kubernetes_does() {
        let quarter: Count = "25%".parse().unwrap();
        assert_eq!(quarter.of(10, true), 3);
        assert_eq!(quarter.of(10, false), 2);
        assert_eq!("3".parse::<Count>().unwrap().of(10, true), 3);
        assert!("120%".parse::<Count>().is_err());
        assert!("lots".parse::<Count>().unwrap_err().contains("percentage"));
    }

    #[test]
    fn a_rollout_section_reads_with_defaults() {
        let spec: RolloutSpec = toml::from_str(
            r#"layer = "middle"
               strategy = "rolling"
               rolling = { max_surge = 2, max_unavailable = "0%" }
               release = { error_rate = 0.05 }"#,
        )
        .unwrap();
        assert_eq!(spec.strategy, Strategy::Rolling);
        assert_eq!(spec.rolling.max_surge, Count::Absolute(2));
        assert_eq!(spec.rolling.max_unavailable, Count::Percent(0.0));
        assert_eq!(spec.red_black.cleanup, Cleanup::Disable);
        assert!(!spec.release.is_healthy());
        assert_eq!(spec.analysis.interval, SimDuration::from_mins(1));
    }
}

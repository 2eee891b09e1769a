//! What a controller is told to do, and nothing more: the layer and when to begin, the
//! strategy with each strategy's settings, how the new version is judged, and how long
//! judging goes on after promotion.
//!
//! It has no release. Whether the new version is defective is the very thing the
//! controller must find out, from what it observes; a [`ControllerSpec`] cannot tell
//! it, so no controller can read it. A model file's rollout ([`RolloutSpec`]) holds both
//! the release (the simulated world's business) and these settings; a driver hands the
//! world the release and the controller `ControllerSpec::from(&rollout)`.
//!
//! It reads from TOML with the same field names and defaults as a model's
//! `[[rollouts]]` section, without `release` (a section that names one is refused).

use crate::engine::SimDuration;
use crate::scenario::rollout::{
    AnalysisSpec, CanaryStepsSpec, RedBlackSpec, RollingRedBlackSpec, RollingSpec, RolloutSpec,
    Strategy,
};

/// One rollout as its controller knows it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControllerSpec {
    /// The layer whose version is replaced (for the record and its notes).
    pub layer: String,
    /// When the rollout begins, after the run's time zero.
    pub start: SimDuration,
    /// How the new version replaces the old.
    pub strategy: Strategy,
    /// Settings of `red-black`, `highlander` and `rolling-red-black` (its switch, bake
    /// and cleanup).
    pub red_black: RedBlackSpec,
    /// Settings of `rolling`.
    pub rolling: RollingSpec,
    /// Settings of `canary`.
    pub canary: CanaryStepsSpec,
    /// Settings of `rolling-red-black`'s steps.
    pub rolling_red_black: RollingRedBlackSpec,
    /// How the new version is judged.
    pub analysis: AnalysisSpec,
    /// How long judging goes on after promotion.
    pub monitor: SimDuration,
}

impl From<&RolloutSpec> for ControllerSpec {
    /// Everything of `rollout` but its release.
    fn from(rollout: &RolloutSpec) -> ControllerSpec {
        let RolloutSpec {
            layer,
            start,
            strategy,
            release: _,
            red_black,
            rolling,
            canary,
            rolling_red_black,
            analysis,
            monitor,
        } = rollout;
        ControllerSpec {
            layer: layer.clone(),
            start: *start,
            strategy: *strategy,
            red_black: red_black.clone(),
            rolling: rolling.clone(),
            canary: canary.clone(),
            rolling_red_black: rolling_red_black.clone(),
            analysis: analysis.clone(),
            monitor: *monitor,
        }
    }
}

impl Default for ControllerSpec {
    /// A model file's rollout defaults, for no layer.
    fn default() -> ControllerSpec {
        ControllerSpec::from(&RolloutSpec::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_controller_spec_keeps_every_setting_of_the_rollout_but_its_release() {
        let rollout: RolloutSpec = toml::from_str(
            r#"layer = "api"
               start = "7m"
               strategy = "canary"
               release = { error_rate = 0.5 }
               canary = { steps = [{ weight = 20, pause = "2m" }] }
               analysis = { failure_limit = 4 }
               monitor = "3m""#,
        )
        .unwrap();
        let spec = ControllerSpec::from(&rollout);
        let written: ControllerSpec = toml::from_str(
            r#"layer = "api"
               start = "7m"
               strategy = "canary"
               canary = { steps = [{ weight = 20, pause = "2m" }] }
               analysis = { failure_limit = 4 }
               monitor = "3m""#,
        )
        .unwrap();
        assert_eq!(spec, written);
    }

    #[test]
    fn a_controller_spec_refuses_a_release() {
        let error = toml::from_str::<ControllerSpec>("release = { error_rate = 0.5 }")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `release`"), "{error}");
    }
}

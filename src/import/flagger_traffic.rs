//! How Flagger moves traffic, as its scheduler does: the weights a progressive canary
//! climbs through.
//!
//! # Rules (Flagger's scheduler)
//! 1. With `provider: kubernetes` nothing shifts traffic by weight: the Canary runs
//!    blue/green, with `iterations` 10 if unset.
//! 2. `iterations` (> 0) selects A/B testing (with `match`) or blue/green, whatever
//!    weights are set.
//! 3. Otherwise the canary advances by `stepWeight` when it is set, else through
//!    `stepWeights`, until its weight reaches the max weight: `maxWeight` (100 when unset
//!    or 0), or the last of `stepWeights` when they are set. A last step of `stepWeight`
//!    may pass the max weight (20, 40, 60 for a step of 20 and a max of 50), never 100.
//!
//! [`super::flagger`] reads the fields and applies rules 1 and 2; [`stepped_weights`]
//! is rule 3 for `stepWeight`.

/// Flagger's total weight: the canary's weight never exceeds it.
pub(crate) const TOTAL_WEIGHT: u32 = 100;

/// The weights of a canary advancing by `step` (> 0) until it reaches `max_weight`.
pub(crate) fn stepped_weights(step: u32, max_weight: u32) -> Vec<u32> {
    let step = step.max(1);
    let max_weight = max_weight.min(TOTAL_WEIGHT);
    let mut weights = Vec::new();
    let mut weight = 0;
    while weight < max_weight {
        weight = (weight + step).min(TOTAL_WEIGHT);
        weights.push(weight);
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_step_passes_the_max_weight_as_flaggers_does() {
        assert_eq!(stepped_weights(20, 50), [20, 40, 60]);
        assert_eq!(stepped_weights(10, 50), [10, 20, 30, 40, 50]);
        assert_eq!(stepped_weights(30, 100), [30, 60, 90, 100]);
        assert_eq!(stepped_weights(1, 100).len(), 100);
        assert_eq!(stepped_weights(100, 100), [100]);
    }
}

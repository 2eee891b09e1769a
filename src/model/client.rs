//! What a caller does when an attempt fails: how long it waits before the next one
//! (backoff and jitter) and whether the retry budget lets it retry at all.
//!
//! # Retry budget
//! A token bucket shared by all callers of a layer (Finagle's `RetryBudget` in spirit):
//! every first attempt deposits `ratio` tokens, every retry withdraws one, and retries
//! are refused when fewer than one token is left. The bucket starts with
//! [`BUDGET_INITIAL_TOKENS`] and holds at most [`BUDGET_MAX_TOKENS`], so a long calm
//! spell cannot bank an unbounded storm.

use rand::RngExt;

use crate::engine::{SimDuration, SimRng};
use crate::scenario::client::{Backoff, ClientSpec, Jitter};

/// Tokens in a fresh retry budget (Finagle allows 10 retries/s as a floor).
pub(crate) const BUDGET_INITIAL_TOKENS: f64 = 10.0;
/// Most tokens a retry budget holds.
pub(crate) const BUDGET_MAX_TOKENS: f64 = 100.0;

/// The wait before retry number `retry` (1 for the first retry); `previous` is the
/// wait before the last retry (used by decorrelated jitter).
pub(crate) fn retry_delay(
    spec: &ClientSpec,
    retry: u32,
    previous: SimDuration,
    rng: &mut SimRng,
) -> SimDuration {
    let (base, cap) = match spec.backoff {
        Backoff::None => return SimDuration::ZERO,
        Backoff::Fixed(wait) => (wait, wait),
        Backoff::Exponential { base, cap } => (base, cap),
    };
    let exponential = base
        .saturating_mul(1u64 << (retry.saturating_sub(1)).min(40))
        .min(cap);
    match spec.jitter {
        Jitter::None => exponential,
        Jitter::Full => uniform(SimDuration::ZERO, exponential, rng),
        Jitter::Decorrelated => {
            let high = previous.saturating_mul(3).max(base);
            uniform(base, high, rng).min(cap)
        }
    }
}

fn uniform(low: SimDuration, high: SimDuration, rng: &mut SimRng) -> SimDuration {
    if high <= low {
        return low;
    }
    let span = high.as_nanos() - low.as_nanos();
    low + SimDuration::from_nanos(rng.random_range(0..=span))
}

/// A retry budget: retries allowed per first attempt, over time.
#[derive(Debug, Clone)]
pub(crate) struct RetryBudget {
    ratio: Option<f64>,
    tokens: f64,
}

impl RetryBudget {
    pub(crate) fn new(ratio: Option<f64>) -> Self {
        RetryBudget {
            ratio,
            tokens: BUDGET_INITIAL_TOKENS,
        }
    }

    /// A first attempt was made.
    pub(crate) fn deposit(&mut self) {
        if let Some(ratio) = self.ratio {
            self.tokens = (self.tokens + ratio).min(BUDGET_MAX_TOKENS);
        }
    }

    /// Whether a retry may go ahead now (and, if so, pays for it).
    pub(crate) fn try_withdraw(&mut self) -> bool {
        match self.ratio {
            None => true,
            Some(_) if self.tokens >= 1.0 => {
                self.tokens -= 1.0;
                true
            }
            Some(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn client(text: &str) -> ClientSpec {
        toml::from_str(text).expect("a valid client section")
    }

    #[test]
    fn exponential_backoff_doubles_up_to_its_cap() {
        let spec = client(
            r#"backoff = "exponential(base=50ms, cap=300ms)"
                             jitter = "none""#,
        );
        let mut rng = RngStreams::new(1).stream("t");
        let waits: Vec<u64> = (1..=5)
            .map(|k| retry_delay(&spec, k, SimDuration::ZERO, &mut rng).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(waits, vec![50, 100, 200, 300, 300]);
    }

    #[test]
    fn full_jitter_spreads_waits_between_zero_and_the_backoff() {
        let spec = client(r#"backoff = "exponential(base=100ms, cap=1s)""#);
        let mut rng = RngStreams::new(1).stream("t");
        let waits: Vec<SimDuration> = (0..10_000)
            .map(|_| retry_delay(&spec, 2, SimDuration::ZERO, &mut rng))
            .collect();
        assert!(waits.iter().all(|w| *w <= SimDuration::from_millis(200)));
        let mean = waits.iter().map(|w| w.as_secs_f64()).sum::<f64>() / waits.len() as f64;
        assert!((mean - 0.1).abs() < 0.003, "mean {mean}");
    }

    #[test]
    fn decorrelated_jitter_stays_between_base_and_cap() {
        let spec = client(
            r#"backoff = "exponential(base=10ms, cap=500ms)"
                             jitter = "decorrelated""#,
        );
        let mut rng = RngStreams::new(3).stream("t");
        let mut previous = SimDuration::ZERO;
        for retry in 1..1000 {
            let wait = retry_delay(&spec, retry, previous, &mut rng);
            assert!(wait >= SimDuration::from_millis(10) && wait <= SimDuration::from_millis(500));
            previous = wait;
        }
    }

    #[test]
    fn no_backoff_retries_at_once() {
        let spec = client(r#"backoff = "none""#);
        let mut rng = RngStreams::new(1).stream("t");
        assert_eq!(
            retry_delay(&spec, 3, SimDuration::ZERO, &mut rng),
            SimDuration::ZERO
        );
    }

    #[test]
    fn a_retry_budget_caps_retries_at_its_ratio_of_requests() {
        let mut budget = RetryBudget::new(Some(0.1));
        let mut retries = 0;
        for _ in 0..10_000 {
            budget.deposit();
            // Every request fails and wants to retry.
            if budget.try_withdraw() {
                retries += 1;
            }
        }
        assert!((1_000..=1_011).contains(&retries), "{retries}");
        let mut unlimited = RetryBudget::new(None);
        assert!((0..1000).all(|_| unlimited.try_withdraw()));
    }
}

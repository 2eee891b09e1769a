//! Closed-form queueing results the engine is validated against.
//!
//! - M/M/c: Erlang C, in its numerically stable recursive form
//!   (B₀ = 1, B_k = a·B_{k−1}/(k + a·B_{k−1}); C = c·B_c/(c − a(1 − B_c))).
//! - M/G/1: Pollaczek–Khinchine, Wq = ρ(1 + C_s²)/(2(1 − ρ)) · E[S].
//! - Retries: attempts per request with r retries at failure probability p.
//!
//! Times are in seconds, rates per second.
//!
//! ```
//! use rollsim::queueing::theory::erlang_c;
//! // DESIGN.md's example: c = 10 servers, offered load a = 8 erlangs.
//! assert!((erlang_c(10, 8.0).unwrap() - 0.4092).abs() < 5e-5);
//! ```

/// Steady-state means of a queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueTheory {
    /// Probability that an arrival has to wait.
    pub p_wait: f64,
    /// Mean wait in queue, seconds.
    pub wq_secs: f64,
    /// Mean time in system (wait + service), seconds.
    pub w_secs: f64,
    /// Mean number waiting.
    pub lq: f64,
    /// Mean number in system.
    pub l: f64,
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered
/// load `offered_load` = λ/μ erlangs. `None` unless 0 < a < c (the queue is stable).
pub fn erlang_c(servers: u32, offered_load: f64) -> Option<f64> {
    let c = servers as f64;
    if servers == 0 || !(offered_load > 0.0 && offered_load < c) {
        return None;
    }
    let mut erlang_b = 1.0;
    for k in 1..=servers {
        erlang_b = offered_load * erlang_b / (k as f64 + offered_load * erlang_b);
    }
    Some(c * erlang_b / (c - offered_load * (1.0 - erlang_b)))
}

/// M/M/c with arrival rate `arrival_rate` and mean service time `mean_service_secs`.
pub fn mmc(servers: u32, arrival_rate: f64, mean_service_secs: f64) -> Option<QueueTheory> {
    let offered_load = arrival_rate * mean_service_secs;
    let p_wait = erlang_c(servers, offered_load)?;
    let service_rate = 1.0 / mean_service_secs;
    let wq_secs = p_wait / (servers as f64 * service_rate - arrival_rate);
    Some(with_littles_law(
        p_wait,
        wq_secs,
        arrival_rate,
        mean_service_secs,
    ))
}

/// M/G/1 by Pollaczek–Khinchine, given the service time's squared coefficient of
/// variation `service_scv` (0 deterministic, 1 exponential).
pub fn mg1(arrival_rate: f64, mean_service_secs: f64, service_scv: f64) -> Option<QueueTheory> {
    let rho = arrival_rate * mean_service_secs;
    if !(rho > 0.0 && rho < 1.0 && service_scv.is_finite()) {
        return None;
    }
    let wq_secs = rho * (1.0 + service_scv) / (2.0 * (1.0 - rho)) * mean_service_secs;
    Some(with_littles_law(
        rho,
        wq_secs,
        arrival_rate,
        mean_service_secs,
    ))
}

fn with_littles_law(
    p_wait: f64,
    wq_secs: f64,
    arrival_rate: f64,
    mean_service_secs: f64,
) -> QueueTheory {
    let w_secs = wq_secs + mean_service_secs;
    QueueTheory {
        p_wait,
        wq_secs,
        w_secs,
        lq: arrival_rate * wq_secs,
        l: arrival_rate * w_secs,
    }
}

/// Mean attempts per request when each attempt fails independently with probability
/// `failure_probability` and a client retries up to `retries` times:
/// (1 − p^(r+1)) / (1 − p).
pub fn retry_amplification(failure_probability: f64, retries: u32) -> f64 {
    let p = failure_probability.clamp(0.0, 1.0);
    if p == 1.0 {
        return (retries + 1) as f64;
    }
    (1.0 - p.powi(retries as i32 + 1)) / (1.0 - p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_the_design_example() {
        // c = 10, a = 8 → P(wait) = 0.4092, Wq = 0.2046 service times.
        let t = mmc(10, 8.0, 1.0).unwrap();
        assert!((t.p_wait - 0.4092).abs() < 5e-5);
        assert!((t.wq_secs - 0.2046).abs() < 5e-5);
    }

    #[test]
    fn mmc_with_one_server_is_mm1() {
        let rho: f64 = 0.8;
        let t = mmc(1, rho, 1.0).unwrap();
        assert!((t.p_wait - rho).abs() < 1e-12);
        assert!((t.wq_secs - rho / (1.0 - rho)).abs() < 1e-12);
        let pk = mg1(rho, 1.0, 1.0).unwrap();
        assert!((pk.wq_secs - t.wq_secs).abs() < 1e-12);
    }

    #[test]
    fn deterministic_service_halves_the_wait() {
        let md1 = mg1(0.8, 1.0, 0.0).unwrap();
        let mm1 = mg1(0.8, 1.0, 1.0).unwrap();
        assert!((md1.wq_secs * 2.0 - mm1.wq_secs).abs() < 1e-12);
    }

    #[test]
    fn unstable_queues_have_no_steady_state() {
        assert!(erlang_c(4, 4.0).is_none());
        assert!(erlang_c(0, 0.5).is_none());
        assert!(mg1(1.2, 1.0, 1.0).is_none());
    }

    #[test]
    fn retry_amplification_is_a_geometric_sum() {
        assert_eq!(retry_amplification(0.0, 3), 1.0);
        assert!((retry_amplification(0.5, 2) - 1.75).abs() < 1e-12);
        assert_eq!(retry_amplification(1.0, 3), 4.0);
    }
}

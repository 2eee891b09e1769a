//! A queueing station: `c` parallel servers, one FCFS queue with a bound, and exact
//! time-integrated statistics. Instances reuse it as their in-service behaviour.
//!
//! The station holds no clock and schedules nothing: the model tells it what happens
//! and it says what to do next ("sans-IO"):
//!
//! 1. `arrive(now, customer)` → [`Admission::Serving`] (a server was free: the model
//!    samples a service time and schedules the departure), [`Admission::Queued`], or
//!    [`Admission::Rejected`] (queue full: load shedding).
//! 2. `complete(now)` when a service ends → the next queued customer, if any, with how
//!    long it waited; the model schedules its departure in turn.
//!
//! Areas under "customers in system", "in queue" and "busy servers" are integrated in
//! exact integer nanoseconds, so Little's law can be checked without rounding drift.
//!
//! ```
//! use rollsim::engine::{SimDuration, SimTime};
//! use rollsim::queueing::{Admission, Station};
//! let mut station = Station::new(1, 10);
//! let t = |ms: u64| SimTime::from_nanos(ms * 1_000_000);
//! assert!(matches!(station.arrive(t(0), "a"), Admission::Serving("a")));
//! assert!(matches!(station.arrive(t(1), "b"), Admission::Queued));
//! let next = station.complete(t(5)).unwrap();
//! assert_eq!((next.customer, next.waited), ("b", SimDuration::from_millis(4)));
//! ```

use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};

/// A queue with no practical bound.
pub const UNBOUNDED: usize = usize::MAX;

/// What happened to an arriving customer.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission<C> {
    /// A server was free: service starts now.
    Serving(C),
    /// All servers busy: the customer waits in the queue.
    Queued,
    /// All servers busy and the queue full: the customer is turned away.
    Rejected(C),
}

/// A queued customer whose service starts now.
#[derive(Debug, PartialEq, Eq)]
pub struct Started<C> {
    /// The customer.
    pub customer: C,
    /// How long it waited in the queue.
    pub waited: SimDuration,
}

/// Counts and time integrals over a measurement window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StationStats {
    /// Start of the window.
    pub since: SimTime,
    /// End of the window (the last update).
    pub until: SimTime,
    /// Customers that arrived (admitted or not).
    pub arrivals: u64,
    /// Customers turned away because the queue was full.
    pub rejected: u64,
    /// Services completed.
    pub completed: u64,
    /// ∫ customers in system dt, in customer-nanoseconds.
    pub area_in_system: u128,
    /// ∫ customers in queue dt, in customer-nanoseconds.
    pub area_in_queue: u128,
    /// ∫ busy servers dt, in server-nanoseconds.
    pub area_busy: u128,
}

impl StationStats {
    /// Length of the window.
    pub fn window(&self) -> SimDuration {
        self.until - self.since
    }
    /// Time-average number in system, L.
    pub fn mean_in_system(&self) -> f64 {
        self.area_in_system as f64 / self.window().as_nanos_f64()
    }
    /// Time-average number in queue, Lq.
    pub fn mean_in_queue(&self) -> f64 {
        self.area_in_queue as f64 / self.window().as_nanos_f64()
    }
    /// Time-average busy servers.
    pub fn mean_busy(&self) -> f64 {
        self.area_busy as f64 / self.window().as_nanos_f64()
    }
}

/// `c` servers in front of one FCFS queue of bounded length.
#[derive(Debug, Clone)]
pub struct Station<C> {
    servers: u32,
    busy: u32,
    queue: VecDeque<(C, SimTime)>,
    queue_capacity: usize,
    /// Serve the newest waiting customer while more than this many wait.
    lifo_above: Option<usize>,
    stats: StationStats,
}

impl<C> Station<C> {
    /// A station with `servers` parallel servers (at least one) and room for
    /// `queue_capacity` waiting customers ([`UNBOUNDED`] for no limit).
    ///
    /// # Panics
    /// If `servers` is zero: a station that can never serve is a model bug, caught by
    /// scenario validation before it gets here.
    pub fn new(servers: u32, queue_capacity: usize) -> Self {
        assert!(servers > 0, "a station needs at least one server");
        Station {
            servers,
            busy: 0,
            queue: VecDeque::new(),
            queue_capacity,
            lifo_above: None,
            stats: StationStats::default(),
        }
    }

    /// Serves the newest waiting customer first while more than `waiting` wait (adaptive
    /// LIFO); the oldest otherwise.
    pub fn serve_newest_above(mut self, waiting: usize) -> Self {
        self.lifo_above = Some(waiting);
        self
    }

    /// Parallel servers.
    pub fn servers(&self) -> u32 {
        self.servers
    }
    /// Servers busy now.
    pub fn busy(&self) -> u32 {
        self.busy
    }
    /// Customers waiting now.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }
    /// Customers in service or waiting now.
    pub fn in_system(&self) -> usize {
        self.busy as usize + self.queue.len()
    }

    /// A customer arrives at `now`.
    #[inline]
    pub fn arrive(&mut self, now: SimTime, customer: C) -> Admission<C> {
        self.advance(now);
        self.stats.arrivals += 1;
        if self.busy < self.servers {
            self.busy += 1;
            Admission::Serving(customer)
        } else if self.queue.len() < self.queue_capacity {
            self.queue.push_back((customer, now));
            Admission::Queued
        } else {
            self.stats.rejected += 1;
            Admission::Rejected(customer)
        }
    }

    /// A service ends at `now`; returns the next customer to serve, if one waits.
    ///
    /// # Panics
    /// If no server is busy: completing a service that never started is a model bug.
    #[inline]
    pub fn complete(&mut self, now: SimTime) -> Option<Started<C>> {
        assert!(self.busy > 0, "completion at an idle station");
        self.advance(now);
        self.stats.completed += 1;
        let congested = self.lifo_above.is_some_and(|k| self.queue.len() > k);
        let next = if congested {
            self.queue.pop_back()
        } else {
            self.queue.pop_front()
        };
        match next {
            Some((customer, queued_at)) => Some(Started {
                customer,
                waited: now - queued_at,
            }),
            None => {
                self.busy -= 1;
                None
            }
        }
    }

    /// The statistics of the current window, integrated up to `now`.
    pub fn stats_at(&mut self, now: SimTime) -> StationStats {
        self.advance(now);
        self.stats
    }

    /// Starts a new measurement window at `now` (e.g. after warm-up); state is kept.
    pub fn reset_stats(&mut self, now: SimTime) {
        self.advance(now);
        self.stats = StationStats {
            since: now,
            until: now,
            ..StationStats::default()
        };
    }

    /// Adds the areas since the last change, up to `now`.
    #[inline]
    fn advance(&mut self, now: SimTime) {
        debug_assert!(now >= self.stats.until, "station time went backwards");
        let dt = (now - self.stats.until).as_nanos() as u128;
        if dt > 0 {
            let queued = self.queue.len() as u128;
            let busy = self.busy as u128;
            self.stats.area_in_queue += queued * dt;
            self.stats.area_busy += busy * dt;
            self.stats.area_in_system += (queued + busy) * dt;
            self.stats.until = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimTime {
        SimTime::from_nanos(n * 1_000_000)
    }

    #[test]
    fn serves_in_arrival_order_and_sheds_when_full() {
        let mut station = Station::new(2, 1);
        assert_eq!(station.arrive(ms(0), 1), Admission::Serving(1));
        assert_eq!(station.arrive(ms(0), 2), Admission::Serving(2));
        assert_eq!(station.arrive(ms(1), 3), Admission::Queued);
        assert_eq!(station.arrive(ms(2), 4), Admission::Rejected(4));
        let next = station.complete(ms(3)).unwrap();
        assert_eq!(next.customer, 3);
        assert_eq!(next.waited, SimDuration::from_millis(2));
        assert_eq!(station.complete(ms(4)), None);
        assert_eq!(station.busy(), 1);
        let stats = station.stats_at(ms(4));
        assert_eq!((stats.arrivals, stats.rejected, stats.completed), (4, 1, 2));
    }

    #[test]
    fn adaptive_lifo_serves_the_newest_only_while_congested() {
        let mut station = Station::new(1, UNBOUNDED).serve_newest_above(2);
        for id in 0..5 {
            station.arrive(ms(id), id);
        }
        // Waiting: 1, 2, 3, 4 (more than 2): the newest first, until two wait.
        let order: Vec<u64> = (0..4)
            .map(|k| station.complete(ms(10 + k)).unwrap().customer)
            .collect();
        assert_eq!(order, vec![4, 3, 1, 2]);
    }

    #[test]
    fn areas_integrate_exactly() {
        let mut station = Station::new(1, UNBOUNDED);
        station.arrive(ms(0), ()); // 1 in system from 0 to 10
        station.arrive(ms(10), ()); // 2 in system from 10 to 20
        station.complete(ms(20)); // 1 from 20 to 30
        station.complete(ms(30)); // 0 from 30 to 40
        let stats = station.stats_at(ms(40));
        assert_eq!(stats.area_in_system, 40 * 1_000_000);
        assert_eq!(stats.area_in_queue, 10 * 1_000_000);
        assert_eq!(stats.area_busy, 30 * 1_000_000);
        assert!((stats.mean_in_system() - 1.0).abs() < 1e-12);
    }

    proptest::proptest! {
        /// Customers are conserved: arrived = completed + rejected + in system, and the
        /// station never has more busy servers than it owns, whatever happens.
        #[test]
        fn customers_are_conserved(
            servers in 1u32..5,
            capacity in 0usize..6,
            arrivals in proptest::collection::vec(proptest::prelude::any::<bool>(), 0..200),
        ) {
            let mut station = Station::new(servers, capacity);
            for (i, arrive) in arrivals.into_iter().enumerate() {
                let now = ms(i as u64);
                if arrive || station.busy() == 0 {
                    let _ = station.arrive(now, i);
                } else {
                    let _ = station.complete(now);
                }
                let stats = station.stats_at(now);
                proptest::prop_assert_eq!(
                    stats.arrivals,
                    stats.completed + stats.rejected + station.in_system() as u64
                );
                proptest::prop_assert!(station.busy() <= servers);
                proptest::prop_assert!(station.queue_len() <= capacity);
            }
        }
    }

    #[test]
    fn reset_starts_a_fresh_window_but_keeps_customers() {
        let mut station = Station::new(1, UNBOUNDED);
        station.arrive(ms(0), ());
        station.reset_stats(ms(5));
        let stats = station.stats_at(ms(15));
        assert_eq!(stats.arrivals, 0);
        assert_eq!(stats.area_in_system, 10 * 1_000_000);
        assert_eq!(station.in_system(), 1);
    }
}

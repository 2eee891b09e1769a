//! The virtual clock and its pending events: the heart of every simulation loop.
//!
//! A model owns a [`Scheduler`] and runs a plain loop over it:
//!
//! 1. schedule the first events (`schedule_at` / `schedule_in`);
//! 2. `pop` the earliest event: the clock jumps to its time;
//! 3. handle it, scheduling follow-up events (never in the past);
//! 4. repeat until `pop` returns `None` or the model decides to stop.
//!
//! There is no callback registry and no boxing: the model matches on its own event
//! enum, so the loop costs little more than a hand-written one.
//!
//! ```
//! use rollsim::engine::{Scheduler, SimDuration, SimTime};
//! let mut sched = Scheduler::new();
//! sched.schedule_in(SimDuration::from_secs(2), "tick");
//! let (time, event) = sched.pop().unwrap();
//! assert_eq!((time, event), (SimTime::from_nanos(2_000_000_000), "tick"));
//! assert_eq!(sched.now(), time);
//! ```

use super::queue::EventQueue;
use super::time::{SimDuration, SimTime};

/// The clock plus the events waiting to happen.
#[derive(Clone, Default)]
pub struct Scheduler<E> {
    now: SimTime,
    queue: EventQueue<E>,
    events_handled: u64,
}

impl<E> Scheduler<E> {
    /// A clock at time zero with nothing pending.
    pub fn new() -> Self {
        Scheduler {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            events_handled: 0,
        }
    }

    /// The current virtual time: the time of the event being handled.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events popped so far.
    pub fn events_handled(&self) -> u64 {
        self.events_handled
    }

    /// Events waiting.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The time of the next event, if any.
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Schedules `event` at `time`.
    ///
    /// # Panics
    /// If `time` is before [`now`](Self::now): scheduling into the past is a model bug.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time} < now {}",
            self.now
        );
        self.queue.push(time, event);
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// Advances the clock to the earliest pending event and returns it.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (time, event) = self.queue.pop()?;
        self.now = time;
        self.events_handled += 1;
        Some((time, event))
    }

    /// Moves the clock forward to `time` with nothing happening (no event is pending
    /// before it), e.g. to act at a moment no event marks.
    ///
    /// # Panics
    /// If an event is pending before `time`: skipping it would lose it.
    pub fn advance_to(&mut self, time: SimTime) {
        assert!(
            self.queue.peek_time().is_none_or(|next| next >= time),
            "advancing past a pending event"
        );
        self.now = self.now.max(time);
    }

    /// Like [`pop`](Self::pop), but leaves events after `horizon` pending and returns `None`.
    #[inline]
    pub fn pop_until(&mut self, horizon: SimTime) -> Option<(SimTime, E)> {
        if self.queue.peek_time()? > horizon {
            return None;
        }
        self.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_follows_the_events() {
        let mut sched = Scheduler::new();
        sched.schedule_at(SimTime::from_nanos(5), 1);
        sched.schedule_in(SimDuration::from_nanos(2), 2);
        assert_eq!(sched.pop(), Some((SimTime::from_nanos(2), 2)));
        sched.schedule_in(SimDuration::from_nanos(10), 3);
        assert_eq!(sched.pop(), Some((SimTime::from_nanos(5), 1)));
        assert_eq!(sched.pop(), Some((SimTime::from_nanos(12), 3)));
        assert_eq!(sched.now(), SimTime::from_nanos(12));
        assert_eq!(sched.events_handled(), 3);
        assert_eq!(sched.pop(), None);
    }

    #[test]
    fn pop_until_stops_at_the_horizon() {
        let mut sched = Scheduler::new();
        sched.schedule_at(SimTime::from_nanos(5), ());
        sched.schedule_at(SimTime::from_nanos(15), ());
        assert!(sched.pop_until(SimTime::from_nanos(10)).is_some());
        assert!(sched.pop_until(SimTime::from_nanos(10)).is_none());
        assert_eq!(sched.pending(), 1);
    }

    #[test]
    #[should_panic(expected = "scheduled in the past")]
    fn scheduling_into_the_past_is_caught() {
        let mut sched = Scheduler::new();
        sched.schedule_at(SimTime::from_nanos(5), ());
        sched.pop();
        sched.schedule_at(SimTime::from_nanos(1), ());
    }
}

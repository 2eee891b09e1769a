//! The run's clock: real time since the run began, as the controller's [`SimTime`].
//!
//! The live model's times are already divided by the time scale (see
//! [`super::scale`]), so one second of the clock is one second of that model: the
//! controller, the load generator and the metrics all read time from here.

use crate::engine::SimTime;

/// Real time since an origin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: tokio::time::Instant,
}

impl Clock {
    /// A clock whose time zero is now.
    pub(crate) fn starting_now() -> Clock {
        Clock {
            origin: tokio::time::Instant::now(),
        }
    }

    /// The time now.
    pub(crate) fn now(&self) -> SimTime {
        SimTime::from_nanos(u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    /// The time now, to the millisecond (as fine as tokio's timers): the controller's
    /// time, so its notes read "t=20s2ms".
    pub(crate) fn now_ms(&self) -> SimTime {
        let millis = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        SimTime::from_nanos(millis.saturating_mul(1_000_000))
    }

    /// The instant at which the clock reads `at`.
    pub(crate) fn instant(&self, at: SimTime) -> tokio::time::Instant {
        self.origin + std::time::Duration::from_nanos(at.as_nanos())
    }
}

//! The run's clock: real time since the run began, as the controller's [`Instant`]
//! (to the millisecond) and as the [`SimTime`] of the live run's own bookkeeping (the
//! load generator's attempts and the fleet's samples, on the simulator's windows).
//!
//! The live model's times are already divided by the time scale (see
//! [`super::scale`]), so one second of the clock is one second of that model: the
//! controller, the load generator and the metrics all read time from here.

use crate::engine::SimTime;
use crate::rollout::Instant;

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
    pub(crate) fn now_ms(&self) -> Instant {
        let millis = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        Instant::from_millis(millis)
    }

    /// The instant at which the clock reads `at`.
    pub(crate) fn instant(&self, at: SimTime) -> tokio::time::Instant {
        self.origin + std::time::Duration::from_nanos(at.as_nanos())
    }
}

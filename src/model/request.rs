//! Requests in flight: a *call* is what a caller wants from a layer (one logical
//! request, across its retries); a *job* is one attempt being handled on one instance.
//!
//! # How a call moves
//! 1. An attempt is routed by the layer's balancer. No reachable instance, or a dead
//!    one: the attempt fails at once (`refused`). A full queue: `shed`.
//! 2. Otherwise a job waits for a worker, is served, then makes the calls its layer
//!    makes downstream (cache hits skip them) and waits for them all; it succeeds if
//!    they all succeed (`downstream` failure otherwise).
//! 3. The caller's timer fires at `timeout`: the attempt counts as `timeout` for the
//!    caller, who may retry; the job goes on and its result, when it comes, is ignored
//!    (the server did the work anyway, as real servers do).
//! 4. A failed attempt is retried after the backoff while retries and the retry budget
//!    last; otherwise the call fails with the last attempt's cause.
//!
//! Timers and completions are never removed from the event queue: a call or job that
//! has moved on is recognised by its generation ([`super::slab`]) and attempt number.

use crate::engine::{SimDuration, SimTime};

use super::ids::{InstanceId, LayerId};
use super::slab::Handle;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureCause {
    /// No reachable instance, or the instance is gone (connection refused, 503).
    Refused,
    /// The instance's queue was full (load shedding).
    Shed,
    /// The instance died while handling it (connection reset).
    Reset,
    /// The caller gave up waiting.
    Timeout,
    /// A call it made to a lower layer failed.
    Downstream,
    /// The instance answered with an error (a defective release: HTTP 500).
    Error,
}

impl FailureCause {
    /// Every cause, in report order.
    pub const ALL: [FailureCause; 6] = [
        FailureCause::Refused,
        FailureCause::Shed,
        FailureCause::Reset,
        FailureCause::Timeout,
        FailureCause::Downstream,
        FailureCause::Error,
    ];

    /// Index into per-cause counters.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The cause's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FailureCause::Refused => "refused",
            FailureCause::Shed => "shed",
            FailureCause::Reset => "reset",
            FailureCause::Timeout => "timeout",
            FailureCause::Downstream => "downstream",
            FailureCause::Error => "error",
        }
    }
}

/// Who made a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// An outside user (entry traffic or a herd).
    User,
    /// A job on an instance of a higher layer.
    Job { job: Handle, instance: InstanceId },
}

/// One logical request from a caller to a layer, across its attempts.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) layer: LayerId,
    pub(crate) caller: Caller,
    /// When the first attempt was made.
    pub(crate) issued_at: SimTime,
    /// Attempts made so far (the current one's number).
    pub(crate) attempts: u32,
    /// Whether the current attempt is still awaited (not failed, not backing off).
    pub(crate) awaiting: bool,
    /// The wait before the last retry (for decorrelated jitter).
    pub(crate) last_backoff: SimDuration,
    /// Each attempt costs twice the service (a reconnect: handshake plus request).
    pub(crate) reconnect: bool,
    /// The instance the current attempt went to, when its caller keeps count of its
    /// own outstanding requests (a client-side least-outstanding balancer).
    pub(crate) counted_on: Option<InstanceId>,
    /// Real calls it stands for: 1 at request level; in fast mode the sampling step,
    /// times each thinning on its way down (see `model::quiet`).
    pub(crate) weight: u32,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobStage {
    /// On its way to the instance (an added latency holds it).
    InTransit,
    /// Waiting for a worker.
    Queued,
    /// A worker is on it.
    Serving,
    /// Its worker waits for its downstream calls.
    Waiting,
}

/// Fast mode: the calls of one job whose outcomes thinned layers drew (see
/// `model::quiet`), over together when the longest is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DrawnBatch {
    pub(crate) job: Handle,
    pub(crate) latency: SimDuration,
    pub(crate) failed: bool,
    pub(crate) calls: u32,
}

/// One attempt on one instance.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) call: Handle,
    /// The call's attempt number this job answers.
    pub(crate) attempt: u32,
    pub(crate) layer: LayerId,
    pub(crate) instance: InstanceId,
    pub(crate) arrived_at: SimTime,
    pub(crate) stage: JobStage,
    /// Downstream calls not yet resolved.
    pub(crate) pending_calls: u32,
    /// Whether any downstream call failed.
    pub(crate) downstream_failed: bool,
    pub(crate) reconnect: bool,
    /// Whether its release's error and latency defects hit it.
    pub(crate) defect_hit: bool,
    /// Fast mode: load that makes a representative as busy as a real instance, with
    /// no caller (see `model::fast`); `call` is then meaningless.
    pub(crate) background: bool,
    /// Real requests it stands for: its call's weight (0 for a background job, which
    /// counts in no layer's totals).
    pub(crate) weight: u32,
}

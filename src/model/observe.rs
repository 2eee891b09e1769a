//! What the world records as it runs: totals per layer (for conservation checks and
//! the run summary) and a per-second time series per layer and per cluster (for
//! rollout metrics and plots), and the arithmetic of its one-second windows
//! ([`window_of`], [`windows_in`], [`window_start`], [`window_end`]).
//!
//! # Size
//! A window is a few counters plus a sparse latency histogram (only the buckets that
//! were hit). The entry layer's windows are [`Precision::Fine`] (within 0.1%: rollout,
//! SLO-minute and capacity quantiles are taken from them), about 2 bytes per distinct
//! latency, so they grow with the entry rate up to a few KB a second; every other
//! layer's and every cluster's windows are [`Precision::Window`] (within 3.1%, for plots
//! and the controller's per-version view), about 100–300 bytes a second whatever the
//! rate. Each layer's whole-run latency ([`super::summary::LayerSummary`]) is fine.
//! Totals are exact counters.
//!
//! [`Precision::Fine`]: crate::stats::histogram::Precision::Fine
//! [`Precision::Window`]: crate::stats::histogram::Precision::Window

use crate::engine::{SimDuration, SimTime};
use crate::stats::LatencyHistogram;

use super::instance::InstanceState;
use super::request::FailureCause;

/// Number of failure causes ([`FailureCause::ALL`]).
pub const CAUSES: usize = FailureCause::ALL.len();

/// Length of an observation window.
pub const WINDOW: SimDuration = SimDuration::from_secs(1);

/// Calls made to a layer, counted at the callers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Calls made (first attempts).
    pub issued: u64,
    /// Calls that succeeded (possibly after retries).
    pub succeeded: u64,
    /// Calls that failed, by the cause of their last attempt.
    pub failed: [u64; CAUSES],
    /// Calls not yet resolved.
    pub in_flight: u64,
    /// Retries made.
    pub retries: u64,
}

/// Attempts that reached a layer, counted at the layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttemptCounts {
    /// Attempts sent to the layer (including refused ones).
    pub arrived: u64,
    /// Attempts an instance completed with success.
    pub succeeded: u64,
    /// Attempts that failed at the layer, by cause (never `timeout`: that is the caller's view).
    pub failed: [u64; CAUSES],
    /// Attempts still on an instance.
    pub in_flight: u64,
}

impl CallCounts {
    /// All failed calls.
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }
}

impl AttemptCounts {
    /// All failed attempts.
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }
}

/// The first law of request conservation that one layer's running totals break, if
/// any: calls issued = succeeded + failed + in flight; attempts arrived = succeeded +
/// failed + in flight; every attempt is a first attempt or a retry. Flows (fast mode)
/// add and remove their weights on both sides, so the laws hold in both modes. The
/// world checks it at every window end in debug builds; `tests/world_conserves_requests`
/// checks it from outside.
pub(crate) fn conservation_broken(
    calls: &CallCounts,
    attempts: &AttemptCounts,
) -> Option<&'static str> {
    if calls.issued != calls.succeeded + calls.failed_total() + calls.in_flight {
        Some("calls: issued = succeeded + failed + in flight")
    } else if attempts.arrived != attempts.succeeded + attempts.failed_total() + attempts.in_flight
    {
        Some("attempts: arrived = succeeded + failed + in flight")
    } else if attempts.arrived != calls.issued + calls.retries {
        Some("attempts: arrived = issued + retries")
    } else {
        None
    }
}

/// One second of one layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerWindow {
    /// Calls made in the window.
    pub issued: u32,
    /// Calls that succeeded in the window.
    pub succeeded: u32,
    /// Calls that failed in the window, by cause.
    pub failed: [u32; CAUSES],
    /// Attempts that arrived in the window.
    pub attempts: u32,
    /// Calls in flight at the window's end.
    pub in_flight: u32,
    /// Instances by state at the window's end ([`InstanceState::ALL`] order; terminated is 0).
    pub instances: [u32; 6],
    /// Mean busy workers over the window.
    pub busy_workers: f32,
    /// Latency of the calls that succeeded in the window: fine for the entry layer,
    /// window precision for the others (see the module's Size).
    pub latency: LatencyHistogram,
}

/// One second of one cluster, counted at its instances.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterWindow {
    /// Attempts its instances took.
    pub attempts: u32,
    /// Attempts its instances completed with success.
    pub succeeded: u32,
    /// Attempts that failed on its instances, by cause (never `refused` or `timeout`:
    /// those happen before an instance, or at the caller).
    pub failed: [u32; CAUSES],
    /// Its live members by state at the window's end ([`InstanceState::ALL`] order;
    /// draining instances have left the cluster and are not counted).
    pub instances: [u32; 6],
    /// Time on an instance of the attempts it completed with success (queueing, service
    /// and the calls below): the server-side latency of this version.
    pub latency: LatencyHistogram,
}

impl ClusterWindow {
    /// All failed attempts.
    pub fn failed_total(&self) -> u32 {
        self.failed.iter().sum()
    }
}

/// The time series of one cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterSeries {
    /// Its layer's name.
    pub layer: String,
    /// The release it runs.
    pub version: u32,
    /// Index of its first window.
    pub first_window: u32,
    /// Its windows from then on.
    pub windows: Vec<ClusterWindow>,
}

/// One layer's windows, indexed by the second they cover: every second of the run so
/// far, or (under [`Retention::Recent`]) only the latest ones, the older ones dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerSeries {
    /// Index of the first window kept.
    first_kept: usize,
    /// The windows kept, from `first_kept` on.
    windows: Vec<LayerWindow>,
}

impl LayerSeries {
    /// A series of `windows` from second 0.
    pub fn whole(windows: Vec<LayerWindow>) -> LayerSeries {
        LayerSeries {
            first_kept: 0,
            windows,
        }
    }

    /// Windows elapsed (kept or not): the index the next window will have.
    pub fn len(&self) -> usize {
        self.first_kept + self.windows.len()
    }

    /// Whether no window has elapsed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first second whose window is still kept.
    pub fn first_kept(&self) -> usize {
        self.first_kept
    }

    /// The window of second `s`, if it has elapsed and is kept.
    pub fn get(&self, s: usize) -> Option<&LayerWindow> {
        s.checked_sub(self.first_kept)
            .and_then(|k| self.windows.get(k))
    }

    /// The kept windows, in order (every window unless some were dropped).
    pub fn iter(&self) -> std::slice::Iter<'_, LayerWindow> {
        self.windows.iter()
    }

    /// The last window.
    pub fn last(&self) -> Option<&LayerWindow> {
        self.windows.last()
    }

    pub(crate) fn push(&mut self, window: LayerWindow) {
        self.windows.push(window);
    }

    /// Drops the windows before second `from`.
    pub(crate) fn drop_before(&mut self, from: usize) {
        let k = from.saturating_sub(self.first_kept).min(self.windows.len());
        if k > 0 {
            self.windows.drain(..k);
            self.first_kept += k;
        }
    }
}

impl std::ops::Index<usize> for LayerSeries {
    type Output = LayerWindow;
    /// The window of second `s`; panics if it has not elapsed or was dropped.
    fn index(&self, s: usize) -> &LayerWindow {
        &self.windows[s - self.first_kept]
    }
}

impl std::ops::Index<std::ops::Range<usize>> for LayerSeries {
    type Output = [LayerWindow];
    /// The windows of seconds `range`; panics if one has not elapsed or was dropped.
    fn index(&self, range: std::ops::Range<usize>) -> &[LayerWindow] {
        &self.windows[range.start - self.first_kept..range.end - self.first_kept]
    }
}

impl<'a> IntoIterator for &'a LayerSeries {
    type Item = &'a LayerWindow;
    type IntoIter = std::slice::Iter<'a, LayerWindow>;
    fn into_iter(self) -> Self::IntoIter {
        self.windows.iter()
    }
}

/// How much of the per-second series a world keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Retention {
    /// Every window of every layer and cluster: what rollout metrics and plots read.
    #[default]
    Whole,
    /// The entry layer's every window (the SLO view, customer-visible failures), and
    /// of every other layer and cluster only the last this many: what controllers
    /// observe. For long runs of many services (a week of a release calendar), whose
    /// whole series would not fit in memory; their rollouts are measured from the
    /// world's totals and the entry layer's series, not per rollout.
    Recent(usize),
}

/// The per-second series of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observations {
    /// Per layer (in layer order), one entry per elapsed window.
    pub layers: Vec<LayerSeries>,
    /// Per cluster, in creation order.
    pub clusters: Vec<ClusterSeries>,
    /// How much is kept.
    pub retention: Retention,
}

impl Observations {
    /// Drops what [`Retention::Recent`] no longer keeps, as of `now_s` windows elapsed.
    pub(crate) fn trim(&mut self, now_s: usize) {
        let Retention::Recent(keep) = self.retention else {
            return;
        };
        let from = now_s.saturating_sub(keep);
        for layer in self.layers.iter_mut().skip(1) {
            layer.drop_before(from);
        }
        for cluster in &mut self.clusters {
            let k = from
                .saturating_sub(cluster.first_window as usize)
                .min(cluster.windows.len());
            if k > 0 {
                cluster.windows.drain(..k);
                cluster.first_window += k as u32;
            }
        }
    }

    /// Heap bytes held by the series (for reports and memory tests).
    pub fn memory_bytes(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .flat_map(LayerSeries::iter)
            .map(|w| std::mem::size_of::<LayerWindow>() + w.latency.memory_bytes())
            .sum();
        let clusters: usize = self
            .clusters
            .iter()
            .flat_map(|c| &c.windows)
            .map(|w| std::mem::size_of::<ClusterWindow>() + w.latency.memory_bytes())
            .sum();
        layers + clusters
    }
}

/// The window `t` falls in: its index from the start of the run ("which second is `t`
/// in"). Every per-second series, the rollout metrics of both drivers and the
/// controller's observations count windows with these four functions.
pub fn window_of(t: SimTime) -> usize {
    (t.as_nanos() / WINDOW.as_nanos()) as usize
}

/// Whole windows in `d` (rounded down).
pub fn windows_in(d: SimDuration) -> usize {
    (d.as_nanos() / WINDOW.as_nanos()) as usize
}

/// The start of window `index`.
pub fn window_start(index: usize) -> SimTime {
    SimTime::ZERO + WINDOW.saturating_mul(index as u64)
}

/// The end of window `index`: the start of the next.
pub fn window_end(index: usize) -> SimTime {
    window_start(index + 1)
}

/// Counters per state, in [`InstanceState::ALL`] order.
pub(crate) fn state_index(state: InstanceState) -> usize {
    state.index()
}

/// Adds one failed call or attempt to per-cause counters.
#[inline]
pub(crate) fn count_cause<T: std::ops::AddAssign + From<u8>>(
    counts: &mut [T; CAUSES],
    cause: FailureCause,
) {
    counts[cause.index()] += T::from(1);
}

/// Adds `n` failed calls or attempts (a sampled request standing for `n`) to per-cause
/// counters.
#[inline]
pub(crate) fn count_cause_n<T: std::ops::AddAssign>(
    counts: &mut [T; CAUSES],
    cause: FailureCause,
    n: T,
) {
    counts[cause.index()] += n;
}

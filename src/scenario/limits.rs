//! Upper bounds on everything a model may ask for, so a hostile or mistyped file
//! gets an error instead of exhausting memory or running for a year.

use crate::engine::SimDuration;

/// Layers in one model.
pub const MAX_LAYERS: usize = 64;
/// Instances in one layer (and an autoscaler's max).
pub const MAX_INSTANCES: u32 = 100_000;
/// Workers per instance.
pub const MAX_WORKERS: u32 = 10_000;
/// Waiting requests per instance.
pub const MAX_QUEUE_CAPACITY: u32 = 1_000_000;
/// Simulated time.
pub const MAX_DURATION: SimDuration = SimDuration::from_hours(24 * 366);
/// Arrival rate at the entry layer, per second, simulated (in fast mode, where one
/// simulated request stands for `m`, the real rate may be `m` times this).
pub const MAX_RATE_PER_SECOND: f64 = 1_000_000.0;
/// Expected outside requests over the whole run (rate × duration), simulated.
pub const MAX_TOTAL_REQUESTS: f64 = 2e10;
/// Calls to one layer per request served.
pub const MAX_CALL_COUNT: u32 = 100;
/// Retries per request.
pub const MAX_RETRIES: u32 = 100;
/// Entries in any list (rate points, bursts, herds, chaos events).
pub const MAX_LIST_LEN: usize = 10_000;
/// Clients in one herd.
pub const MAX_HERD_CLIENTS: u64 = 100_000_000;
/// A single timeout, boot time mean, warm-up or balancer interval.
pub const MAX_SETTING_DURATION: SimDuration = SimDuration::from_hours(24);

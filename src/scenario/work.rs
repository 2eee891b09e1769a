//! How much a model asks of the machine, estimated before anything runs: simulated
//! events (CPU time) and bytes held (memory), each split into the parts that drive
//! it, so a model whose run could not finish is refused with the part, the field
//! behind it and what to change — or run anyway with `--force`.
//!
//! # How the estimate is made
//! 1. **Requests through the call graph.** The entry rate (the peak of `traffic.rate`
//!    and `traffic.points`; a daily shape's mean, bursts and herds added) flows down
//!    every call, multiplied by its `count` (caches ignored: they start cold), so each
//!    layer gets its attempts per second. In fast mode every simulated request stands
//!    for [`Scenario::sampling_step`] real ones, so the simulated rate is divided by
//!    it (herds are not: conservatively counted one by one). Retries are not counted:
//!    the estimate is of a healthy run (a retry storm, as in `models/metastable.toml`,
//!    takes up to 1 + `retries` times as many events: 2.7× there).
//! 2. **Chaos.** Each kill costs a crash, a replacement's launch and boot, and a scan
//!    of its layer's serving instances; each zone outage kills its share of instances.
//! 3. **Instances × duration.** Every instance costs a little per simulated second
//!    (lifecycle, health checks, windows), whatever the mode; autoscalers count at
//!    their `max`, rollouts add their new cluster.
//! 4. **Memory.** The per-second series (one window per layer and per cluster per
//!    simulated second), instance records (one per instance ever launched, kills
//!    included), calls in flight (rate × timeout), and herds that arrive faster than
//!    their callers time out.
//!
//! The constants were measured on the reference machine (2 cores, release build;
//! `/usr/bin/time rollsim run`): see each one. The limits ([`MAX_WORK_EVENTS`],
//! [`MAX_MEMORY_BYTES`]) let every model shipped in `models/`, `experiments/` and the
//! tests run (a test checks that) and refuse the hostile ones of issue 16.

use std::collections::BTreeMap;
use std::fmt;

use super::document::{Scenario, THINNED_CALLS_PER_SECOND};
use super::layer::LayerSpec;
use super::locate::{Segment, dotted};

/// Engine events one attempt at a layer costs (arrival and completion; timers and
/// balancer picks folded in). Measured: `models/quickstart.toml` ≈ 1.5 events per
/// attempt, `models/api-300.toml` (fast) ≈ 2.
pub const EVENTS_PER_ATTEMPT: f64 = 2.0;
/// Engine events one Chaos Monkey kill costs besides the scan of its layer: the
/// crash, the replacement's launch, boot and registration, the balancer's updates.
/// Measured: 60 000 kills of a 4-instance layer in 0.11 s at ~9 M events/s ≈ 16.
pub const EVENTS_PER_KILL: f64 = 20.0;
/// Event-equivalents per instance scanned by a kill (the serving list is rebuilt).
pub const EVENTS_PER_INSTANCE_SCANNED: f64 = 0.05;
/// Event-equivalents one instance costs per simulated second. Measured: 100 000
/// instances for 10 simulated minutes in 2.6 s (2.3·10⁷ instance-seconds per second
/// of wall time, against ~3·10⁶ events per second) ≈ 0.13.
pub const EVENTS_PER_INSTANCE_SECOND: f64 = 0.15;
/// Events the engine runs per second of wall time on the reference machine: 2.7–9.9
/// M/s measured on the shipped models (`rollsim run` prints it); the low end is used
/// to turn events into time.
pub const EVENTS_PER_WALL_SECOND: f64 = 3.0e6;
/// Bytes of one one-second window of one layer or cluster. Measured: 305 bytes
/// (`models/quickstart.toml`, 4 series × 600 s in 0.7 MiB) to 310
/// (`models/netflix-scale.toml`, 9 series × 86 400 s in 229 MiB).
pub const BYTES_PER_WINDOW: f64 = 400.0;
/// Bytes of one instance record. Measured: 100 000 instances in 30 MB (≈ 300).
pub const BYTES_PER_INSTANCE: f64 = 400.0;
/// Bytes of one call in flight (call, attempt, timer). Measured: a herd of 10⁶ clients
/// at one instant holds 130 MB (≈ 130).
pub const BYTES_PER_CALL_IN_FLIGHT: f64 = 150.0;

/// Most simulated events a run may be estimated at: about 17 minutes at
/// [`EVENTS_PER_WALL_SECOND`], twice the biggest shipped model
/// (`models/netflix-scale.toml`, a real-size day in fast mode: 1.3·10⁹, measured
/// 82 s for the world alone).
pub const MAX_WORK_EVENTS: f64 = 3.0e9;
/// Most memory a run may be estimated to hold: 4 GiB.
pub const MAX_MEMORY_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// What a part of the estimate costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Simulated events (time).
    Events,
    /// Bytes held (memory).
    Memory,
}

/// One part of the estimate: how much, and the field that drives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Events or bytes.
    pub resource: Resource,
    /// How many events, or bytes.
    pub amount: f64,
    /// The model field behind it, as `--set` writes it (`layers.b.calls[0].count`).
    pub field: String,
    /// What the field does, e.g. "= 100: edge → b → c gives 1.0e8 requests/s at c".
    pub why: String,
    /// What to change to lower it.
    pub remedy: &'static str,
}

/// The estimate of one run of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkEstimate {
    /// Every part, events and memory.
    pub parts: Vec<Part>,
    /// Real requests per second (peak) at each layer, through the call graph.
    pub rate_per_second: BTreeMap<String, f64>,
    /// Real requests one simulated request stands for (1 at request level).
    pub sampling_step: u32,
}

impl WorkEstimate {
    /// Simulated events of the whole run.
    pub fn events(&self) -> f64 {
        self.total(Resource::Events)
    }

    /// Bytes held at the end of the run (the series grow to the end).
    pub fn memory_bytes(&self) -> f64 {
        self.total(Resource::Memory)
    }

    fn total(&self, resource: Resource) -> f64 {
        self.parts
            .iter()
            .filter(|p| p.resource == resource)
            .map(|p| p.amount)
            .sum()
    }

    /// The biggest part of `resource`.
    fn biggest(&self, resource: Resource) -> Option<&Part> {
        self.parts
            .iter()
            .filter(|p| p.resource == resource)
            .max_by(|a, b| a.amount.total_cmp(&b.amount))
    }

    /// One line for `check`: events, time at the reference speed, memory, limits.
    pub fn summary(&self) -> String {
        format!(
            "estimated work: {:.1e} simulated events (≈ {} at {:.0} M events/s), {} held{}; \
             limits {:.0e} events, {}",
            self.events(),
            wall_time(self.events()),
            EVENTS_PER_WALL_SECOND / 1e6,
            bytes(self.memory_bytes()),
            if self.sampling_step > 1 {
                format!(
                    " (fast mode: one simulated request for {})",
                    self.sampling_step
                )
            } else {
                String::new()
            },
            MAX_WORK_EVENTS,
            bytes(MAX_MEMORY_BYTES)
        )
    }

    /// `Err` with the reason if the estimate is over a limit.
    pub fn within_limits(&self) -> Result<(), String> {
        let over = |resource: Resource, total: f64, limit: f64, show: &dyn Fn(f64) -> String| {
            let part = self.biggest(resource)?;
            (total > limit).then(|| {
                let share = if part.amount < 0.99 * total {
                    format!("most of it ({}) from", show(part.amount))
                } else {
                    "driven by".to_string()
                };
                format!(
                    "the run is estimated at {}, more than the limit of {}; {share} {} {}; {}, \
                     or pass --force to run it anyway",
                    show(total),
                    show(limit),
                    part.field,
                    part.why,
                    part.remedy
                )
            })
        };
        let events = |e: f64| format!("{e:.1e} simulated events (≈ {})", wall_time(e));
        let memory = |b: f64| format!("{} of memory", bytes(b));
        match over(Resource::Events, self.events(), MAX_WORK_EVENTS, &events).or_else(|| {
            over(
                Resource::Memory,
                self.memory_bytes(),
                MAX_MEMORY_BYTES,
                &memory,
            )
        }) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }
}

impl fmt::Display for WorkEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// The work estimate of one run of `scenario` (checked: layers exist, no cycles).
pub fn estimate(scenario: &Scenario) -> WorkEstimate {
    let step = f64::from(scenario.sampling_step());
    let peak = peak_entry_rate(scenario);
    let rates = rates_through(&scenario.layers, &scenario.traffic.entry, peak);
    let per_request = attempts_per_request(&scenario.layers);
    let mut parts = Vec::new();
    request_parts(scenario, step, peak, &rates, &per_request, &mut parts);
    herd_parts(scenario, &per_request, &mut parts);
    in_flight_part(scenario, step, &rates, &mut parts);
    let killed = chaos_parts(scenario, &mut parts);
    fleet_parts(scenario, killed, &mut parts);
    series_part(scenario, &mut parts);
    WorkEstimate {
        parts,
        rate_per_second: rates,
        sampling_step: scenario.sampling_step(),
    }
}

/// The entry rate at its peak: the base rate or the highest point of its table.
fn peak_entry_rate(scenario: &Scenario) -> f64 {
    let traffic = &scenario.traffic;
    traffic
        .points
        .iter()
        .map(|p| p.rate.per_second())
        .fold(traffic.rate.per_second(), f64::max)
}

/// Events of the requests: the entry rate (the peak, or a daily shape's mean, plus
/// bursts) × attempts through every layer per entry request.
fn request_parts(
    scenario: &Scenario,
    step: f64,
    peak: f64,
    rates: &BTreeMap<String, f64>,
    per_request: &BTreeMap<String, f64>,
    parts: &mut Vec<Part>,
) {
    let traffic = &scenario.traffic;
    let seconds = scenario.duration.as_secs_f64();
    let mean_entry = match &traffic.shape {
        Some(shape) => peak * shape.weekend_factor.max(1.0) * (1.0 + shape.trough_ratio) / 2.0,
        None => peak,
    };
    let burst_requests: f64 = traffic
        .bursts
        .iter()
        .map(|b| peak * (b.factor - 1.0).max(0.0) * b.duration.as_secs_f64().min(seconds))
        .sum();
    let entry_requests = mean_entry * seconds + burst_requests;
    if let Some(per_entry) = per_request.get(&traffic.entry) {
        let (field, why) = request_driver(scenario, peak, rates);
        let thinned = step > 1.0 && scenario.fast_thinning && scenario.fast_quiet_busy() > 0.0;
        let events_per_entry_request = if thinned {
            let sampled = entry_requests / seconds.max(1e-9) / step;
            thinned_events_per_second(&scenario.layers, &traffic.entry, sampled)
                / sampled.max(1e-12)
        } else {
            per_entry * EVENTS_PER_ATTEMPT
        };
        parts.push(Part {
            resource: Resource::Events,
            amount: entry_requests * events_per_entry_request / step,
            field,
            why,
            remedy: "lower it (or the rate, the fan-out, the duration), or run in fast mode",
        });
    }
}

/// Events of each herd's attempts, and the memory of its calls held at once (clients
/// that arrive faster than their calls end).
fn herd_parts(scenario: &Scenario, per_request: &BTreeMap<String, f64>, parts: &mut Vec<Part>) {
    let traffic = &scenario.traffic;
    for (i, herd) in traffic.herds.iter().enumerate() {
        let layer = herd.layer.as_deref().unwrap_or(&traffic.entry);
        let through = per_request.get(layer).copied().unwrap_or(1.0);
        let path = format!("traffic.herds[{i}].clients");
        parts.push(Part {
            resource: Resource::Events,
            amount: herd.clients as f64 * through * EVENTS_PER_ATTEMPT,
            field: path.clone(),
            why: format!(
                "= {}: {:.1e} attempts through the layers below {layer}",
                herd.clients,
                herd.clients as f64 * through
            ),
            remedy: "use fewer clients",
        });
        let hold = scenario.layers.get(layer).map_or(1.0, |l| {
            l.client.timeout.as_secs_f64() * f64::from(l.client.retries + 1)
        });
        let spread = herd.spread.as_secs_f64();
        let at_once = herd.clients as f64 * (hold / spread.max(1e-9)).min(1.0);
        parts.push(Part {
            resource: Resource::Memory,
            amount: at_once * through * BYTES_PER_CALL_IN_FLIGHT,
            field: path,
            why: format!(
                "= {} over {} (spread): up to {at_once:.1e} calls held at once",
                herd.clients, herd.spread
            ),
            remedy: "use fewer clients or a longer spread",
        });
    }
}

/// Memory of the calls in flight: rate × the callers' timeout, at every layer.
fn in_flight_part(
    scenario: &Scenario,
    step: f64,
    rates: &BTreeMap<String, f64>,
    parts: &mut Vec<Part>,
) {
    let in_flight: f64 = rates
        .iter()
        .map(|(name, rate)| rate / step * scenario.layers[name].client.timeout.as_secs_f64())
        .sum();
    parts.push(Part {
        resource: Resource::Memory,
        amount: in_flight * BYTES_PER_CALL_IN_FLIGHT,
        field: "traffic.rate".into(),
        why: format!(
            "= {}: up to {in_flight:.1e} calls in flight",
            scenario.traffic.rate
        ),
        remedy: "lower the rate or the clients' timeouts",
    });
}

/// Events of Chaos Monkey's kills (each scans its layer); returns the instances chaos
/// kills or takes out over the run (each needs a replacement's record).
fn chaos_parts(scenario: &Scenario, parts: &mut Vec<Part>) -> f64 {
    let seconds = scenario.duration.as_secs_f64();
    let mut killed = 0.0;
    for (i, kill) in scenario.chaos.kills.iter().enumerate() {
        let size = scenario
            .layers
            .get(&kill.layer)
            .map_or(1.0, |l| f64::from(largest_size(l)));
        let kills = kill.rate.per_second() * seconds;
        killed += kills;
        parts.push(Part {
            resource: Resource::Events,
            amount: kills * (EVENTS_PER_KILL + size * EVENTS_PER_INSTANCE_SCANNED),
            field: format!("chaos.kills[{i}].rate"),
            why: format!(
                "= {}: {kills:.1e} kills over {}",
                kill.rate, scenario.duration
            ),
            remedy: "lower the kill rate",
        });
    }
    for outage in &scenario.chaos.zone_outages {
        let lost: f64 = scenario
            .layers
            .iter()
            .filter(|(name, _)| outage.layers.is_empty() || outage.layers.contains(name))
            .map(|(_, l)| f64::from(largest_size(l)) * outage.fraction)
            .sum();
        killed += lost;
    }
    killed
}

/// Events of instances × duration (a rolled layer counts twice per rollout), and the
/// memory of their records and of the `killed` replacements.
fn fleet_parts(scenario: &Scenario, killed: f64, parts: &mut Vec<Part>) {
    let seconds = scenario.duration.as_secs_f64();
    let mut instances = 0.0;
    let mut biggest = (String::new(), 0u32);
    for (name, layer) in &scenario.layers {
        let rolled = scenario
            .rollouts
            .iter()
            .filter(|r| r.layer == *name)
            .count() as f64;
        let size = largest_size(layer);
        instances += f64::from(size) * (1.0 + rolled);
        if size > biggest.1 {
            biggest = (name.clone(), size);
        }
    }
    let size_field = match scenario.layers.get(&biggest.0) {
        Some(l) if l.autoscaler.is_some() => format!("layers.{}.autoscaler.max", biggest.0),
        _ => format!("layers.{}.instances", biggest.0),
    };
    parts.push(Part {
        resource: Resource::Events,
        amount: instances * seconds * EVENTS_PER_INSTANCE_SECOND,
        field: size_field.clone(),
        why: format!(
            "= {} ({instances:.0} instances in all over {})",
            biggest.1, scenario.duration
        ),
        remedy: "use fewer instances or a shorter duration",
    });
    parts.push(Part {
        resource: Resource::Memory,
        amount: (instances + killed) * BYTES_PER_INSTANCE,
        field: if killed > instances && !scenario.chaos.kills.is_empty() {
            "chaos.kills".into()
        } else {
            size_field
        },
        why: format!("({instances:.0} instances and {killed:.1e} replacements, one record each)"),
        remedy: "use fewer instances or fewer kills",
    });
}

/// Memory of the per-second series: one window per layer and per cluster per second.
fn series_part(scenario: &Scenario, parts: &mut Vec<Part>) {
    let seconds = scenario.duration.as_secs_f64();
    let series = (2 * scenario.layers.len() + 2 * scenario.rollouts.len()) as f64;
    // A calendar's run keeps the entry layer's series whole and the others' recent past.
    let amount = match scenario.series_horizon() {
        None => series * seconds.ceil() * BYTES_PER_WINDOW,
        Some(keep) => {
            let kept = keep.as_secs_f64().min(seconds).ceil();
            let others = (2 * scenario.layers.len()) as f64 - 1.0;
            (seconds.ceil() + others * kept) * BYTES_PER_WINDOW
        }
    };
    parts.push(Part {
        resource: Resource::Memory,
        amount,
        field: "duration".into(),
        why: format!(
            "= {}: a per-second series of {series:.0} layers and clusters, {BYTES_PER_WINDOW:.0} \
             bytes each per simulated second",
            scenario.duration
        ),
        remedy: "shorten the duration (or split the run)",
    });
}

/// A layer's most instances: its autoscaler's max, or its starting size.
fn largest_size(layer: &LayerSpec) -> u32 {
    layer
        .autoscaler
        .as_ref()
        .map_or(layer.instances, |a| a.max.max(layer.instances))
}

/// For each layer: the attempts at it and every layer below for one request at it.
fn attempts_per_request(layers: &BTreeMap<String, LayerSpec>) -> BTreeMap<String, f64> {
    fn visit(
        name: &str,
        layers: &BTreeMap<String, LayerSpec>,
        memo: &mut BTreeMap<String, f64>,
        depth: usize,
    ) -> f64 {
        if let Some(v) = memo.get(name) {
            return *v;
        }
        let Some(layer) = layers.get(name) else {
            return 0.0;
        };
        // A cycle (refused by the checks) would recurse for ever: stop at any depth
        // beyond the number of layers.
        if depth > layers.len() {
            return f64::INFINITY;
        }
        let below: f64 = layer
            .calls
            .iter()
            .map(|c| f64::from(c.count) * visit(&c.layer, layers, memo, depth + 1))
            .sum();
        memo.insert(name.to_string(), 1.0 + below);
        1.0 + below
    }
    let mut memo = BTreeMap::new();
    for name in layers.keys() {
        visit(name, layers, &mut memo, 0);
    }
    memo
}

/// Events per second of a fast run whose layers are all quiet (see `model::quiet`):
/// `sampled` requests per second at the entry; a layer below that is offered `d`
/// sampled calls per second makes about [`THINNED_CALLS_PER_SECOND`] of them (`d` if
/// fewer) at [`EVENTS_PER_ATTEMPT`] each, and draws the outcome of the rest at one
/// event each. Rollouts, defects and loads past `fast_quiet_busy` make every call of
/// the layers above them while they last: not counted.
fn thinned_events_per_second(
    layers: &BTreeMap<String, LayerSpec>,
    entry: &str,
    sampled: f64,
) -> f64 {
    // Kahn's order over the call graph (acyclic: the checks refuse cycles).
    let mut callers: BTreeMap<&str, usize> = layers.keys().map(|k| (k.as_str(), 0)).collect();
    for layer in layers.values() {
        for call in &layer.calls {
            if let Some(n) = callers.get_mut(call.layer.as_str()) {
                *n += 1;
            }
        }
    }
    let mut ready: Vec<&str> = callers
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| *k)
        .collect();
    let mut offered: BTreeMap<&str, f64> = BTreeMap::new();
    offered.insert(entry, sampled);
    let mut events = 0.0;
    while let Some(name) = ready.pop() {
        let d = offered.get(name).copied().unwrap_or(0.0);
        let made = if name == entry || d < 2.0 * THINNED_CALLS_PER_SECOND {
            d
        } else {
            d / (d / THINNED_CALLS_PER_SECOND).floor()
        };
        events += made * EVENTS_PER_ATTEMPT + (d - made);
        for call in &layers[name].calls {
            *offered.entry(call.layer.as_str()).or_default() += made * f64::from(call.count);
            if let Some(n) = callers.get_mut(call.layer.as_str()) {
                *n -= 1;
                if *n == 0 {
                    ready.push(call.layer.as_str());
                }
            }
        }
    }
    events
}

/// Requests per second at each layer for `rate` at `entry`, through the calls.
fn rates_through(
    layers: &BTreeMap<String, LayerSpec>,
    entry: &str,
    rate: f64,
) -> BTreeMap<String, f64> {
    let mut rates: BTreeMap<String, f64> = layers.keys().map(|k| (k.clone(), 0.0)).collect();
    // Paths from the entry, breadth first; a layer reached by several paths sums them.
    // The graph has no cycles and at most 64 layers; a frontier is bounded by them.
    let mut frontier = vec![(entry.to_string(), rate)];
    let mut rounds = 0;
    while !frontier.is_empty() && rounds <= layers.len() {
        let mut next: BTreeMap<String, f64> = BTreeMap::new();
        for (name, r) in frontier {
            let Some(layer) = layers.get(&name) else {
                continue;
            };
            *rates.entry(name.clone()).or_default() += r;
            for call in &layer.calls {
                *next.entry(call.layer.clone()).or_default() += r * f64::from(call.count);
            }
        }
        frontier = next.into_iter().collect();
        rounds += 1;
    }
    rates
}

/// The field that drives the requests: the biggest `count` on the path to the busiest
/// layer, or the entry rate.
fn request_driver(
    scenario: &Scenario,
    peak: f64,
    rates: &BTreeMap<String, f64>,
) -> (String, String) {
    let entry = &scenario.traffic.entry;
    let Some((busiest, busiest_rate)) = rates
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, v)| (k.clone(), *v))
    else {
        return ("traffic.rate".into(), String::new());
    };
    // Walk back from the busiest layer through the caller that sends it most.
    let mut path = vec![busiest.clone()];
    let mut strongest: Option<(u32, Vec<Segment>)> = None;
    let mut current = busiest.clone();
    while current != *entry && path.len() <= scenario.layers.len() {
        let caller = scenario
            .layers
            .iter()
            .flat_map(|(name, layer)| {
                layer
                    .calls
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.layer == current)
                    .map(move |(i, c)| (name, i, c.count))
            })
            .max_by(|a, b| (rates[a.0] * f64::from(a.2)).total_cmp(&(rates[b.0] * f64::from(b.2))));
        let Some((name, i, count)) = caller else {
            break;
        };
        if strongest.as_ref().is_none_or(|(c, _)| count > *c) {
            strongest = Some((
                count,
                vec![
                    Segment::Key("layers".into()),
                    Segment::Key(name.clone()),
                    Segment::Key("calls".into()),
                    Segment::Index(i),
                    Segment::Key("count".into()),
                ],
            ));
        }
        current = name.clone();
        path.push(current.clone());
    }
    path.reverse();
    let fan_out = busiest_rate / peak.max(f64::MIN_POSITIVE);
    match strongest {
        Some((count, field)) if fan_out >= 10.0 => (
            dotted(&field),
            format!(
                "= {count}: {} gives {busiest_rate:.1e} requests/s at layer {busiest} (×{fan_out:.0} \
                 the entry rate) over {}",
                path.join(" → "),
                scenario.duration
            ),
        ),
        _ => (
            "traffic.rate".into(),
            format!(
                "= {} with {busiest_rate:.1e} requests/s at layer {busiest} over {}",
                scenario.traffic.rate, scenario.duration
            ),
        ),
    }
}

/// `1.2 h`, `3 min`, `4 days` for a number of events at the reference speed.
fn wall_time(events: f64) -> String {
    let seconds = events / EVENTS_PER_WALL_SECOND;
    if seconds < 1.0 {
        format!("{seconds:.1} s")
    } else if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 2.0 * 86400.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else if seconds < 1000.0 * 86400.0 {
        format!("{:.1} days", seconds / 86400.0)
    } else {
        format!("{:.1e} days", seconds / 86400.0)
    }
}

fn bytes(b: f64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if b < 1024.0 * MIB {
        format!("{:.0} MiB", b / MIB)
    } else {
        format!("{:.1} GiB", b / (1024.0 * MIB))
    }
}

//! Engine speed: the M/M/c model of the issue (c = 16, ρ = 0.9, 1 M customers) on the
//! rollsim engine, against a yardstick: the plainest correct hand-written loop of the
//! same model (f64 time, std `BinaryHeap`, a `VecDeque` queue, no abstractions).
//!
//! Both draw from the same generator (ChaCha8) and the same exponential sampler, so
//! the difference is the engine's. Throughput is in events: an arrival and a
//! departure are one event each, 2 M per run.
//!
//! A second group, `event_queue_hold`, measures one pop + one push ("hold") at
//! 16 … 1 M pending events, rollsim's 4-ary heap against std's `BinaryHeap`.
//!
//! Run: `cargo bench --bench engine`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;
use rand_distr::{Distribution, Exp1};
use rollsim::engine::{DurationDist, EventQueue, Rate, RngStreams, SimDuration, SimTime};
use rollsim::queueing::{PoissonStation, UNBOUNDED, simulate};

const SERVERS: u32 = 16;
const RHO: f64 = 0.9;
const CUSTOMERS: u64 = 1_000_000;
const MEAN_SERVICE_SECS: f64 = 0.010;

fn engine_model() -> PoissonStation {
    PoissonStation {
        name: "bench".into(),
        servers: SERVERS,
        arrival_rate: Rate::per_second_checked(RHO * SERVERS as f64 / MEAN_SERVICE_SECS).unwrap(),
        service: DurationDist::exponential(SimDuration::from_secs_f64(MEAN_SERVICE_SECS)).unwrap(),
        queue_capacity: UNBOUNDED,
        customers: CUSTOMERS,
        warmup_customers: CUSTOMERS / 20,
        batches: 30,
    }
}

/// An event of the yardstick: f64 time, earliest first.
struct YardstickEvent {
    time: f64,
    /// `None` for an arrival, the arrival time for a departure.
    departure_of: Option<f64>,
}

impl PartialEq for YardstickEvent {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time
    }
}
impl Eq for YardstickEvent {}
impl PartialOrd for YardstickEvent {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for YardstickEvent {
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.total_cmp(&self.time) // reversed: BinaryHeap is a max-heap
    }
}

/// The plainest correct M/M/c loop; returns (mean wait, mean sojourn, events).
fn yardstick(seed: u64) -> (f64, f64, u64) {
    let streams = RngStreams::new(seed);
    let mut arrival_rng = streams.stream("bench/arrivals");
    let mut service_rng = streams.stream("bench/service");
    let mean_interarrival = MEAN_SERVICE_SECS / (RHO * SERVERS as f64);
    let exp = |rng: &mut rollsim::engine::SimRng, mean: f64| -> f64 {
        let unit: f64 = Exp1.sample(rng);
        unit * mean
    };
    let mut heap = BinaryHeap::new();
    let mut queue: VecDeque<f64> = VecDeque::new();
    let (mut busy, mut arrivals, mut events) = (0u32, 0u64, 0u64);
    let (mut wait_sum, mut sojourn_sum, mut departures) = (0.0, 0.0, 0u64);
    heap.push(YardstickEvent {
        time: exp(&mut arrival_rng, mean_interarrival),
        departure_of: None,
    });
    while let Some(event) = heap.pop() {
        events += 1;
        let now = event.time;
        match event.departure_of {
            None => {
                arrivals += 1;
                if arrivals < CUSTOMERS {
                    let next = now + exp(&mut arrival_rng, mean_interarrival);
                    heap.push(YardstickEvent {
                        time: next,
                        departure_of: None,
                    });
                }
                if busy < SERVERS {
                    busy += 1;
                    let done = now + exp(&mut service_rng, MEAN_SERVICE_SECS);
                    heap.push(YardstickEvent {
                        time: done,
                        departure_of: Some(now),
                    });
                } else {
                    queue.push_back(now);
                }
            }
            Some(arrived) => {
                sojourn_sum += now - arrived;
                departures += 1;
                match queue.pop_front() {
                    Some(queued_at) => {
                        wait_sum += now - queued_at;
                        let done = now + exp(&mut service_rng, MEAN_SERVICE_SECS);
                        heap.push(YardstickEvent {
                            time: done,
                            departure_of: Some(queued_at),
                        });
                    }
                    None => busy -= 1,
                }
            }
        }
    }
    (
        wait_sum / departures as f64,
        sojourn_sum / departures as f64,
        events,
    )
}

fn mmc(c: &mut Criterion) {
    let mut group = c.benchmark_group("mmc_c16_rho0.9_1M_customers");
    group.throughput(Throughput::Elements(2 * CUSTOMERS));
    group.sample_size(20);
    let model = engine_model();
    group.bench_function("rollsim_engine", |b| {
        b.iter(|| {
            let report = simulate(black_box(&model), 1);
            assert_eq!(report.events, 2 * CUSTOMERS);
            black_box(report)
        })
    });
    group.bench_function("yardstick_binaryheap_f64", |b| {
        b.iter(|| {
            let result = yardstick(black_box(1));
            assert_eq!(result.2, 2 * CUSTOMERS);
            black_box(result)
        })
    });
    group.finish();
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue_hold");
    group.throughput(Throughput::Elements(1));
    for pending in [16usize, 10_000, 100_000, 1_000_000] {
        let mut rng = RngStreams::new(3).stream("hold");
        let mut increments = move || 1 + (rng.next_u64() % 2_000_000);
        let mut queue = EventQueue::with_capacity(pending + 1);
        let mut heap: BinaryHeap<std::cmp::Reverse<(u64, u64)>> =
            BinaryHeap::with_capacity(pending + 1);
        for i in 0..pending as u64 {
            let t = increments();
            queue.push(SimTime::from_nanos(t), i);
            heap.push(std::cmp::Reverse((t, i)));
        }
        group.bench_with_input(
            BenchmarkId::new("rollsim_4ary", pending),
            &pending,
            |b, _| {
                b.iter(|| {
                    let (time, id) = queue.pop().unwrap();
                    queue.push(time + SimDuration::from_nanos(increments()), id);
                })
            },
        );
        let mut sequence = pending as u64;
        group.bench_with_input(
            BenchmarkId::new("std_binaryheap", pending),
            &pending,
            |b, _| {
                b.iter(|| {
                    let std::cmp::Reverse((time, _)) = heap.pop().unwrap();
                    sequence += 1;
                    heap.push(std::cmp::Reverse((time + increments(), sequence)));
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, mmc, hold);
criterion_main!(benches);

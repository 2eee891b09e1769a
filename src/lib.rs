//! rollsim: a discrete-event simulator and capacity planner for software rollouts.
//!
//! It rehearses red/black, rolling and canary rollouts on a simulated fleet (layers of
//! instances behind load balancers, clients with retries, herd traffic, chaos) against
//! a virtual clock, and answers how much extra capacity a strategy needs, how long the
//! traffic switch really takes, and how safely a bad release is rolled back.
//!
//! # Layers, and which way they depend
//! - [`engine`]: virtual time, the event queue, seeded random streams, distributions.
//! - [`stats`]: batch means, confidence intervals, special functions, latency histograms.
//! - [`queueing`]: the queueing station instances are built from, and its theory.
//! - [`validate`]: the engine held against Erlang C and Pollaczek–Khinchine.
//! - [`scenario`]: the model file format, its defaults and checks.
//! - [`model`]: the simulated world (instances, clusters, balancers, clients, traffic, chaos).
//! - [`rollout`]: the rollout controller (strategies, analysis), behind its own interface.
//! - [`rehearsal`]: the controller driven against the world, and the rollout metrics.
//! - [`report`]: summaries and rollout reports as text and JSON.
//! - [`live`]: the controller against real processes behind HAProxy, and the simulator
//!   held against it.
//! - [`cli`]: the command line, on top of everything.

pub mod cli;
pub mod engine;
pub mod import;
#[cfg(feature = "live")]
pub mod live;
pub mod model;
pub mod plan;
pub mod queueing;
pub mod rehearsal;
pub mod report;
pub mod rollout;
pub mod scenario;
pub mod stats;
pub mod validate;

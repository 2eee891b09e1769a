//! rollsim: a discrete-event simulator and capacity planner for software rollouts.
//!
//! It rehearses red/black, rolling and canary rollouts on a simulated fleet (layers of
//! instances behind load balancers, clients with retries, herd traffic, chaos) against
//! a virtual clock, and answers how much extra capacity a strategy needs, how long the
//! traffic switch really takes, and how safely a bad release is rolled back.
//!
//! # Layers, and which way they depend
//! Each module uses only those listed above it, with two exceptions: the engine's
//! distributions borrow [`stats::special`]'s functions (and `stats` the engine's time),
//! and `scenario` returns the crate's [`Error`] (whose bad-input kind is the scenario's
//! own error).
//! - [`engine`]: virtual time, the event queue, seeded random streams, distributions.
//! - [`stats`]: one mean with its 95% interval, batch means, special functions, latency
//!   histograms.
//! - [`queueing`]: the queueing station instances are built from, and its theory.
//! - [`validate`]: the engine held against Erlang C and Pollaczek–Khinchine.
//! - [`scenario`]: the model file format, its defaults and checks.
//! - [`error`]: the crate's error, by kind (bad input, a failure at run time, an
//!   interruption, a failed check); the kind decides the exit code.
//! - [`generate`]: model files generated from a few parameters (a graph of services,
//!   its fleets sized for the load), checked as the scenario checks any file.
//! - [`import`]: rollouts of deploy tools (Argo, Flagger, Kubernetes, Spinnaker, Asgard)
//!   as the model file's rollouts.
//! - [`model`]: the simulated world (instances, clusters, balancers, clients, traffic,
//!   chaos) and its one-second observation windows.
//! - [`rollout`]: the rollout controller (strategies, analysis), behind its own interface.
//! - [`metrics`]: the rollout metrics (DESIGN.md §2), what drivers measure to make them,
//!   and their JSON.
//! - [`rehearsal`]: the controller driven against the world, and the metrics measured
//!   there against a run without the rollout.
//! - [`live`]: the controller against real processes behind HAProxy, and the metrics
//!   measured there.
//! - [`plan`]: comparisons, sweeps, fleet sizing and advice, from many rehearsals.
//! - [`report`]: summaries, rollout reports, comparisons and plans as text, JSON and
//!   figures; a live run beside the simulator's.
//! - [`cli`]: the command line, on top of everything.

pub mod cli;
pub mod engine;
pub mod error;
pub mod generate;
pub mod import;
#[cfg(feature = "live")]
pub mod live;
pub mod metrics;
pub mod model;
pub mod plan;
pub mod queueing;
pub mod rehearsal;
pub mod report;
pub mod rollout;
pub mod scenario;
pub mod stats;
pub mod validate;

pub use error::Error;

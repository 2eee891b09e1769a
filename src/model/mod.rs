//! The simulated world: layers of instances behind balancers, clients that time out
//! and retry, traffic with daily shape, bursts and herds, and chaos.
//!
//! # Pieces, one file each
//! - [`world`]: the [`World`] itself, its events and the run loop; [`layer`] and
//!   [`balancer`] hold a layer's compiled settings and running totals.
//! - [`flow`]: calls, attempts and jobs moving through layers ([`request`] tells the story).
//! - [`routing`]: how a balancer (ELB or discovery) picks an instance.
//! - [`lifecycle`]: instances launching, booting, registering, draining, crashing;
//!   clusters keeping their size ([`instance`], [`cluster`] hold the records).
//! - [`autoscaler`]: target tracking on utilisation.
//! - [`release`]: how each version behaves (healthy, or with defects).
//! - [`client`]: backoff, jitter and retry budgets.
//! - [`traffic`]: the entry rate over time; [`herd`]: clients calling together.
//! - [`chaos`]: Chaos Monkey kills and zone outages; [`impairment`]: CPU cuts,
//!   slowdowns, added latency and blackholes that take capacity without killing.
//! - [`observe`] and [`summary`]: what the run records and how it is condensed.
//! - [`slab`] and [`ids`]: the arenas that keep events small.
//! - [`fast`]: the fast mode, where big clusters are simulated through a few
//!   representatives and every sampled request stands for several; [`quiet`]: its
//!   clusters with nothing changing, whose queue waits come from queueing theory.
//!
//! The world knows nothing of rollouts; a rollout controller drives it through the
//! cluster operations in [`control`].

mod autoscaler;
mod balancer;
mod chaos;
pub(crate) mod client;
mod cluster;
pub mod control;
pub mod fast;
mod flow;
mod herd;
mod ids;
mod impairment;
mod instance;
mod layer;
mod lifecycle;
mod noise;
pub mod observe;
pub(crate) mod quiet;
pub(crate) mod release;
mod request;
mod routing;
mod slab;
pub mod summary;
pub mod traffic;
mod world;

pub use ids::{ClusterId, InstanceId, LayerId};
pub use instance::InstanceState;
pub use request::FailureCause;
pub use summary::{Footprint, LayerSummary, QueueingFigures, WorldSummary};
pub use world::World;

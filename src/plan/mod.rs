//! Turning single runs into answers: Monte Carlo comparison of strategies with common
//! random numbers and confidence intervals ([`compare`]), sweeps over grids of overrides
//! ([`sweep`]) and their summaries ([`summary`]), fleet sizing by simulation
//! ([`capacity`]), advice on how to roll ([`recommend`]) and when ([`windows`]), and a
//! study's claims checked against its sweep's results ([`claims`]).

pub mod canary;
pub mod capacity;
pub mod claims;
pub mod compare;
pub(crate) mod fingerprint;
pub mod recommend;
pub(crate) mod results;
pub mod summary;
pub mod sweep;
pub mod windows;

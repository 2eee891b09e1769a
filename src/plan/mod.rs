//! Turning single runs into answers: Monte Carlo comparison of strategies with common
//! random numbers and confidence intervals ([`compare`]), sweeps over grids of overrides
//! ([`sweep`]), fleet sizing by simulation ([`capacity`]), advice on how to roll
//! ([`recommend`]) and when ([`windows`]).

pub mod canary;
pub mod capacity;
pub mod compare;
pub(crate) mod fingerprint;
pub mod recommend;
pub(crate) mod results;
pub mod summary;
pub mod sweep;
pub mod windows;

//! Turning single runs into answers: Monte Carlo comparison of strategies with common
//! random numbers and confidence intervals ([`compare`]), sweeps over grids of overrides
//! ([`sweep`]), and fleet sizing by simulation ([`capacity`]).

pub mod capacity;
pub mod compare;
pub mod recommend;
pub mod sweep;

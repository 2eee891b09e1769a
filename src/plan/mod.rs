//! Turning single runs into answers: Monte Carlo comparison of strategies with common
//! random numbers and confidence intervals ([`compare`]).

pub mod compare;
pub mod sweep;

//! Live mode: the very controller the simulator drives, run against real instance
//! processes behind a real HAProxy on loopback, with real requests; and the simulator
//! held against what it measured.
//!
//! # How a live run goes
//! 1. [`scale`]: the model's layer is made playable alone, with infrastructure and
//!    rollout times divided by the time scale K (request times kept).
//! 2. [`processes`]: a supervisor owns every child process and the run's directory,
//!    and leaves nothing behind on success, error or Ctrl-C.
//! 3. [`haproxy`]: HAProxy starts with a generated configuration and is then driven
//!    only through its Runtime API.
//! 4. [`fleet`]: instance processes ([`instance`], `rollsim instance`) per version,
//!    added to and taken out of HAProxy as the controller commands.
//! 5. [`load`]: open-loop traffic with the model client's timeouts and retries,
//!    counting every attempt and request per second in a [`tally`] (memory grows with
//!    the run's seconds, not its requests); [`clock`] is the run's time.
//! 6. [`driver`]: the tokio loop that observes, asks the controller and applies its
//!    commands, as [`crate::rehearsal::driver`] does in the simulator.
//! 7. [`metrics`]: the rollout report's metrics ([`crate::metrics`]) from the real
//!    requests' tally. `--vs-sim` sets the same model, simulated, beside them
//!    (`report::versus`, on the model of [`scale::LiveModel::ending_at`]).
//!
//! It depends on the engine, the scenario, the model's pieces it shares with the
//! simulator (releases, clients, traffic curves, windows), the controller and the
//! metrics; never on the simulator's driver (`rehearsal`) or on what sits above.

pub(crate) mod clock;
pub(crate) mod driver;
pub(crate) mod fleet;
pub(crate) mod haproxy;
pub mod instance;
pub(crate) mod load;
pub(crate) mod metrics;
pub(crate) mod processes;
pub(crate) mod scale;
pub(crate) mod tally;

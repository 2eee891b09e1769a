//! `rollsim live MODEL [--strategy S] [--time-scale K] [--layer NAME] [--vs-sim]`: one
//! layer's rollout for real, on loopback: instance processes behind HAProxy, real
//! traffic, the controller the simulator drives; the same rollout report as `run`,
//! measured from the requests. With `--vs-sim`, the simulator's runs of the same
//! scaled model beside it.
//!
//! Every process and the run's directory are gone when it returns: after the run,
//! after an error, and after Ctrl-C (SIGINT), SIGTERM or SIGHUP (exit code 130).

use std::path::PathBuf;

use clap::Args;

use crate::Error;
use crate::engine::SimTime;
use crate::live::{driver, metrics, processes::Supervisor, scale};
use crate::metrics::Slo;
use crate::report::rollout::{clock, render_text};
use crate::report::versus;
use crate::scenario::rollout::Strategy;

#[derive(Debug, Args)]
pub(crate) struct LiveArgs {
    /// The model file (TOML); `models/live.toml` is made for live mode.
    model: PathBuf,
    /// Roll out with this strategy instead of the model's.
    #[arg(long)]
    strategy: Option<Strategy>,
    /// Divide the model's infrastructure and rollout times by K (request times stay).
    #[arg(long, value_name = "K", default_value_t = 60.0)]
    time_scale: f64,
    /// The layer to roll (default: the layer of the model's only rollout).
    #[arg(long, value_name = "NAME")]
    layer: Option<String>,
    /// Also simulate the same scaled model and print both side by side.
    #[arg(long)]
    vs_sim: bool,
    /// Simulated runs behind `--vs-sim`'s intervals.
    #[arg(long, value_name = "N", default_value_t = 10)]
    sim_runs: usize,
    /// Seed of the traffic, launch and instance streams (default: the model's `seed`).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Change a field of the model (repeatable), as for `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<crate::scenario::overrides::Override>,
}

enum Ending {
    Finished(Box<Result<driver::LiveRun, Error>>),
    Interrupted(&'static str),
}

pub(crate) fn run(args: &LiveArgs) -> Result<(), Error> {
    let (mut model, _) = super::model_source::load(
        Some(&args.model),
        &args.sets,
        &super::model_source::RolloutFile::default(),
        args.strategy,
    )?;
    if let Some(seed) = args.seed {
        model.seed = seed;
    }
    if !(1..=1000).contains(&args.sim_runs) {
        return Err(Error::BadInput(format!(
            "--sim-runs {}: must be 1 to 1000",
            args.sim_runs
        )));
    }
    let live = scale::live_model(&model, args.layer.as_deref(), args.time_scale)?;
    eprintln!(
        "live: {} of {} on loopback, model times ÷ {}",
        live.layer, model.name, args.time_scale
    );
    for note in &live.notes {
        eprintln!("live: {note}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let ending = runtime.block_on(async {
        let signals = Signals::new()?;
        let mut supervisor = Supervisor::new()?;
        eprintln!("live: run directory {}", supervisor.dir().display());
        let mut log = |at: SimTime, note: &str| eprintln!("  {}  {note}", clock(at));
        let ending = tokio::select! {
            result = driver::drive(&live, &mut supervisor, &mut log) => Ending::Finished(Box::new(result)),
            name = signals.any() => Ending::Interrupted(name),
        };
        supervisor.shutdown().await;
        Ok::<_, Error>(ending)
    })?;
    let run = match ending {
        Ending::Interrupted(name) => {
            return Err(Error::Interrupted(format!(
                "interrupted by {name}: every process stopped, the run's files removed"
            )));
        }
        Ending::Finished(result) => (*result)?,
    };
    let defective = live
        .scenario
        .rollouts
        .first()
        .is_some_and(|r| !r.release.is_healthy());
    let measured = metrics::live_metrics(&run, Slo::of(&live.scenario), defective);
    println!(
        "Live run of {} ({}), model times ÷ {}: {} requests, {} attempts through HAProxy on {}; \
         ended at {}",
        live.layer,
        model.name,
        args.time_scale,
        run.load.requests(),
        run.load.attempts(),
        run.frontend,
        clock(run.end),
    );
    if let Some((late, unsent)) = run.load.behind() {
        eprintln!(
            "live: the load generator could not keep up with the model's rate on this \
             machine: {late} requests sent more than 100 ms late, {unsent} never sent \
             before the run's end; the traffic measured is less than the model's (lower \
             the rate, or raise --time-scale)"
        );
    }
    println!();
    print!("{}", render_text(&run.record, &measured));
    if args.vs_sim {
        let sim = live.ending_at(run.end.as_secs_f64());
        let rows = versus::versus(&sim, &measured, args.sim_runs);
        println!();
        println!(
            "Live against the simulator (the same scaled model, {} s, seeds {}…):",
            sim.duration.as_secs_f64(),
            sim.seed
        );
        print!("{}", versus::render(&rows, args.sim_runs.max(2)));
    }
    Ok(())
}

/// SIGINT, SIGTERM and SIGHUP, listened for before any process starts.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, Error> {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| {
            signal(kind).map_err(|e| Error::Failed(format!("cannot listen for signals: {e}")))
        };
        Ok(Signals {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    /// The name of the first signal that arrives.
    async fn any(mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.hangup.recv() => "SIGHUP",
        }
    }
}

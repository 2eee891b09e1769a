//! The command line: parses arguments (clap) and hands each command to its module.
//! Thin on purpose: every command is a call into the library plus printing.
//!
//! Exit codes, by the kind of the command's [`Error`]: 0 success; 2 bad input (what
//! the user must fix: a model, an argument, a file); 1 a failure at run time (writing
//! results, HAProxy or a process in live mode, a sweep's worker) or a check that ran
//! and failed (`validate`); 130 interrupted (Ctrl-C). Errors are printed as `error:
//! MESSAGE`; an interruption says what it stopped and what was kept.

mod check;
mod compare;
mod generate;
mod html;
mod import;
#[cfg(feature = "live")]
mod instance;
mod interrupt;
#[cfg(feature = "live")]
mod live;
mod lock;
mod model_source;
mod plan;
mod plan_canary;
mod progress;
mod queue;
mod run;
mod sweep;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::Error;

/// rollsim: rehearse software rollouts (red/black, rolling, canary) on a simulated fleet.
///
/// With no command, runs the main job: `compare` of red/black against rolling on the
/// built-in default model (netflix-2011).
#[derive(Debug, Parser)]
#[command(name = "rollsim", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Progress of long commands (compare, plan, sweep, a long run) on stderr. Where
    /// stderr is not a terminal (a file, a pipe, a CI log): a line every 5 s and the last,
    /// with done / total, elapsed time and an estimate of the time left.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    progress: progress::ProgressMode,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Hold the engine against queueing theory (Erlang C, Pollaczek–Khinchine, Little's law).
    Validate(validate::ValidateArgs),
    /// Simulate one queueing station (c servers, FCFS) under Poisson arrivals.
    Queue(queue::QueueArgs),
    /// Read and check a model file (TOML) and say what it describes.
    Check(check::CheckArgs),
    /// Write a model file drawn from a few parameters: `generate services`, a graph of
    /// services with fleets sized for their load.
    Generate(generate::GenerateArgs),
    /// Simulate a model and print a per-layer summary and each rollout's report.
    Run(run::RunArgs),
    /// Compare strategies over Monte Carlo runs with common random numbers.
    Compare(compare::CompareArgs),
    /// Size each layer's fleet for the SLO, price each strategy's rollout, and find the hours at which each can roll.
    Plan(plan::PlanArgs),
    /// Run an experiment: a grid of overrides × seeds, results streamed to JSON Lines.
    Sweep(sweep::SweepArgs),
    /// Merge sweep result files (e.g. shards) into one canonical file.
    Merge(sweep::MergeArgs),
    /// Summarise a sweep's results: per point, each metric's mean and 95% interval
    /// (summary.csv), and the figures of its [report].
    Summarize(sweep::SummarizeArgs),
    /// Print the rollsim rollout equivalent to an Argo Rollouts, Flagger, Kubernetes,
    /// Spinnaker or Asgard definition, with every value's origin.
    Import(import::ImportArgs),
    /// Roll one layer out for real: instance processes behind HAProxy on loopback,
    /// driven by the same controller, with the same report (and `--vs-sim`).
    #[cfg(feature = "live")]
    Live(live::LiveArgs),
    /// Serve as one live instance (started by `live`).
    #[cfg(feature = "live")]
    Instance(instance::InstanceArgs),
}

/// The exit codes, for `--help`.
const EXIT_CODES: &str = "Exit codes: 0 success; 2 bad input (a model, an argument or a file to \
fix); 1 a failure while running (writing results, HAProxy or a process in live mode, a sweep's \
worker) or a check that failed (validate); 130 interrupted (Ctrl-C; a sweep keeps the runs it \
finished).";

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    end_quietly_when_stdout_closes();
    let cli = Cli::parse();
    progress::set_mode(cli.progress);
    let result = match cli.command {
        None => compare::run(&compare::CompareArgs::default()),
        Some(Command::Validate(args)) => validate::run(&args),
        Some(Command::Queue(args)) => queue::run(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Generate(args)) => generate::run(&args),
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Compare(args)) => compare::run(&args),
        Some(Command::Plan(args)) => plan::run(&args),
        Some(Command::Sweep(args)) => sweep::run(&args),
        Some(Command::Merge(args)) => sweep::merge(&args),
        Some(Command::Summarize(args)) => sweep::summarize(&args),
        Some(Command::Import(args)) => import::run(&args),
        #[cfg(feature = "live")]
        Some(Command::Live(args)) => live::run(&args),
        #[cfg(feature = "live")]
        Some(Command::Instance(args)) => instance::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Error::Interrupted(message) = &error {
                eprintln!("{message}");
            } else {
                eprintln!("error: {error}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}

/// A reader that stops early (`rollsim run | head -n 1`) closes stdout: printing then
/// fails with a broken pipe, which is the reader's choice, not an error. The process
/// ends at once with success and nothing on stderr, as `head`, `grep` or ripgrep do.
/// Any other failure to print the results (a full disk, `> /dev/full`) is a failure at
/// run time: `error: …` and exit code 1, not a panic.
fn end_quietly_when_stdout_closes() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") {
            if message.contains("Broken pipe") {
                std::process::exit(0);
            }
            eprintln!("error: {message}");
            std::process::exit(crate::error::EXIT_FAILED.into());
        }
        default_hook(info);
    }));
}

//! `rollsim generate services [--services N] [--depth D] [--fan-out F] [--edge-rate R]
//! [--seed S] [--duration D] [--out FILE] …`: write the model file of a graph of
//! services drawn from a few parameters ([`crate::generate`]) to stdout or to FILE.
//! A parameter out of range, or one whose model `rollsim check` would refuse, is bad
//! input (exit 2) naming the flag; nothing is written then.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::Error;
use crate::engine::{Rate, SimDuration};
use crate::generate::{GraphParams, services_model};
use crate::scenario::files::check_writable;

/// What to generate.
#[derive(Debug, Subcommand)]
pub(crate) enum GenerateWhat {
    /// A graph of services (edge → tiers of middle services → data services, some
    /// behind caches), each fleet sized for its load at the evening peak, Chaos Monkey
    /// on; an ordinary model file for `check`, `run`, `compare`, `plan`.
    Services(ServicesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    #[command(subcommand)]
    what: GenerateWhat,
}

/// The parameters of `generate services`; the defaults are [`GraphParams::default`]'s.
#[derive(Debug, Args)]
pub(crate) struct ServicesArgs {
    /// Services (layers), the edge included: 2 to 64.
    #[arg(long, default_value_t = GraphParams::default().services)]
    services: u32,
    /// Tiers below the edge, the data tier last.
    #[arg(long, default_value_t = GraphParams::default().depth)]
    depth: u32,
    /// Distinct services each non-data service calls in deeper tiers (more where its
    /// tier must reach a wider tier below): 1 to 16.
    #[arg(long, default_value_t = GraphParams::default().fan_out)]
    fan_out: u32,
    /// Requests per second at the edge at the evening peak, e.g. 20000/s or 20000.
    #[arg(long, default_value_t = GraphParams::default().edge_rate)]
    edge_rate: Rate,
    /// Share of the services that are data services (leaves), in (0, 1).
    #[arg(long, default_value_t = GraphParams::default().data_share)]
    data_share: f64,
    /// Share of the calls to data services that go through a cache, in [0, 1].
    #[arg(long, default_value_t = GraphParams::default().cache_share)]
    cache_share: f64,
    /// Hit ratio of each cache once warm, in [0, 1).
    #[arg(long, default_value_t = GraphParams::default().cache_hit_ratio)]
    cache_hit_ratio: f64,
    /// Share of each fleet's workers busy at the evening peak, 0.05 to 0.9.
    #[arg(long, default_value_t = GraphParams::default().target_busy)]
    target_busy: f64,
    /// Seed of the graph's draws, and the model's seed.
    #[arg(long, default_value_t = GraphParams::default().seed)]
    seed: u64,
    /// The model's duration (at most what `rollsim check` accepts for this many
    /// services: a longer one is refused, saying the most).
    #[arg(long, default_value_t = GraphParams::default().duration)]
    duration: SimDuration,
    /// Write the model to FILE instead of stdout (never through a link).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

impl ServicesArgs {
    fn params(&self) -> GraphParams {
        GraphParams {
            services: self.services,
            depth: self.depth,
            fan_out: self.fan_out,
            edge_rate: self.edge_rate,
            data_share: self.data_share,
            cache_share: self.cache_share,
            cache_hit_ratio: self.cache_hit_ratio,
            target_busy: self.target_busy,
            seed: self.seed,
            duration: self.duration,
            ..GraphParams::default()
        }
    }
}

pub(crate) fn run(args: &GenerateArgs) -> Result<(), Error> {
    match &args.what {
        GenerateWhat::Services(services) => run_services(services),
    }
}

fn run_services(args: &ServicesArgs) -> Result<(), Error> {
    if let Some(out) = &args.out {
        check_writable(out, "model")?;
    }
    let text = services_model(&args.params()).map_err(Error::bad_input)?;
    match &args.out {
        None => print!("{text}"),
        Some(out) => {
            std::fs::write(out, &text)
                .map_err(|e| Error::failed(format!("{}: {e}", out.display())))?;
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(())
}

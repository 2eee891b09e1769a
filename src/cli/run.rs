//! `rollsim run [MODEL] [--seed N] [--json]`: simulate a model without a rollout and
//! print a per-layer summary. Without a model file, the built-in default model
//! (`models/netflix-2011.toml`, compiled into the binary) runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use crate::model::World;
use crate::report::run_summary;
use crate::scenario;

/// The built-in default model.
pub(crate) const DEFAULT_MODEL: &str = include_str!("../../models/netflix-2011.toml");
const DEFAULT_MODEL_NAME: &str = "models/netflix-2011.toml (built in)";

#[derive(Debug, Args, Default)]
pub(crate) struct RunArgs {
    /// The model file (TOML); the built-in netflix-2011 model if omitted.
    model: Option<PathBuf>,
    /// Seed of every random stream (default: the model's `seed`).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &RunArgs) -> Result<ExitCode, String> {
    let mut model = match &args.model {
        Some(path) => scenario::load(path),
        None => scenario::parse(DEFAULT_MODEL, Path::new(DEFAULT_MODEL_NAME)),
    }
    .map_err(|e| e.to_string())?;
    if let Some(seed) = args.seed {
        model.seed = seed;
    }
    let started = Instant::now();
    let mut world = World::new(&model);
    world.run();
    let summary = world.summary();
    let wall = started.elapsed().as_secs_f64();
    // Wall-clock figures go to stderr, so stdout is identical for identical inputs.
    eprintln!(
        "simulated {} in {:.2} s of wall time ({:.1} M events/s); per-second series {:.1} MiB",
        summary.elapsed,
        wall,
        summary.events as f64 / wall.max(1e-9) / 1e6,
        world.footprint().series_bytes as f64 / (1 << 20) as f64
    );
    if args.json {
        print!("{}", run_summary::render_json(&summary));
    } else {
        print!("{}", run_summary::render_text(&summary));
    }
    Ok(ExitCode::SUCCESS)
}

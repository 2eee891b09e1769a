//! `rollsim check MODEL [--rollout FILE [--layer NAME]] [--set PATH=VALUE]…`: read and
//! check a model file (with an imported rollout and the overrides applied, as `run`
//! would), and say what it describes and how much a run of it costs (its work
//! estimate, `scenario::work`); a model over the limits is refused (exit 2) as `run`
//! would refuse it without `--force`.

use std::path::PathBuf;

use clap::Args;

use crate::Error;

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The model file (TOML), e.g. models/quickstart.toml.
    model: PathBuf,
    /// Change a field of the model (repeatable), checked as `run` would use it.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<crate::scenario::overrides::Override>,
    #[command(flatten)]
    rollout: super::model_source::RolloutFile,
}

pub(crate) fn run(args: &CheckArgs) -> Result<(), Error> {
    let (scenario, file) =
        super::model_source::load(Some(&args.model), &args.sets, &args.rollout, None)?;
    let work = crate::scenario::work::estimate(&scenario);
    // A model no run could finish is not accepted: `run` would refuse it without --force.
    work.within_limits()
        .map_err(|reason| Error::BadInput(format!("{}: {reason}", file.display())))?;
    print!("{}", crate::report::model_summary::describe(&scenario));
    println!("  {work}");
    Ok(())
}

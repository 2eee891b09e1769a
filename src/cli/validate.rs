//! `rollsim validate`.

use clap::Args;

use crate::Error;
use crate::validate;

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Master seed: the same seed prints the same table, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multiply every case's customer count (0.1 for a quick look; below 1 the
    /// intervals widen and the ±2% check leans on them).
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale, allow_hyphen_values = true)]
    scale: f64,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

impl Default for ValidateArgs {
    fn default() -> Self {
        ValidateArgs {
            seed: 1,
            scale: 1.0,
            json: false,
        }
    }
}

fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 100.0 => Ok(x),
        _ => Err(format!(
            "{text:?} is not a scale; give a number above 0 and at most 100"
        )),
    }
}

/// Prints the engine held against theory; a case outside its tolerance is a check that
/// failed (exit 1), after the whole report.
pub(crate) fn run(args: &ValidateArgs) -> Result<(), Error> {
    let results = validate::run(args.seed, args.scale);
    if args.json {
        let json = serde_json::to_string_pretty(&results).map_err(Error::failed)?;
        println!("{json}");
    } else {
        print!("{}", validate::table::render(&results, args.seed));
    }
    let failed = results.iter().filter(|r| !r.pass()).count();
    if failed > 0 {
        return Err(Error::CheckFailed(format!(
            "{failed} of {} cases disagree with theory beyond their tolerance",
            results.len()
        )));
    }
    Ok(())
}

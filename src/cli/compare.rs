//! `rollsim compare [MODEL] [--strategy S]… [--runs N] [--seed S] [--json | --csv]`:
//! rehearse the model's rollouts with each strategy, N runs each with common random
//! numbers, and print every rollout metric side by side with 95% intervals and paired
//! differences. Without a model file, the built-in netflix-2011 model.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use crate::Error;
use crate::plan::compare::compare;
use crate::report::compare as table;
use crate::scenario::{self, rollout::Strategy};

/// Most runs per strategy.
const MAX_RUNS: usize = 10_000;

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The model file (TOML); the built-in netflix-2011 model if omitted.
    model: Option<PathBuf>,
    /// A strategy to compare (repeat; default: red-black and rolling). The first is the
    /// reference of the paired differences.
    #[arg(long = "strategy")]
    strategies: Vec<Strategy>,
    /// Runs per strategy (seeds seed, seed+1, …).
    #[arg(long, default_value_t = 4)]
    runs: usize,
    /// Seed of the first run (default: the model's `seed`).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV.
    #[arg(long)]
    csv: bool,
    /// Write a figure per rollout (SVG and PNG) into this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// No timing lines on stderr, and no progress (as --progress never) unless --progress always.
    #[arg(long)]
    quiet: bool,
    /// Change a field of the model, e.g. --set rollout.red_black.bake=2h (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<crate::scenario::overrides::Override>,
    #[command(flatten)]
    rollout: super::model_source::RolloutFile,
    #[command(flatten)]
    fidelity: super::model_source::FidelityChoice,
    #[command(flatten)]
    force: super::model_source::Force,
    #[command(flatten)]
    html: super::html::HtmlChoice,
}

impl Default for CompareArgs {
    fn default() -> Self {
        CompareArgs {
            model: None,
            strategies: Vec::new(),
            runs: 4,
            seed: None,
            json: false,
            csv: false,
            sets: Vec::new(),
            quiet: false,
            plot: None,
            rollout: super::model_source::RolloutFile::default(),
            fidelity: super::model_source::FidelityChoice::default(),
            force: super::model_source::Force::default(),
            html: super::html::HtmlChoice::default(),
        }
    }
}

pub(crate) fn run(args: &CompareArgs) -> Result<(), Error> {
    // Nothing is kept until the end: Ctrl-C stops at once (exit 130).
    super::interrupt::exit_at_once();
    let (mut model, file, import) = super::model_source::load_noting_import(
        args.model.as_deref(),
        &args.sets,
        &args.rollout,
        None,
    )?;
    super::model_source::refuse_calendar(&model, &file, "compare")?;
    args.fidelity.apply(&mut model);
    args.force.check(&model, &file)?;
    if let Some(dir) = &args.plot {
        crate::report::plot::prepare_dir(dir)?;
    }
    if model.rollouts.is_empty() {
        return Err(Error::BadInput(format!(
            "{}: the model has no [[rollouts]] section to compare strategies on",
            file.display()
        )));
    }
    if args.runs == 0 || args.runs > MAX_RUNS {
        return Err(Error::BadInput(format!(
            "--runs must be between 1 and {MAX_RUNS}, got {}",
            args.runs
        )));
    }
    let html = args.html.open()?;
    let started = Instant::now();
    let (strategies, comparison) = compare_strategies(
        &model,
        &file,
        &args.strategies,
        args.runs,
        args.seed.unwrap_or(model.seed),
        args.quiet,
    )?;
    if !args.quiet {
        eprintln!(
            "{} rehearsals and {} baseline runs in {:.1} s of wall time",
            strategies.len() * args.runs,
            args.runs,
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(dir) = &args.plot {
        for file in crate::report::plot::plot_comparison(&comparison, dir)? {
            if !args.quiet {
                eprintln!("wrote {}", file.display());
            }
        }
    }
    if args.json {
        println!("{}", crate::report::json_text(table::to_json(&comparison)));
    } else if args.csv {
        print!("{}", table::render_csv(&comparison));
    } else {
        print!("{}", table::render_text(&comparison));
    }
    if let Some(html) = html {
        let svgs = crate::report::plot::comparison_svgs(&comparison)?;
        let page = crate::report::html::compare_page(
            &super::html::this_command(),
            &model,
            import.as_slice(),
            &comparison,
            &svgs,
        );
        super::html::write(html, &page, args.quiet)?;
    }
    Ok(())
}

/// Checks the model with each strategy (default red-black and rolling; none twice),
/// then compares them with a progress bar. Shared by `compare` and `plan`.
pub(crate) fn compare_strategies(
    model: &scenario::Scenario,
    file: &std::path::Path,
    asked: &[Strategy],
    runs: usize,
    seed: u64,
    quiet: bool,
) -> Result<(Vec<Strategy>, crate::plan::compare::Comparison), Error> {
    let strategies = if asked.is_empty() {
        vec![Strategy::RedBlack, Strategy::Rolling]
    } else {
        asked.to_vec()
    };
    for (i, s) in strategies.iter().enumerate() {
        if strategies[..i].contains(s) {
            return Err(Error::BadInput(format!("--strategy {s} is given twice")));
        }
        let mut variant = model.clone();
        for rollout in &mut variant.rollouts {
            rollout.strategy = *s;
        }
        scenario::recheck(&variant, file)
            .map_err(|e| Error::BadInput(format!("with --strategy {s}: {e}")))?;
    }
    // Every run simulates the model's duration: a rehearsal per strategy and a baseline.
    let worlds = ((strategies.len() + 1) * runs) as u64;
    let bar = super::progress::simulation(
        (strategies.len() * runs) as u64,
        crate::engine::SimDuration::from_nanos(model.duration.as_nanos().saturating_mul(worlds)),
        quiet,
        "rehearsals",
    );
    let comparison = compare(model, &strategies, runs, seed, &|| bar.inc(1), &|by| {
        bar.simulated(by)
    });
    bar.finish_and_clear();
    Ok((strategies, comparison))
}

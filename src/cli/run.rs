//! `rollsim run [MODEL] [--seed N] [--strategy S] [--json] [--series FILE]`: simulate a
//! model and print a per-layer summary (with `--json`, also the queueing figures behind
//! Little's law: L, λ, W, the mean queueing delay and P(wait)); if the model has
//! rollouts, rehearse them and print each one's metrics and timeline. `--series` writes
//! the per-second series as CSV ([`crate::report::series`]). Without a model file, the built-in default model
//! (`models/netflix-2011.toml`, compiled into the binary) runs.
//!
//! Rollout metrics that compare with "no rollout" (failed requests, the downstream rate
//! ratio) come from a second run of the same model and seed without rollouts, in
//! parallel with the first.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use crate::Error;
use crate::metrics::Slo;
use crate::rehearsal::{baseline, rehearse_reporting};
use crate::report::html::{RunPage, run_page};
use crate::report::{rollout, run_summary};
use crate::rollout::{Outcome, RolloutRecord};
use crate::scenario::rollout::Strategy;

/// The built-in default model.
pub(crate) const DEFAULT_MODEL: &str = include_str!("../../models/netflix-2011.toml");
pub(crate) const DEFAULT_MODEL_NAME: &str = "models/netflix-2011.toml (built in)";

#[derive(Debug, Args, Default)]
pub(crate) struct RunArgs {
    /// The model file (TOML); the built-in netflix-2011 model if omitted.
    model: Option<PathBuf>,
    /// Seed of every random stream (default: the model's `seed`).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Roll out with this strategy instead of the model's (red-black, rolling, highlander,
    /// canary, rolling-red-black).
    #[arg(long)]
    strategy: Option<Strategy>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Write plots of each rollout (SVG and PNG) into this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// Write the per-second series as CSV to FILE: one row per simulated second per
    /// layer (calls issued, succeeded and failed by cause, attempts, calls in flight,
    /// busy workers, instances by state, latency mean/p50/p90/p99/max in ms); units in
    /// the column names. Checked and opened before the run; never through a link.
    #[arg(long, value_name = "FILE")]
    series: Option<PathBuf>,
    /// Change a field of the model, e.g. --set layers.middle.instances=80 or
    /// --set rollout.red_black.bake=2h (repeatable).
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

pub(crate) fn run(args: &RunArgs) -> Result<(), Error> {
    let (mut model, file, import) = super::model_source::load_noting_import(
        args.model.as_deref(),
        &args.sets,
        &args.rollout,
        args.strategy,
    )?;
    args.fidelity.apply(&mut model);
    args.force.check(&model, &file)?;
    if let Some(seed) = args.seed {
        model.seed = seed;
    }
    if let Some(dir) = &args.plot {
        if model.rollouts.is_empty() {
            return Err(Error::bad_input(
                "--plot: the model has no rollouts to plot",
            ));
        }
        crate::report::plot::prepare_dir(dir)?;
    }
    // A path that cannot be written is refused before the run, not after it.
    let series = args
        .series
        .as_deref()
        .map(crate::report::series::SeriesFile::create)
        .transpose()?;
    if model.releases.is_some() && (args.plot.is_some() || args.html.html.is_some()) {
        return Err(Error::bad_input(
            "--plot and --html show each rollout's series, which a model with a release \
             calendar does not keep (its run keeps the entry layer's whole series and only \
             the recent past of the others): use --json for every release and the week's figures",
        ));
    }
    let html = args.html.open()?;
    let started = Instant::now();
    // Without rollouts, nothing compares with a baseline: the model runs alone.
    // Progress in simulated time, the rehearsal's (the baseline runs beside it).
    let progress = super::progress::run(model.duration, "run");
    let on_advance = |by| progress.simulated(by);
    let (mut rehearsal, baseline) = if model.rollouts.is_empty() && model.releases.is_none() {
        (rehearse_reporting(&model, &on_advance), None)
    } else {
        let (rehearsal, baseline) = rayon::join(
            || rehearse_reporting(&model, &on_advance),
            || baseline(&model),
        );
        (rehearsal, Some(baseline))
    };
    progress.finish_and_clear();
    let summary = rehearsal.world.summary();
    let wall = started.elapsed().as_secs_f64();
    // Wall-clock figures go to stderr, so stdout is identical for identical inputs, and
    // only to a terminal: `rollsim run | head -n 1` in a script leaves stderr empty.
    if std::io::stderr().is_terminal() {
        eprintln!(
            "simulated {} in {:.2} s of wall time ({:.1} M events/s){}; per-second series {:.1} MiB",
            summary.elapsed,
            wall,
            summary.events as f64 / wall.max(1e-9) / 1e6,
            if baseline.is_some() {
                ", with a baseline run beside it"
            } else {
                ""
            },
            rehearsal.world.footprint().series_bytes as f64 / (1 << 20) as f64
        );
    }
    if model.releases.is_some() {
        let mut baseline = baseline.expect("a calendar run has a baseline");
        let week = rehearsal.week_metrics(&model, &mut baseline, Slo::of(&model));
        let world = &rehearsal.world;
        if let Some(series) = series {
            let names: Vec<String> = summary.layers.iter().map(|l| l.name.clone()).collect();
            let path = series.write(world.observations(), &names)?;
            eprintln!("wrote {}", path.display());
        }
        if args.json {
            let mut value = crate::report::week::to_json(&rehearsal, &model, &week);
            value["world"] = run_summary::to_json(&summary);
            println!("{}", crate::report::json_text(value));
        } else {
            print!("{}", run_summary::render_text_with(&summary, None));
            println!();
            print!(
                "{}",
                crate::report::week::render_text(&rehearsal, &model, &week)
            );
        }
        return Ok(());
    }
    let metrics = baseline.map_or_else(Vec::new, |baseline| {
        rehearsal.rollout_metrics(&baseline, Slo::of(&model))
    });
    let reports: Vec<_> = rehearsal.records.iter().zip(metrics).collect();
    let world = &rehearsal.world;
    if let Some(series) = series {
        let names: Vec<String> = summary.layers.iter().map(|l| l.name.clone()).collect();
        let path = series.write(world.observations(), &names)?;
        eprintln!("wrote {}", path.display());
    }
    let notice = rollout::unfinished_notice(&rehearsal.records, &rehearsal.time_left, world.end());
    if args.json {
        let value = serde_json::json!({
            "world": run_summary::to_json(&summary),
            "unfinished": rollout::unfinished_to_json(&rehearsal.records, &rehearsal.time_left, world.end()),
            "rollouts": reports
                .iter()
                .map(|(r, m)| {
                    let mut value = rollout::to_json(r, m);
                    if let Some(why) = missed_defect(&model, r) {
                        value["missed_defect"] = serde_json::Value::String(why);
                    }
                    value
                })
                .collect::<Vec<_>>(),
        });
        println!("{}", crate::report::json_text(value));
    } else {
        print!(
            "{}",
            run_summary::render_text_with(&summary, notice.as_deref())
        );
        for (record, metrics) in &reports {
            println!();
            print!("{}", rollout::render_text(record, metrics));
            if let Some(why) = missed_defect(&model, record) {
                println!("\nA defective release was promoted: {why}.");
            }
        }
    }
    // Figures last: the report is printed whatever happens to them.
    if let Some(dir) = &args.plot {
        for file in
            crate::report::plot::plot_rehearsal(world, &rehearsal.records, Slo::of(&model), dir)?
        {
            eprintln!("wrote {}", file.display());
        }
    }
    if let Some(html) = html {
        let slo = Slo::of(&model);
        let svgs = crate::report::plot::rehearsal_svgs(world, &rehearsal.records, slo)?;
        let page = RunPage {
            command: &super::html::this_command(),
            model: &model,
            imports: import.as_slice(),
            summary: &summary,
            notice: notice.as_deref(),
            rollouts: reports
                .iter()
                .zip(svgs)
                .map(|((record, metrics), svg)| {
                    (*record, metrics, missed_defect(&model, record), svg)
                })
                .collect(),
        };
        super::html::write(html, &run_page(&page), false)?;
    }
    Ok(())
}

/// Why the defective release of `record`'s rollout was promoted, if it was.
fn missed_defect(model: &crate::scenario::Scenario, record: &RolloutRecord) -> Option<String> {
    if record.outcome != Outcome::Promoted {
        return None;
    }
    let spec = model.rollouts.iter().find(|r| r.layer == record.layer)?;
    crate::scenario::judged::missed_defect(&spec.release, &spec.analysis)
}

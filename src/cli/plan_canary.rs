//! `rollsim plan canary [MODEL] [--layer NAME] [--hour H|peak|trough] [--detect SPEC]…
//! [--instances N,…] [--durations D,…] [--power PCT] [--false-alarm PCT] [--runs N]
//! [--seed N] [--rollout FILE]… [--set PATH=VALUE]… [--json]`: the smallest canary, the
//! shortest duration and the judge that catch each regression named with the power
//! asked while failing a healthy release at most at the rate allowed
//! ([`crate::plan::canary`]).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use crate::Error;
use crate::engine::SimDuration;
use crate::plan::canary::power::Targets;
use crate::plan::canary::regression::Regression;
use crate::plan::canary::{CanaryQuestion, JudgeChoice, plan_canary};
use crate::scenario::Scenario;
use crate::scenario::overrides::Override;

#[derive(Debug, Args)]
pub(crate) struct PlanCanaryArgs {
    /// The model file (TOML); the built-in netflix-2011 model if omitted.
    model: Option<PathBuf>,
    /// The layer the canary runs in (default: the layer of the model's first rollout,
    /// or of the imported one).
    #[arg(long, value_name = "NAME")]
    layer: Option<String>,
    /// The hour of a weekday whose traffic the canary sees: `peak`, `trough` or 0–24
    /// (models with a daily shape; default: peak).
    #[arg(long, default_value = "peak", value_name = "H|peak|trough")]
    hour: String,
    /// A regression to catch (repeat): `errors+0.5%`, `p99x1.5`, `leak after 20m`
    /// (default: errors+1% and p99x1.5).
    #[arg(long = "detect", value_name = "SPEC")]
    detect: Vec<Regression>,
    /// Canary sizes to weigh, in instances (default: 1, 2, 4, … up to a quarter of the fleet).
    #[arg(long, value_delimiter = ',', value_name = "N,…")]
    instances: Vec<u32>,
    /// Canary durations to weigh (the judge's warm-up delay included).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10m,15m,20m",
        value_name = "D,…"
    )]
    durations: Vec<SimDuration>,
    /// Least share of defective releases caught, in percent.
    #[arg(long, default_value_t = 95.0)]
    power: f64,
    /// Largest share of healthy releases failed, in percent.
    #[arg(long, default_value_t = 1.0)]
    false_alarm: f64,
    /// Rehearsals per canary size and release, at most (seeds seed, seed+1, …).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// First seed (default: the model's).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Judge with the analysis of the rollout in FILE (Argo Rollouts, Flagger, Spinnaker,
    /// Asgard, Kubernetes) instead of weighing rollsim's judges: the power of your analysis.
    #[arg(long = "rollout", value_name = "FILE")]
    rollout_files: Vec<PathBuf>,
    /// The rollout to import when the files hold several.
    #[arg(long, value_name = "NAME", requires = "rollout_files")]
    rollout_name: Option<String>,
    /// Change a field of the model (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<Override>,
    #[command(flatten)]
    fidelity: super::model_source::FidelityChoice,
    #[command(flatten)]
    force: super::model_source::Force,
    #[command(flatten)]
    html: super::html::HtmlChoice,
    /// Write the plan's figure (power and false alarms against duration) into this folder.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// No timing line on stderr, and no progress (as --progress never) unless --progress always.
    #[arg(long)]
    quiet: bool,
}

pub(crate) fn run(args: &PlanCanaryArgs) -> Result<(), Error> {
    super::interrupt::exit_at_once();
    let rollout = super::model_source::RolloutFile {
        files: args.rollout_files.clone(),
        rollout_name: args.rollout_name.clone(),
        rollout_stage: None,
        layer: args
            .layer
            .clone()
            .filter(|_| !args.rollout_files.is_empty()),
    };
    let (mut model, file, import) =
        super::model_source::load_noting_import(args.model.as_deref(), &args.sets, &rollout, None)?;
    super::model_source::refuse_calendar(&model, &file, "plan canary")?;
    args.fidelity.apply(&mut model);
    args.force.check(&model, &file)?;
    if let Some(dir) = &args.plot {
        crate::report::plot::prepare_dir(dir)?;
    }
    let html = args.html.open()?;
    let (model, hour) = at_hour(&model, &args.hour).map_err(Error::BadInput)?;
    let question = question(&model, args).map_err(Error::BadInput)?;
    let started = Instant::now();
    let total = question.instances.len() * (question.regressions.len() + 1) * question.runs;
    let bar = super::progress::bar(Some(total as u64), args.quiet, "canary rehearsals");
    let plan = plan_canary(&model, &question, &|| bar.inc(1));
    bar.finish_and_clear();
    let report = crate::report::canary::CanaryReport {
        plan: &plan,
        hour,
        seed: question.seed,
        imported: import
            .as_ref()
            .map(|note| format!("{} ({})", note.description, note.judged)),
    };
    if let Some(dir) = &args.plot {
        let [svg, png] = crate::report::plot::plot_canary(dir, &plan)?;
        if !args.quiet {
            eprintln!("wrote {} and {}", svg.display(), png.display());
        }
    }
    if let Some(html) = html {
        let svg = crate::report::plot::canary_svg(&plan)?;
        let page = crate::report::html::canary_page(
            &super::html::this_command(),
            import.as_slice(),
            &model,
            &report,
            &svg,
        );
        super::html::write(html, &page, args.quiet)?;
    }
    if args.json {
        println!("{}", crate::report::json_text(report.json()));
    } else {
        print!("{}", report.text());
    }
    if !args.quiet {
        eprintln!(
            "planned the canary in {:.1} s of wall time",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The model with its traffic frozen at the hour asked, and that hour (`None` for a
/// model without a daily shape, whose rate is used as it is).
fn at_hour(model: &Scenario, hour: &str) -> Result<(Scenario, Option<f64>), String> {
    let Some(shape) = &model.traffic.shape else {
        if hour != "peak" {
            return Err(format!(
                "--hour {hour}: the model {} has no daily traffic shape",
                model.name
            ));
        }
        return Ok((model.clone(), None));
    };
    let h = match hour {
        "peak" => shape.peak_hour,
        "trough" => (shape.peak_hour + 12.0).rem_euclid(24.0),
        other => other
            .parse::<f64>()
            .ok()
            .filter(|h| (0.0..=24.0).contains(h))
            .ok_or_else(|| {
                format!("--hour {other:?}: allowed: peak, trough, or an hour from 0 to 24")
            })?,
    };
    Ok((crate::plan::windows::frozen_at_hour(model, h)?, Some(h)))
}

/// The question the flags ask of `model`.
fn question(model: &Scenario, args: &PlanCanaryArgs) -> Result<CanaryQuestion, String> {
    let layer = match (&args.layer, model.rollouts.first()) {
        (Some(layer), _) => layer.clone(),
        (None, Some(rollout)) => rollout.layer.clone(),
        (None, None) => {
            return Err(
                "--layer: the model has no rollout; name the layer the canary runs in".into(),
            );
        }
    };
    let Some(spec) = model.layers.get(&layer) else {
        let names: Vec<&str> = model.layers.keys().map(String::as_str).collect();
        return Err(format!(
            "--layer {layer}: no such layer; the model's layers: {}",
            names.join(", ")
        ));
    };
    let fleet = spec.instances;
    if fleet < 2 {
        return Err(format!(
            "--layer {layer}: a canary needs a fleet of 2 or more; it has {fleet}"
        ));
    }
    let instances = if args.instances.is_empty() {
        std::iter::successors(Some(1u32), |n| Some(n * 2))
            .take_while(|n| *n <= (fleet / 4).max(1))
            .collect()
    } else {
        let mut sizes = args.instances.clone();
        sizes.sort_unstable();
        sizes.dedup();
        if let Some(bad) = sizes.iter().find(|n| **n == 0 || **n >= fleet) {
            return Err(format!(
                "--instances {bad}: allowed: 1 to {} (the fleet has {fleet})",
                fleet - 1
            ));
        }
        sizes
    };
    let mut durations = args.durations.clone();
    durations.sort_unstable();
    durations.dedup();
    if let Some(bad) = durations
        .iter()
        .find(|d| d.is_zero() || **d > SimDuration::from_hours(24))
    {
        return Err(format!(
            "--durations {bad}: allowed: more than 0 and at most 24h"
        ));
    }
    for (name, pct) in [("--power", args.power), ("--false-alarm", args.false_alarm)] {
        if !(0.0..=100.0).contains(&pct) {
            return Err(format!("{name} {pct}: allowed: a percentage from 0 to 100"));
        }
    }
    if !(1..=10_000).contains(&args.runs) {
        return Err(format!("--runs {}: allowed: 1 to 10000", args.runs));
    }
    let own_analysis = model
        .rollouts
        .iter()
        .find(|r| r.layer == layer)
        .map(|r| r.analysis.clone());
    let analysis = own_analysis.clone().unwrap_or_default();
    let judges = if args.rollout_files.is_empty() {
        JudgeChoice::around(&analysis)
    } else {
        let mut yours = JudgeChoice::named(analysis);
        yours.name = format!("yours ({})", yours.name);
        vec![yours]
    };
    let regressions = if args.detect.is_empty() {
        vec![Regression::Errors(1.0), Regression::Latency(1.5)]
    } else {
        args.detect.clone()
    };
    Ok(CanaryQuestion {
        layer,
        regressions,
        instances,
        durations,
        judges,
        own_analysis,
        targets: Targets {
            power: args.power / 100.0,
            false_alarm: args.false_alarm / 100.0,
        },
        runs: args.runs,
        first_batch: 10,
        seed: args.seed.unwrap_or(model.seed),
    })
}

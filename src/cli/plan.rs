//! `rollsim plan [MODEL] [--slo-p99 D] [--availability PCT] [--runs N] [--seed N]
//! [--hour H] [--strategy S]… [--every D] [--plot DIR] [--set PATH=VALUE]… [--json]`:
//! the smallest steady fleet per layer that keeps the entry layer within its SLO at the
//! traffic peak ([`crate::plan::capacity`]); per strategy, what the model's rollouts
//! cost and risk, with advice ([`crate::plan::recommend`]); and the hours of a weekday
//! at which each strategy can roll within the SLO ([`crate::plan::windows`]).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use crate::Error;
use crate::engine::SimDuration;
use crate::plan::capacity::{Target, size_fleets};
use crate::plan::recommend::advise;
use crate::plan::windows::scan_hours;
use crate::report::plan::PlanReport;
use crate::scenario::limits::MAX_SETTING_DURATION;
use crate::scenario::overrides::Override;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct PlanArgs {
    #[command(subcommand)]
    what: Option<Box<PlanWhat>>,
    /// The model file (TOML); the built-in netflix-2011 model if omitted.
    model: Option<PathBuf>,
    /// The entry layer's p99 target (default: the model's `slo.latency_p99`).
    #[arg(long)]
    slo_p99: Option<SimDuration>,
    /// The entry layer's availability target in percent (default: the model's `slo.availability`).
    #[arg(long)]
    availability: Option<f64>,
    /// Runs per fleet size judged (seeds seed, seed+1, …).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// First seed (default: the model's).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Plan for this hour of a weekday (0–24) on the model's daily shape instead of its
    /// peak; the fleet sizes then also give the largest rolling batch that hour allows.
    #[arg(long)]
    hour: Option<f64>,
    /// Strategies to weigh for the model's rollouts (repeat; default red-black and rolling).
    #[arg(long = "strategy")]
    strategies: Vec<crate::scenario::rollout::Strategy>,
    /// Between the start hours of a weekday at which each strategy's rollout is
    /// rehearsed to find when it keeps the SLO (models with a daily shape).
    #[arg(long, default_value = "4h")]
    every: SimDuration,
    /// Write the plan's figure (traffic against capacity, safe hours) into this folder.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// Change a field of the model (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<Override>,
    #[command(flatten)]
    rollout: super::model_source::RolloutFile,
    #[command(flatten)]
    fidelity: super::model_source::FidelityChoice,
    #[command(flatten)]
    force: super::model_source::Force,
    #[command(flatten)]
    html: super::html::HtmlChoice,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// No timing lines on stderr, and no progress (as --progress never) unless --progress always.
    #[arg(long)]
    quiet: bool,
}

/// What else `plan` plans than fleets and rollouts.
#[derive(Debug, clap::Subcommand)]
enum PlanWhat {
    /// Plan the canary: the smallest canary, the shortest duration and the judge that
    /// catch the regressions named with the power asked, at a false-alarm rate allowed.
    Canary(super::plan_canary::PlanCanaryArgs),
}

pub(crate) fn run(args: &PlanArgs) -> Result<(), Error> {
    if let Some(PlanWhat::Canary(canary)) = args.what.as_deref() {
        return super::plan_canary::run(canary);
    }
    // Nothing is kept until the end: Ctrl-C stops at once (exit 130).
    super::interrupt::exit_at_once();
    let (mut model, file, import) = super::model_source::load_noting_import(
        args.model.as_deref(),
        &args.sets,
        &args.rollout,
        None,
    )?;
    super::model_source::refuse_calendar(&model, &file, "plan")?;
    args.fidelity.apply(&mut model);
    args.force.check(&model, &file)?;
    if let Some(dir) = &args.plot {
        crate::report::plot::prepare_dir(dir)?;
    }
    check_flags(args)?;
    let html = args.html.open()?;
    let original = model.clone();
    if let Some(hour) = args.hour {
        model = crate::plan::windows::frozen_at_hour(&model, hour).map_err(Error::BadInput)?;
    }
    let target = Target {
        latency_p99: args.slo_p99.unwrap_or(model.slo.latency_p99),
        availability: args
            .availability
            .map_or(model.slo.availability, |pct| pct / 100.0),
    };
    let started = Instant::now();
    let bar = super::progress::bar(None, args.quiet, "fleet sizes judged");
    let plans = size_fleets(
        &model,
        target,
        args.runs,
        args.seed.unwrap_or(model.seed),
        &|| bar.inc(1),
    );
    bar.finish_and_clear();
    // On text output each part is printed as soon as it is known (a big fleet's plan
    // takes minutes); JSON is printed whole at the end.
    let part = |plans: &[crate::plan::capacity::LayerPlan],
                advice: &[crate::plan::recommend::Advice],
                safe_hours: Option<&[crate::plan::windows::SafeHours]>,
                text: fn(&PlanReport<'_>) -> String|
     -> String {
        text(&PlanReport {
            model: &model,
            hour: args.hour,
            target,
            runs: args.runs,
            plans,
            advice,
            safe_hours,
            step: args.every,
        })
    };
    let print_now = |text: String| {
        use std::io::Write;
        if !args.json {
            print!("{text}");
            let _ = std::io::stdout().flush();
        }
    };
    print_now(part(&plans, &[], None, |r: &PlanReport<'_>| {
        r.sizing_text()
    }));
    let (advice, safe_hours) = if model.rollouts.is_empty() {
        (Vec::new(), None)
    } else {
        let (strategies, comparison) = super::compare::compare_strategies(
            &model,
            &file,
            &args.strategies,
            args.runs,
            args.seed.unwrap_or(model.seed),
            args.quiet,
        )?;
        let sizes: Vec<u32> = model
            .rollouts
            .iter()
            .map(|r| model.layers[&r.layer].instances)
            .collect();
        let defective: Vec<bool> = model
            .rollouts
            .iter()
            .map(|r| r.release != crate::scenario::rollout::ReleaseSpec::default())
            .collect();
        let advice = advise(&comparison, &sizes, &defective);
        print_now(part(&[], &advice, None, |r: &PlanReport<'_>| {
            r.advice_text()
        }));
        let hours = crate::plan::windows::start_hours_of(&original, args.every).len();
        // Without a daily shape there are no hours to scan, and nothing to show.
        let bar = super::progress::bar(
            Some((hours * strategies.len() * args.runs) as u64),
            args.quiet,
            "rehearsals at each hour",
        )
        .unless(original.traffic.shape.is_none());
        let safe_hours = scan_hours(
            &original,
            &strategies,
            args.every,
            args.runs,
            args.seed.unwrap_or(model.seed),
            target,
            &|| bar.inc(1),
        );
        bar.finish_and_clear();
        print_now(part(
            &[],
            &[],
            safe_hours.as_deref(),
            |r: &PlanReport<'_>| r.hours_text(),
        ));
        (advice, safe_hours)
    };
    if !args.quiet {
        eprintln!(
            "planned in {:.1} s of wall time",
            started.elapsed().as_secs_f64()
        );
    }
    let report = PlanReport {
        model: &model,
        hour: args.hour,
        target,
        runs: args.runs,
        plans: &plans,
        advice: &advice,
        safe_hours: safe_hours.as_deref(),
        step: args.every,
    };
    if let Some(dir) = &args.plot {
        write_plot(args, dir, &original, &model, &plans, safe_hours.as_deref())?;
    }
    if let Some(html) = html {
        let svg = plan_svg(args, &original, &model, &plans, safe_hours.as_deref())?;
        let page = crate::report::html::plan_page(
            &super::html::this_command(),
            import.as_slice(),
            &report,
            Some(&svg),
        );
        super::html::write(html, &page, args.quiet)?;
    }
    if args.json {
        println!("{}", crate::report::json_text(report.json()));
    }
    Ok(())
}

/// The capacity lines of the sized `model` for the plan's figure (rolling's dip too if
/// rolling was weighed).
fn capacities(
    model: &crate::scenario::Scenario,
    plans: &[crate::plan::capacity::LayerPlan],
    safe_hours: Option<&[crate::plan::windows::SafeHours]>,
) -> Vec<(String, f64)> {
    let rolling_asked = safe_hours.is_some_and(|s| {
        s.iter()
            .any(|s| s.strategy == crate::scenario::rollout::Strategy::Rolling)
    });
    crate::plan::capacity::capacity_lines(model, plans, rolling_asked)
}

/// The plan's figure as SVG text, for the HTML page (as [`write_plot`] draws it).
fn plan_svg(
    args: &PlanArgs,
    original: &crate::scenario::Scenario,
    model: &crate::scenario::Scenario,
    plans: &[crate::plan::capacity::LayerPlan],
    safe_hours: Option<&[crate::plan::windows::SafeHours]>,
) -> Result<String, Error> {
    crate::report::plot::plan_svg(
        original,
        &capacities(model, plans, safe_hours),
        safe_hours.unwrap_or(&[]),
        args.every,
    )
}

/// The plan's figure into `dir`: the traffic over the day of `original` with the
/// capacity lines of the sized `model` and the hours each strategy kept the SLO.
fn write_plot(
    args: &PlanArgs,
    dir: &std::path::Path,
    original: &crate::scenario::Scenario,
    model: &crate::scenario::Scenario,
    plans: &[crate::plan::capacity::LayerPlan],
    safe_hours: Option<&[crate::plan::windows::SafeHours]>,
) -> Result<(), Error> {
    let written = crate::report::plot::plot_plan(
        original,
        &capacities(model, plans, safe_hours),
        safe_hours.unwrap_or(&[]),
        args.every,
        dir,
    )?;
    if !args.quiet {
        for file in written {
            eprintln!("wrote {}", file.display());
        }
    }
    Ok(())
}

/// The plan's own flags in their ranges (the model's overrides are checked with it).
fn check_flags(args: &PlanArgs) -> Result<(), Error> {
    let bad = |message: String| Err(Error::BadInput(message));
    if args.every < SimDuration::from_mins(15) || args.every > SimDuration::from_hours(12) {
        return bad(format!(
            "--every must be between 15m and 12h, got {}",
            args.every
        ));
    }
    if let Some(p99) = args.slo_p99
        && (p99.is_zero() || p99 > MAX_SETTING_DURATION)
    {
        return bad(format!(
            "--slo-p99 must be between 1ns and {MAX_SETTING_DURATION}, got {p99}"
        ));
    }
    if let Some(hour) = args.hour
        && !(0.0..=24.0).contains(&hour)
    {
        return bad(format!("--hour must be between 0 and 24, got {hour}"));
    }
    if let Some(pct) = args.availability
        && !(pct > 0.0 && pct <= 100.0)
    {
        return bad(format!(
            "--availability must be a percentage in (0, 100], got {pct}"
        ));
    }
    if args.runs == 0 || args.runs > 1000 {
        return bad(format!(
            "--runs must be between 1 and 1000, got {}",
            args.runs
        ));
    }
    Ok(())
}

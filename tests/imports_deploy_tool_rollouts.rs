//! Rollouts written for Argo Rollouts, Flagger, Kubernetes, Spinnaker and Asgard import
//! with their values and their tools' defaults; `rollsim import` prints a section that
//! reads back as the same rollout; `--rollout FILE` rehearses it; bad files get an
//! error naming the file and the field, exit code 2, never a panic.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rollsim::engine::SimDuration;
use rollsim::import::{Imported, import_file, import_str};
use rollsim::scenario::rollout::{Cleanup, Count, JudgeKind, RolloutSpec, Strategy};

const EXAMPLES: [&str; 7] = [
    "argo-canary.yaml",
    "argo-bluegreen.yaml",
    "flagger-canary.yaml",
    "kubernetes-deployment.yaml",
    "spinnaker-pipeline.json",
    "spinnaker-rolling-red-black.json",
    "asgard-deployment.json",
];

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models/imported")
        .join(name)
}

fn imported(name: &str) -> Imported {
    import_file(&example(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn mins(m: u64) -> SimDuration {
    SimDuration::from_mins(m)
}

fn steps(rollout: &RolloutSpec) -> Vec<(f64, SimDuration)> {
    rollout
        .canary
        .steps
        .iter()
        .map(|s| (s.weight, s.pause))
        .collect()
}

fn mentions(imported: &Imported, needle: &str) -> bool {
    imported.not_represented.iter().any(|n| n.contains(needle))
}

#[test]
fn argo_canary_steps_become_weight_steps() {
    let i = imported("argo-canary.yaml");
    let r = &i.rollout;
    assert_eq!(i.name.as_deref(), Some("middle"));
    assert_eq!(r.strategy, Strategy::Canary);
    // setWeight 10 + pause 5m; 25 + a 5 × 1m analysis run; 50 + pause {} (a person, 30m);
    // 75 + pause 600 (seconds).
    assert_eq!(
        steps(r),
        vec![
            (10.0, mins(5)),
            (25.0, mins(5)),
            (50.0, mins(30)),
            (75.0, mins(10))
        ]
    );
    assert_eq!(r.analysis.max_error_rate, 0.02);
    assert_eq!(r.analysis.interval, mins(1));
    assert_eq!(r.analysis.failure_limit, 1, "Argo's failureLimit 0 on p99");
    assert_eq!(r.analysis.max_error_rate_increase, 1.0);
    assert_eq!(r.analysis.max_latency_p99_ratio, 1000.0);
    assert_eq!(r.canary.scale_down_delay, SimDuration::from_secs(30));
    assert_eq!(r.rolling.max_surge, Count::Percent(20.0));
    assert_eq!(r.rolling.max_unavailable, Count::Absolute(0));
    assert_eq!(
        r.canary.healthy_deadline,
        SimDuration::from_hours(24),
        "progressDeadlineAbort unset (false): Argo only marks the Rollout degraded, rollsim waits"
    );
    assert_eq!(
        i.origins["canary.steps[2].pause"],
        "from spec.strategy.canary.steps[5].pause (indefinite; assumed 30m)"
    );
    assert_eq!(
        i.origins["canary.scale_down_delay"],
        "Argo default (spec.strategy.canary.scaleDownDelaySeconds unset)"
    );
    assert!(mentions(&i, "latency-p99"), "{:?}", i.not_represented);
    assert!(mentions(&i, "`cpu`"), "{:?}", i.not_represented);
    assert!(mentions(&i, "steps[5].pause has no duration"));
}

#[test]
fn argo_blue_green_bakes_for_its_post_promotion_analysis() {
    let i = imported("argo-bluegreen.yaml");
    let r = &i.rollout;
    assert_eq!(r.strategy, Strategy::RedBlack);
    assert_eq!(r.red_black.bake, mins(30), "15 × 2m");
    assert_eq!(r.red_black.cleanup, Cleanup::Disable);
    assert_eq!(r.red_black.disabled_for, mins(10));
    assert_eq!(
        r.red_black.healthy_deadline,
        SimDuration::from_hours(24),
        "no progressDeadlineAbort: no abort at the deadline"
    );
    assert_eq!(r.analysis.max_error_rate, 0.005, "success ≥ 0.995");
    assert_eq!(r.analysis.failure_limit, 3);
    assert_eq!(r.analysis.interval, mins(2));
    assert!(mentions(&i, "prePromotionAnalysis"));
    assert!(mentions(&i, "previewReplicaCount (4)"));
}

#[test]
fn argo_defaults_apply_when_unset() {
    let source = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\n\
                  spec:\n  strategy:\n    blueGreen:\n      activeService: web\n";
    let i = import_str(source, Path::new("web.yaml")).unwrap();
    let r = &i.rollout;
    assert_eq!(r.red_black.disabled_for, SimDuration::from_secs(30));
    assert_eq!(r.red_black.healthy_deadline, SimDuration::from_hours(24));
    // With `progressDeadlineAbort: true` the deadline aborts, Argo's 600 s by default.
    let aborting = source.replace("spec:\n", "spec:\n  progressDeadlineAbort: true\n");
    let r = import_str(&aborting, Path::new("web.yaml"))
        .unwrap()
        .rollout;
    assert_eq!(r.red_black.healthy_deadline, mins(10), "Argo's 600 s");
    let r = import_str(
        &aborting.replace("spec:\n", "spec:\n  progressDeadlineSeconds: 120\n"),
        Path::new("web.yaml"),
    )
    .unwrap()
    .rollout;
    assert_eq!(r.rolling.healthy_deadline, mins(2));
    assert_eq!(r.analysis.max_error_rate, 1.0, "no analysis: nothing fails");
    let canary = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\n\
                  spec:\n  strategy:\n    canary:\n      steps: [{setWeight: 20}, {pause: {duration: 1h}}]\n";
    let r = import_str(canary, Path::new("web.yaml")).unwrap().rollout;
    assert_eq!(r.rolling.max_surge, Count::Percent(25.0));
    assert_eq!(r.rolling.max_unavailable, Count::Percent(25.0));
    assert_eq!(steps(&r), vec![(20.0, mins(60))]);
    let no_steps = canary.replace(
        "steps: [{setWeight: 20}, {pause: {duration: 1h}}]",
        "maxSurge: 1",
    );
    let r = import_str(&no_steps, Path::new("web.yaml"))
        .unwrap()
        .rollout;
    assert_eq!(
        r.strategy,
        Strategy::Rolling,
        "a canary without steps updates like a Deployment"
    );
    assert_eq!(r.rolling.max_surge, Count::Absolute(1));
}

#[test]
fn flagger_step_weight_climbs_to_max_weight_one_interval_each() {
    let i = imported("flagger-canary.yaml");
    let r = &i.rollout;
    assert_eq!(i.name.as_deref(), Some("backend"));
    assert_eq!(r.strategy, Strategy::Canary);
    assert_eq!(
        steps(r),
        [10.0, 20.0, 30.0, 40.0, 50.0]
            .map(|w| (w, mins(1)))
            .to_vec()
    );
    assert_eq!(r.analysis.failure_limit, 5);
    // request-success-rate ≥ 99.5% is stricter than the Datadog error ratio ≤ 0.02.
    assert_eq!(r.analysis.max_error_rate, 0.005);
    assert_eq!(r.canary.healthy_deadline, mins(5));
    assert!(r.canary.progress_deadline, "Kubernetes' progress deadline");
    assert_eq!(r.canary.scale_down_delay, SimDuration::ZERO);
    assert_eq!(
        r.analysis.max_latency_p99_ratio, 1000.0,
        "an absolute p99 limit cannot be judged relative to the old version"
    );
    assert!(mentions(&i, "request-duration ≤ 500 ms"));
    assert!(mentions(&i, "load-test"));
}

#[test]
fn flagger_iterations_become_a_red_black_bake() {
    let source = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\n\
                  spec:\n  targetRef: {name: api}\n  analysis:\n    interval: 2m\n    iterations: 10\n";
    let i = import_str(source, Path::new("api.yaml")).unwrap();
    assert_eq!(i.rollout.strategy, Strategy::RedBlack);
    assert_eq!(i.rollout.red_black.bake, mins(20));
    assert_eq!(
        i.rollout.analysis.failure_limit, 1,
        "Flagger's default threshold"
    );
    assert_eq!(i.rollout.red_black.healthy_deadline, mins(10));
}

#[test]
fn a_tools_launch_deadline_is_written_once_where_the_strategy_reads_it() {
    let defaults = RolloutSpec::default();
    for (name, strategy) in [
        ("argo-canary.yaml", Strategy::Canary),
        ("flagger-canary.yaml", Strategy::Canary),
        ("argo-bluegreen.yaml", Strategy::RedBlack),
    ] {
        let i = imported(name);
        assert_eq!(i.rollout.strategy, strategy, "{name}");
        let (written, untouched) = if strategy == Strategy::Canary {
            ("canary", "red_black")
        } else {
            ("red_black", "canary")
        };
        assert!(
            i.origins
                .contains_key(&format!("{written}.healthy_deadline")),
            "{name}: {:?}",
            i.origins.keys()
        );
        for field in ["healthy_deadline", "progress_deadline"] {
            let key = format!("{untouched}.{field}");
            assert!(!i.origins.contains_key(&key), "{name} writes {key}");
        }
        if strategy == Strategy::Canary {
            assert_eq!(i.rollout.red_black, defaults.red_black, "{name}");
        } else {
            assert_eq!(
                i.rollout.canary.healthy_deadline, defaults.canary.healthy_deadline,
                "{name}"
            );
        }
    }
}

fn flagger(analysis: &str) -> Imported {
    let source = format!(
        "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {{name: api}}\n\
         spec:\n  targetRef: {{name: api}}\n{analysis}"
    );
    import_str(&source, Path::new("api.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn flagger_last_step_passes_max_weight_as_flagger_does() {
    let i = flagger("  analysis:\n    interval: 1m\n    stepWeight: 20\n    maxWeight: 50\n");
    assert_eq!(
        steps(&i.rollout),
        [20.0, 40.0, 60.0].map(|w| (w, mins(1))).to_vec()
    );
    let capped = flagger("  analysis:\n    stepWeight: 30\n");
    assert_eq!(
        steps(&capped.rollout),
        [30.0, 60.0, 90.0, 100.0].map(|w| (w, mins(1))).to_vec()
    );
}

#[test]
fn flagger_iterations_win_over_step_weights() {
    let i = flagger(
        "  analysis:\n    interval: 1m\n    iterations: 5\n    stepWeight: 10\n    maxWeight: 50\n",
    );
    assert_eq!(i.rollout.strategy, Strategy::RedBlack);
    assert_eq!(i.rollout.red_black.bake, mins(5));
    assert!(mentions(&i, "spec.analysis.stepWeight: unused"));
    assert!(mentions(&i, "spec.analysis.maxWeight: unused"));
}

#[test]
fn flagger_kubernetes_provider_runs_blue_green_with_ten_iterations() {
    let i = flagger("  provider: kubernetes\n  analysis:\n    interval: 30s\n    stepWeight: 10\n");
    assert_eq!(i.rollout.strategy, Strategy::RedBlack);
    assert_eq!(i.rollout.red_black.bake, mins(5));
    assert!(mentions(
        &i,
        "with provider kubernetes Flagger runs blue/green with 10 iterations"
    ));
}

#[test]
fn flagger_interval_below_ten_seconds_is_raised_and_said() {
    let i = flagger("  analysis:\n    interval: 2s\n    stepWeight: 50\n");
    assert_eq!(i.rollout.analysis.interval, SimDuration::from_secs(10));
    assert!(mentions(&i, "spec.analysis.interval (2s)"));
}

#[test]
fn flagger_suspend_is_reported() {
    let i = flagger("  suspend: true\n  analysis:\n    stepWeight: 50\n");
    assert!(mentions(&i, "spec.suspend"));
}

fn argo(steps_and_more: &str) -> Imported {
    let source = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {{name: web}}\n{steps_and_more}"
    );
    import_str(&source, Path::new("web.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

/// An AnalysisTemplate `errors` judging the 5xx ratio below 5e-3, failing after 3.
const ERROR_TEMPLATE: &str = r#"---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: errors}
spec:
  metrics:
    - name: errors
      interval: 1m
      failureLimit: 2
      successCondition: result[0] < 5e-3
      provider:
        prometheus:
          query: 'sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m]))'
"#;

/// A canary at 50% judged by `ERROR_TEMPLATE` in the background, with `more` under
/// `canary.analysis`.
fn argo_judged_by_errors(more: &str) -> Imported {
    argo(&format!(
        "spec:\n  strategy:\n    canary:\n      analysis:\n        templates: [{{templateName: errors}}]\n{more}      steps:\n        - setWeight: 50\n{ERROR_TEMPLATE}"
    ))
}

#[test]
fn argo_conditions_with_exponents_read_exactly() {
    let i = argo_judged_by_errors("");
    assert_eq!(i.rollout.analysis.max_error_rate, 0.005);
    assert_eq!(i.rollout.analysis.failure_limit, 3);
}

#[test]
fn argo_dry_run_metrics_judge_nothing() {
    let i = argo_judged_by_errors("        dryRun: [{metricName: errors}]\n");
    assert_eq!(
        i.rollout.analysis.max_error_rate, 1.0,
        "a dry-run metric never fails the rollout"
    );
    assert!(mentions(&i, "(errors): a dry-run metric"));
}

#[test]
fn argo_paused_rollouts_and_steps_with_two_actions_are_reported() {
    let i = argo(concat!(
        "spec:\n  paused: true\n  strategy:\n    canary:\n      steps:\n",
        "        - setWeight: 20\n          pause: {duration: 1h}\n",
        "        - pause: {duration: 10m, until: never}\n",
    ));
    assert_eq!(steps(&i.rollout), vec![(20.0, mins(10))]);
    assert!(mentions(&i, "spec.paused"));
    assert!(mentions(
        &i,
        "spec.strategy.canary.steps[0].pause: set in the same step as setWeight"
    ));
    assert!(mentions(&i, "spec.strategy.canary.steps[1].pause.until"));
}

#[test]
fn spinnaker_scale_down_delay_without_scale_down_is_reported() {
    let source = r#"{"application": "web", "strategy": "redblack", "scaleDown": false,
                     "delayBeforeScaleDownSec": 600, "rollback": {"onFailure": true}}"#;
    let i = import_str(source, Path::new("s.json")).unwrap();
    assert_eq!(i.rollout.red_black.cleanup, Cleanup::Disable);
    assert!(mentions(&i, "delayBeforeScaleDownSec (10m)"));
}

#[test]
fn a_deployment_whose_limits_round_to_zero_rolls_one_instance_at_a_time() {
    // 10% of the backend's 6 instances rounds down to 0 and maxSurge is 0: Kubernetes then
    // lets 1 instance be unavailable rather than refuse the update.
    let file = scratch_dir().join("round-to-zero.yaml");
    std::fs::write(
        &file,
        concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: backend}\nspec:\n",
            "  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: 10%}\n",
        ),
    )
    .unwrap();
    let model = example("../netflix-2011.toml");
    rollsim_exits(
        0,
        &[
            "check",
            model.to_str().unwrap(),
            "--rollout",
            file.to_str().unwrap(),
            "--layer",
            "backend",
        ],
    );
}

#[test]
fn kubernetes_rolling_update_keeps_its_surge_and_unavailability() {
    let i = imported("kubernetes-deployment.yaml");
    let r = &i.rollout;
    assert_eq!(r.strategy, Strategy::Rolling);
    assert_eq!(r.rolling.max_surge, Count::Absolute(3));
    assert_eq!(r.rolling.max_unavailable, Count::Percent(10.0));
    assert_eq!(
        r.rolling.healthy_deadline,
        SimDuration::from_hours(24),
        "past progressDeadlineSeconds a Deployment is only reported failed"
    );
    assert_eq!(
        r.analysis.max_error_rate, 1.0,
        "a Deployment judges no metric"
    );
    assert!(mentions(&i, "spec.minReadySeconds (10s)"));
}

#[test]
fn kubernetes_defaults_and_recreate() {
    let bare =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 4\n";
    let i = import_str(bare, Path::new("d.yaml")).unwrap();
    assert_eq!(i.rollout.rolling.max_surge, Count::Percent(25.0));
    assert_eq!(i.rollout.rolling.max_unavailable, Count::Percent(25.0));
    assert_eq!(
        i.rollout.rolling.healthy_deadline,
        SimDuration::from_hours(24)
    );
    assert_eq!(
        i.origins["rolling.max_surge"],
        "Kubernetes default (spec.strategy.rollingUpdate.maxSurge unset)"
    );
    let recreate = format!("{bare}  strategy:\n    type: Recreate\n");
    let r = import_str(&recreate, Path::new("d.yaml")).unwrap().rollout;
    assert_eq!(r.rolling.max_surge, Count::Absolute(0));
    assert_eq!(r.rolling.max_unavailable, Count::Percent(100.0));
}

#[test]
fn spinnaker_pipeline_maps_its_kayenta_canary_and_scale_down() {
    let i = imported("spinnaker-pipeline.json");
    let r = &i.rollout;
    assert_eq!(i.name.as_deref(), Some("middle"));
    assert_eq!(r.strategy, Strategy::RedBlack);
    let canary = r
        .red_black
        .canary
        .as_ref()
        .expect("the kayentaCanary stage");
    assert_eq!((canary.instances, canary.duration), (2, mins(60)));
    assert_eq!(r.analysis.judge, JudgeKind::MannWhitney);
    assert_eq!(
        (r.analysis.pass_score, r.analysis.marginal_score),
        (80.0, 60.0)
    );
    assert_eq!(
        (r.analysis.delay, r.analysis.interval),
        (mins(10), mins(15))
    );
    assert_eq!(r.red_black.cleanup, Cleanup::ScaleDown);
    // delayBeforeScaleDownSec 900 is shorter than one check (10m + 15m).
    assert_eq!(r.red_black.bake, mins(25));
    assert_eq!(r.monitor, mins(30), "the manual judgment after the deploy");
    assert!(mentions(&i, "maxRemainingAsgs (2)"));
}

#[test]
fn spinnaker_rolling_red_black_ends_at_one_hundred_percent() {
    let i = imported("spinnaker-rolling-red-black.json");
    let r = &i.rollout;
    assert_eq!(r.strategy, Strategy::RollingRedBlack);
    assert_eq!(
        r.rolling_red_black.target_percentages,
        vec![10.0, 50.0, 100.0]
    );
    assert_eq!(r.red_black.cleanup, Cleanup::Disable);
    assert_eq!(r.analysis.max_error_rate, 1.0, "no judgment stage");
}

#[test]
fn asgard_deployment_maps_its_judgment_periods() {
    let i = imported("asgard-deployment.json");
    let r = &i.rollout;
    assert_eq!(r.strategy, Strategy::RedBlack);
    let canary = r.red_black.canary.as_ref().expect("doCanary");
    assert_eq!((canary.instances, canary.duration), (2, mins(30)));
    assert_eq!(r.red_black.bake, mins(120));
    assert_eq!(r.red_black.healthy_deadline, mins(30));
    assert_eq!(r.red_black.cleanup, Cleanup::Destroy);
    assert_eq!(
        r.analysis.max_error_rate, 0.01,
        "rollsim's default stands in for people"
    );
    let defaults = import_str(
        r#"{"clusterName": "api", "doCanary": true}"#,
        Path::new("a.json"),
    )
    .unwrap()
    .rollout;
    let canary = defaults.red_black.canary.unwrap();
    assert_eq!((canary.instances, canary.duration), (1, mins(60)));
    assert_eq!(defaults.red_black.bake, mins(240));
    assert_eq!(defaults.red_black.healthy_deadline, mins(40));
}

/// Runs rollsim, checks that it exits with `code` (and never panics); returns its
/// stdout and stderr.
fn rollsim_exits(code: i32, args: &[&str]) -> (String, String) {
    let output = Command::cargo_bin("rollsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        output.status.code(),
        Some(code),
        "rollsim {}: {stderr}",
        args.join(" ")
    );
    (stdout, stderr)
}

/// quickstart.toml without its rollouts.
fn quickstart_without_rollouts() -> String {
    let text = std::fs::read_to_string(example("../quickstart.toml")).unwrap();
    let mut table: toml::Table = toml::from_str(&text).unwrap();
    table.remove("rollouts");
    toml::to_string(&table).unwrap()
}

#[test]
fn printed_sections_read_back_as_the_same_rollout() {
    let base = quickstart_without_rollouts();
    for name in EXAMPLES {
        let file = example(name);
        let (printed, _) =
            rollsim_exits(0, &["import", file.to_str().unwrap(), "--layer", "backend"]);
        assert!(printed.contains("# from "), "{name}: origins as comments");
        let model = rollsim::scenario::parse(&format!("{base}\n{printed}"), Path::new(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\n{printed}"));
        assert_eq!(model.rollouts.len(), 1);
        assert_eq!(
            model.rollouts[0],
            imported(name).for_layer("backend"),
            "{name}"
        );
    }
}

#[test]
fn run_rehearses_an_imported_rollout() {
    let deployment = example("kubernetes-deployment.yaml");
    let (stdout, stderr) = rollsim_exits(
        0,
        &[
            "run",
            "models/quickstart.toml",
            "--rollout",
            deployment.to_str().unwrap(),
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["rollouts"][0]["strategy"], "rolling");
    assert_eq!(json["rollouts"][0]["layer"], "backend");
    assert!(
        stderr.contains("Kubernetes Deployment \"backend\""),
        "{stderr}"
    );
}

#[test]
fn compare_takes_an_imported_rollout_and_a_strategy() {
    let flagger = example("flagger-canary.yaml");
    let (text, _) = rollsim_exits(
        0,
        &[
            "compare",
            "models/quickstart.toml",
            "--rollout",
            flagger.to_str().unwrap(),
            "--strategy",
            "canary",
            "--strategy",
            "red-black",
            "--runs",
            "1",
            "--quiet",
            "--json",
        ],
    );
    assert!(
        text.contains("\"canary\"") && text.contains("\"red-black\""),
        "{text}"
    );
}

#[test]
fn plan_weighs_an_imported_rollout() {
    // The Deployment's rolling upgrade of the backend, priced against red/black.
    let deployment = example("kubernetes-deployment.yaml");
    let (text, _) = rollsim_exits(
        0,
        &[
            "plan",
            "models/quickstart.toml",
            "--rollout",
            deployment.to_str().unwrap(),
            "--runs",
            "2",
            "--quiet",
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let advice = &json["rollouts"][0];
    assert_eq!(advice["layer"], "backend");
    let strategies: Vec<&str> = advice["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies, ["red-black", "rolling"]);
    assert!(
        advice["recommendation"]
            .as_str()
            .unwrap()
            .starts_with("Roll backend with")
    );
}

#[test]
fn the_layer_must_be_known() {
    let flagger = example("flagger-canary.yaml");
    let (_, stderr) = rollsim_exits(
        2,
        &[
            "run",
            "models/quickstart.toml",
            "--rollout",
            flagger.to_str().unwrap(),
            "--layer",
            "checkout",
        ],
    );
    assert!(
        stderr.contains(
            "--layer checkout: the model has no such layer; its layers are backend, edge"
        ),
        "{stderr}"
    );
    // netflix-2011 rolls out two layers and the file names none of its layers.
    let dir = scratch_dir();
    let file = dir.join("checkout.yaml");
    std::fs::write(
        &file,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout}\nspec: {}\n",
    )
    .unwrap();
    let (_, stderr) = rollsim_exits(
        2,
        &[
            "run",
            "models/netflix-2011.toml",
            "--rollout",
            file.to_str().unwrap(),
        ],
    );
    assert!(stderr.contains("give --layer NAME"), "{stderr}");
    assert!(
        stderr.contains("The model has 2 rollouts (middle, backend)"),
        "{stderr}"
    );
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `rollsim import` on `source` saved as `name`: refused as bad input; returns stderr.
fn import_error(name: &str, source: &str) -> String {
    let file = scratch_dir().join(name);
    std::fs::write(&file, source).unwrap();
    rollsim_exits(2, &["import", file.to_str().unwrap()]).1
}

#[test]
fn bad_files_are_refused_with_file_and_field() {
    let cases = [
        (
            "broken.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  strategy: [unclosed\n",
            vec!["broken.yaml:", "not valid YAML"],
        ),
        (
            "service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
            vec![
                "service.yaml:2:7: field `kind`",
                "`Service` (v1) is not a rollout",
            ],
        ),
        (
            "nostrategy.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  replicas: 3\n",
            vec!["nostrategy.yaml:5:3: field `spec.strategy`", "missing"],
        ),
        (
            "badpause.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  strategy:\n    canary:\n      steps:\n        - setWeight: 20\n        - pause: {duration: soon}\n",
            vec![
                "badpause.yaml:9:29: field `spec.strategy.canary.steps[1].pause.duration`",
                "invalid duration",
            ],
        ),
        (
            "noanalysis.yaml",
            "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: web}\nspec:\n  targetRef: {name: web}\n",
            vec!["field `spec.analysis`", "missing"],
        ),
        (
            "bothzero.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: 0}\n",
            vec!["field `spec.strategy.rollingUpdate`", "both 0"],
        ),
        (
            "broken.json",
            "{\n  \"stages\": [\n    {\"type\": \"deploy\",}\n  ]\n}\n",
            vec!["broken.json:3:", "not valid JSON"],
        ),
        (
            "nonestrategy.json",
            "{\"type\": \"deploy\", \"clusters\": [{\"application\": \"web\", \"strategy\": \"none\"}]}",
            vec![
                "field `clusters[0].strategy`",
                "must be redblack, highlander or rollingredblack",
            ],
        ),
        (
            "halfstep.yaml",
            "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: web}\nspec:\n  analysis:\n    stepWeight: 0.5\n",
            vec![
                "halfstep.yaml:6:17: field `spec.analysis.stepWeight`",
                "whole number",
            ],
        ),
        (
            "backwards.yaml",
            "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: web}\nspec:\n  analysis:\n    stepWeights: [50, 10]\n",
            vec![
                "field `spec.analysis.stepWeights[1]`",
                "must be above the weight before it",
            ],
        ),
        (
            "overweight.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  strategy:\n    canary:\n      steps:\n        - setWeight: 150\n",
            vec![
                "overweight.yaml:8:22: field `spec.strategy.canary.steps[0].setWeight`",
                "between 0 and 100",
            ],
        ),
        (
            "endless.yaml",
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {{name: web}}\nspec:\n  strategy:\n    canary:\n      steps:\n{}",
                "        - setWeight: 50\n".repeat(1001)
            ),
            vec![
                "field `spec.strategy.canary.steps`",
                "has 1001 items; rollsim reads at most 1000",
            ],
        ),
        (
            "empty.yaml",
            "# nothing\n",
            vec!["empty.yaml: the file is empty"],
        ),
    ];
    for (name, source, needles) in cases {
        let stderr = import_error(name, source);
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{name}: expected {needle:?} in {stderr}"
            );
        }
    }
}

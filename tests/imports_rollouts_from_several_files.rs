//! Importing rollouts as people keep them: a Rollout and its analysis templates in
//! separate files or in one multi-document file, several objects in one file, a Rollout
//! that borrows a Deployment's pods, and the tools' own semantics where they surprise
//! (`progressDeadlineAbort`, Flagger's legacy `threshold`, Argo's `{{args.x}}`).

use std::path::{Path, PathBuf};
use std::process::Command;

use rollsim::import::{Choice, Imported, import_paths, import_str};
use rollsim::scenario::rollout::Strategy;

const ROLLOUT: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  strategy:
    canary:
      analysis:
        templates:
          - templateName: success-rate
        args:
          - name: service-name
            value: checkout.prod.svc
          - name: min-success
            value: \"0.97\"
      steps:
        - setWeight: 20
        - pause: {duration: 10m}
";

const TEMPLATES: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
    - name: service-name
    - name: min-success
      value: \"0.95\"
  metrics:
    - name: success-rate
      interval: 5s
      failureLimit: 2
      successCondition: result[0] >= {{args.min-success}}
      provider:
        prometheus:
          query: |
            sum(rate(http_requests_total{service=\"{{args.service-name}}\",code!~\"5..\"}[1m]))
            /
            sum(rate(http_requests_total{service=\"{{args.service-name}}\"}[1m]))
";

/// A fresh directory for this test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollsim-several-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn notes(i: &Imported) -> String {
    i.not_represented.join("\n")
}

#[test]
fn templates_in_a_second_file_give_the_same_rollout_as_one_multi_document_file() {
    let dir = scratch("two-files");
    let rollout = write(&dir, "rollout.yaml", ROLLOUT);
    let templates = write(&dir, "templates.yaml", TEMPLATES);
    let apart =
        import_paths(&[rollout, templates], &Choice::default()).unwrap_or_else(|e| panic!("{e}"));
    let together = import_str(
        &format!("{ROLLOUT}---\n{TEMPLATES}"),
        Path::new("together.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let directory = import_paths(std::slice::from_ref(&dir), &Choice::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(apart.rollout, together.rollout);
    assert_eq!(apart.rollout, directory.rollout);
    assert_eq!(apart.origins, together.origins);
    let analysis = &apart.rollout.analysis;
    // The Rollout's `min-success` (0.97) wins over the template's default (0.95).
    assert!(
        (analysis.max_error_rate - 0.03).abs() < 1e-9,
        "{}",
        analysis.max_error_rate
    );
    assert_eq!(analysis.failure_limit, 3, "failureLimit 2 + 1");
    assert_eq!(
        analysis.interval,
        rollsim::engine::SimDuration::from_secs(5)
    );
    // A 5 s check takes one sample per check, so the section checks as a model.
    assert!(analysis.sample_interval <= analysis.interval);
    assert!(
        !notes(&apart).contains("not among the files"),
        "{}",
        notes(&apart)
    );
}

#[test]
fn a_template_not_given_is_not_judged_and_the_header_says_so() {
    // What the missing template measures is unknown: rollsim judges nothing in its
    // place (its own defaults would raise alarms the tool never would), and says so.
    let i = import_str(ROLLOUT, Path::new("rollout.yaml")).unwrap();
    let analysis = &i.rollout.analysis;
    assert_eq!(analysis.max_error_rate, 1.0);
    assert!(analysis.max_latency_p99_ratio >= 1000.0);
    assert!(
        notes(&i).contains("\"success-rate\" is not among the files given"),
        "{}",
        notes(&i)
    );
    assert!(i.judged().sentence().starts_with("Judged: nothing"));
    assert!(
        !i.origins.values().any(|o| o.contains("names no analysis")),
        "{:?}",
        i.origins
    );
}

#[test]
fn several_rollouts_are_refused_without_a_name_and_picked_with_one() {
    let two = format!(
        "{ROLLOUT}---\n{}",
        ROLLOUT
            .replace("name: checkout", "name: payments")
            .replace("setWeight: 20", "setWeight: 40")
    );
    let dir = scratch("two-rollouts");
    let file = write(&dir, "both.yaml", &two);
    let error = import_paths(std::slice::from_ref(&file), &Choice::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("2 rollouts are given"), "{error}");
    assert!(error.contains("Rollout \"checkout\""), "{error}");
    assert!(error.contains("Rollout \"payments\""), "{error}");
    assert!(error.contains("--name"), "{error}");
    let payments = import_paths(
        std::slice::from_ref(&file),
        &Choice {
            name: Some("payments"),
            ..Choice::default()
        },
    )
    .unwrap();
    assert_eq!(payments.name.as_deref(), Some("payments"));
    assert_eq!(payments.rollout.canary.steps[0].weight, 40.0);
    let error = import_paths(
        &[file],
        &Choice {
            name: Some("nope"),
            ..Choice::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("no rollout is named \"nope\"") && error.contains("payments"),
        "{error}"
    );
}

#[test]
fn a_rollout_that_borrows_a_deployments_pods_is_imported_as_its_canary() {
    let source = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web-rollout}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  strategy:
    canary:
      steps: [{setWeight: 25}, {pause: {duration: 5m}}]
";
    let i = import_str(source, Path::new("workload.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(i.rollout.strategy, Strategy::Canary);
    assert_eq!(i.rollout.canary.steps[0].weight, 25.0);
    // Likewise a Flagger Canary and the Deployment it rolls.
    let flagger = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec: {replicas: 2}
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
      - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}
";
    let i = import_str(flagger, Path::new("flagger.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(i.description.contains("Flagger"), "{}", i.description);
}

#[test]
fn argo_waits_past_its_progress_deadline_unless_told_to_abort() {
    // Argo Rollouts' `progressDeadlineAbort` defaults to false: the Rollout is only
    // marked degraded. A healthy release that boots slowly must not be rolled back.
    let slow = ROLLOUT.replace(
        "spec:\n  strategy:",
        "spec:\n  progressDeadlineSeconds: 5\n  strategy:",
    );
    let i = import_str(&slow, Path::new("slow.yaml")).unwrap();
    assert_eq!(
        i.rollout.canary.healthy_deadline,
        rollsim::engine::SimDuration::from_hours(24)
    );
    assert!(i.origins["canary.healthy_deadline"].contains("degraded"));
    let aborting = slow.replace("spec:\n", "spec:\n  progressDeadlineAbort: true\n");
    let i = import_str(&aborting, Path::new("slow.yaml")).unwrap();
    assert_eq!(
        i.rollout.canary.healthy_deadline,
        rollsim::engine::SimDuration::from_secs(5)
    );
    assert!(i.rollout.canary.progress_deadline, "from the last progress");
}

/// A Flagger Canary whose success rate is judged by the legacy `threshold: 99`, rolled
/// back after 5 failed checks.
const FLAGGER_LEGACY_THRESHOLD: &str = "\
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
      - name: request-success-rate
        threshold: 99
        interval: 1m
";

#[test]
fn flagger_legacy_threshold_on_success_rate_is_a_minimum() {
    // Flagger: `threshold: 99` on request-success-rate means "minimum req success rate
    // (non 5xx responses) percentage", like `thresholdRange.min: 99`.
    let canary = FLAGGER_LEGACY_THRESHOLD;
    let i = import_str(canary, Path::new("canary.yaml")).unwrap();
    assert!(
        (i.rollout.analysis.max_error_rate - 0.01).abs() < 1e-9,
        "{}",
        i.rollout.analysis.max_error_rate
    );
    assert!(!notes(&i).contains("wrong way"), "{}", notes(&i));
}

#[test]
fn legacy_single_template_name_is_resolved() {
    let legacy = ROLLOUT.replace(
        "        templates:\n          - templateName: success-rate\n",
        "        templateName: success-rate\n",
    );
    let i = import_str(
        &format!("{legacy}---\n{TEMPLATES}"),
        Path::new("legacy.yaml"),
    )
    .unwrap();
    assert!((i.rollout.analysis.max_error_rate - 0.03).abs() < 1e-9);
}

#[test]
fn a_rollout_with_two_strategies_is_refused_as_argo_refuses_it() {
    let both = ROLLOUT.replace(
        "    canary:\n",
        "    blueGreen: {activeService: web}\n    canary:\n",
    );
    let error = import_str(&both, Path::new("both.yaml"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("both `blueGreen` and `canary`"), "{error}");
    assert!(error.contains("both.yaml:"), "{error}");
}

#[test]
fn helm_templates_are_refused_with_the_way_out() {
    let helm = "{{- if .Values.canary.enabled }}\napiVersion: flagger.app/v1beta1\nkind: Canary\n\
                metadata:\n  name: {{ template \"podinfo.fullname\" . }}\n{{- end }}\n";
    let error = import_str(helm, Path::new("canary.yaml"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("canary.yaml:1:"), "{error}");
    assert!(error.contains("helm template"), "{error}");
    // Argo's own placeholders are not Helm.
    assert!(import_str(&format!("{ROLLOUT}---\n{TEMPLATES}"), Path::new("a.yaml")).is_ok());
}

#[test]
fn a_pipeline_array_lists_its_pipelines_and_imports_the_one_named() {
    let pipeline = |name: &str| {
        format!(
            r#"{{"name": "{name}", "application": "shop", "stages": [{{"type": "deploy", "clusters": [{{"strategy": "redblack", "capacity": {{"desired": 4}}}}]}}]}}"#
        )
    };
    let array = format!("[{}, {}]", pipeline("to-staging"), pipeline("to-prod"));
    let error = import_str(&array, Path::new("pipelines.json"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("\"to-staging\"") && error.contains("\"to-prod\""),
        "{error}"
    );
    let dir = scratch("pipelines");
    let file = write(&dir, "pipelines.json", &array);
    let i = import_paths(
        &[file],
        &Choice {
            name: Some("to-prod"),
            ..Choice::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(i.rollout.strategy, Strategy::RedBlack);
}

#[test]
fn the_import_command_takes_several_files_and_a_name() {
    let dir = scratch("cli");
    let rollout = write(&dir, "rollout.yaml", ROLLOUT);
    let templates = write(&dir, "templates.yaml", TEMPLATES);
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .arg("import")
        .arg(&rollout)
        .arg(&templates)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("max_error_rate = 0.03"), "{stdout}");
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .arg("import")
        .arg(&dir)
        .args(["--name", "checkout"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_promoted_latency_defect_under_an_error_rate_only_analysis_says_latency_was_not_judged() {
    let dir = scratch("missed");
    let rollout = write(
        &dir,
        "errors-only.yaml",
        "\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: backend}
spec:
  strategy:
    canary:
      analysis:
        templates: [{templateName: errors}]
      steps: [{setWeight: 50}, {pause: {duration: 5m}}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: errors}
spec:
  metrics:
    - name: error-rate
      interval: 1m
      failureCondition: result[0] > 0.02
      provider:
        prometheus:
          query: sum(rate(http_requests_total{code=~\"5..\"}[1m])) / sum(rate(http_requests_total[1m]))
",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(["run", "models/quickstart.toml", "--rollout"])
        .arg(&rollout)
        .args([
            "--set",
            "rollout.release.latency_factor=3",
            "--set",
            "duration=1h",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Not judged: latency"), "{stderr}");
    assert!(stdout.contains("): promoted"), "{stdout}");
    assert!(
        stdout.contains("A defective release was promoted")
            && stdout.contains("latency is not judged"),
        "{stdout}"
    );
}

#[test]
fn an_argo_canary_without_a_traffic_router_splits_traffic_by_pods() {
    use rollsim::scenario::rollout::CanaryTraffic;
    let i = import_str(ROLLOUT, Path::new("rollout.yaml")).unwrap();
    assert_eq!(i.rollout.canary.traffic, CanaryTraffic::Replicas);
    assert!(i.origins["canary.traffic"].contains("share of pods"));
    let routed = ROLLOUT.replace(
        "      steps:\n",
        "      trafficRouting:\n        nginx: {stableIngress: web}\n      steps:\n",
    );
    let i = import_str(&routed, Path::new("rollout.yaml")).unwrap();
    assert_eq!(i.rollout.canary.traffic, CanaryTraffic::Weights);
}

#[test]
fn asgard_deployment_steps_become_red_black_with_their_canary_judgment_and_cleanup() {
    let steps = r#"{"deploymentOptions": {"clusterName": "hello", "steps": [
        {"type": "Wait", "durationMinutes": 5},
        {"type": "CreateAsg"},
        {"type": "Resize", "targetAsg": "Next", "capacity": 1, "startUpTimeoutMinutes": 30},
        {"type": "Judgment", "durationMinutes": 60},
        {"type": "Resize", "targetAsg": "Next", "capacity": 6, "startUpTimeoutMinutes": 40},
        {"type": "DisableAsg", "targetAsg": "Previous"},
        {"type": "Judgment", "durationMinutes": 120},
        {"type": "DeleteAsg", "targetAsg": "Previous"}]}}"#;
    let i = import_str(steps, Path::new("asgard.json")).unwrap_or_else(|e| panic!("{e}"));
    let rb = &i.rollout.red_black;
    let minutes = rollsim::engine::SimDuration::from_mins;
    assert_eq!(i.rollout.strategy, Strategy::RedBlack);
    let canary = rb.canary.as_ref().expect("the judged 1-instance resize");
    assert_eq!((canary.instances, canary.duration), (1, minutes(60)));
    assert_eq!(rb.healthy_deadline, minutes(40));
    assert_eq!(rb.bake, minutes(120));
    assert_eq!(rb.cleanup, rollsim::scenario::rollout::Cleanup::Destroy);
    // Without a DisableAsg both ASGs keep serving: refused, saying so.
    let no_switch = steps.replace(r#"{"type": "DisableAsg", "targetAsg": "Previous"},"#, "");
    let error = import_str(&no_switch, Path::new("asgard.json"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("DisableAsg"), "{error}");
}

/// Asserts that one of `i`'s notes mentions `needle`.
fn assert_noted(i: &Imported, needle: &str) {
    assert!(notes(i).contains(needle), "{needle:?} not in: {}", notes(i));
}

/// An Argo canary with `steps` (and `more` under `canary`), routed by nginx if `routed`.
fn argo_canary(steps: &str, more: &str, routed: bool) -> Imported {
    let router = if routed {
        "      trafficRouting:\n        nginx: {stableIngress: web}\n"
    } else {
        ""
    };
    let source = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {{name: web}}\nspec:\n  \
         strategy:\n    canary:\n{router}{more}      steps:\n{steps}"
    );
    import_str(&source, Path::new("web.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn argo_set_canary_scale_sizes_each_step_until_match_traffic_weight() {
    // docs/features/canary, "Setting Canary Scale": `replicas` or `weight` (percent of
    // spec.replicas) sizes the canary apart from its traffic weight, from that step on,
    // until `matchTrafficWeight: true`; only with trafficRouting (UseSetCanaryScale).
    use rollsim::scenario::rollout::Count;
    let steps = "        - setCanaryScale: {replicas: 2}
        - setWeight: 20
        - pause: {duration: 2m}
        - setWeight: 30
        - setCanaryScale: {weight: 50}
        - pause: {duration: 2m}
        - setCanaryScale: {matchTrafficWeight: true}
        - setWeight: 60
        - pause: {duration: 2m}
";
    let i = argo_canary(steps, "", true);
    let scales: Vec<Option<Count>> = i.rollout.canary.steps.iter().map(|s| s.scale).collect();
    assert_eq!(
        scales,
        vec![Some(Count::Absolute(2)), Some(Count::Percent(50.0)), None]
    );
    assert!(i.origins["canary.steps[1].scale"].contains("setCanaryScale.weight"));
    let text = rollsim::import::render::to_toml(&i, Path::new("web.yaml"), "web");
    let table: toml::Table = toml::from_str(&text).unwrap();
    let back: rollsim::scenario::rollout::RolloutSpec =
        table["rollouts"][0].clone().try_into().unwrap();
    assert_eq!(
        back.canary.steps, i.rollout.canary.steps,
        "the section reads back"
    );
    let unrouted = argo_canary(steps, "", false);
    assert!(
        unrouted
            .rollout
            .canary
            .steps
            .iter()
            .all(|s| s.scale.is_none())
    );
    assert_noted(&unrouted, "only with trafficRouting");
}

#[test]
fn argo_dynamic_stable_scale_shrinks_the_stable_stack_only_with_a_traffic_router() {
    // docs/features/canary, "Dynamic Stable Scale (with Traffic Routing)".
    let steps = "        - setWeight: 50\n        - pause: {duration: 5m}\n";
    let more = "      dynamicStableScale: true\n";
    let i = argo_canary(steps, more, true);
    assert!(i.rollout.canary.dynamic_stable_scale);
    assert!(!notes(&i).contains("dynamicStableScale"), "{}", notes(&i));
    let unrouted = argo_canary(steps, more, false);
    assert!(!unrouted.rollout.canary.dynamic_stable_scale);
    assert_noted(&unrouted, "dynamicStableScale");
}

#[test]
fn argo_steps_without_set_weight_hold_at_no_traffic_then_go_to_full_weight() {
    // utils/replicaset/canary.go, GetCurrentSetWeight: the weight is 0 until a setWeight
    // step and 100 once the steps are done.
    let steps = "        - setCanaryScale: {replicas: 1}\n        - pause: {duration: 10m}\n";
    let routed = argo_canary(steps, "", true);
    assert_eq!(routed.rollout.strategy, Strategy::Canary);
    let weights: Vec<f64> = routed
        .rollout
        .canary
        .steps
        .iter()
        .map(|s| s.weight)
        .collect();
    assert_eq!(weights, vec![100.0]);
    assert_noted(&routed, "GetCurrentSetWeight");
    assert_noted(&routed, "at weight 0");
    let unrouted = argo_canary(steps, "", false);
    assert_eq!(unrouted.rollout.strategy, Strategy::Rolling);
}

#[test]
fn each_tool_counts_failed_checks_as_it_does() {
    use rollsim::scenario::rollout::FailureCounting;
    // Argo: failed measurements in all (analysis/analysis.go, `result.Failed >
    // failureLimit`); failureLimit 2 allows two, the third fails.
    let dir = scratch("counting");
    write(&dir, "rollout.yaml", ROLLOUT);
    write(&dir, "templates.yaml", TEMPLATES);
    let argo = import_paths(&[dir], &Choice::default()).unwrap();
    assert_eq!(
        argo.rollout.analysis.failure_counting,
        FailureCounting::Total
    );
    assert_eq!(argo.rollout.analysis.failure_limit, 3);
    // Flagger: failedChecks + 1 on every failed check (pkg/controller/scheduler.go).
    let flagger = import_str(FLAGGER_LEGACY_THRESHOLD, Path::new("canary.yaml")).unwrap();
    assert_eq!(
        flagger.rollout.analysis.failure_counting,
        FailureCounting::Total
    );
    assert_eq!(flagger.rollout.analysis.failure_limit, 5);
    assert!(
        flagger
            .judged()
            .sentence()
            .contains("5 failed checks in all abort")
    );
    // Spinnaker's Kayenta stage: an interval at or below the marginal score ends it
    // (orca-kayenta, MonitorKayentaCanaryTask).
    let pipeline =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/imported/spinnaker-pipeline.json");
    let spinnaker = import_paths(&[pipeline], &Choice::default()).unwrap();
    assert_eq!(spinnaker.rollout.analysis.failure_limit, 1);
}

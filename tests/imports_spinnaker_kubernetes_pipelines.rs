//! Spinnaker pipelines of the Kubernetes (v2) provider, as Spinnaker's own examples
//! write them: `deployManifest` stages with traffic management, pipelines that run
//! red/black themselves (`disableManifest`, `scaleManifest`), and pipelines with one
//! deploy stage per environment or service, picked with `--stage`.

use std::path::Path;

use rollsim::import::{Choice, import_paths, import_str};
use rollsim::scenario::rollout::{Cleanup, Strategy};

fn replica_set(name: &str) -> String {
    format!(
        r#"{{"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {{"name": "{name}"}}, "spec": {{"replicas": 3}}}}"#
    )
}

fn deploy_manifest(name: &str, ref_id: &str, manifests: &str, traffic: &str) -> String {
    format!(
        r#"{{"type": "deployManifest", "name": "{name}", "refId": "{ref_id}", "source": "text", "cloudProvider": "kubernetes", "account": "k8s", "manifests": [{manifests}]{traffic}}}"#
    )
}

fn pipeline(stages: &[String]) -> String {
    format!(
        r#"{{"name": "ship", "application": "web", "stages": [{}]}}"#,
        stages.join(", ")
    )
}

fn traffic(strategy: &str) -> String {
    format!(
        r#", "trafficManagement": {{"enabled": true, "options": {{"strategy": "{strategy}", "enableTraffic": true, "services": ["service web"]}}}}"#
    )
}

#[test]
fn traffic_management_red_black_is_red_black_with_the_old_replica_set_disabled() {
    let wait = r#"{"type": "wait", "name": "Bake", "refId": "2", "waitTime": 900}"#.to_string();
    let source = pipeline(&[
        deploy_manifest("Deploy", "1", &replica_set("web"), &traffic("redblack")),
        wait,
    ]);
    let i = import_str(&source, Path::new("p.json")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(i.rollout.strategy, Strategy::RedBlack);
    assert_eq!(i.rollout.red_black.cleanup, Cleanup::Disable);
    assert_eq!(
        i.rollout.red_black.bake,
        rollsim::engine::SimDuration::from_mins(15)
    );
    assert!(
        i.origins["strategy"].contains("trafficManagement.options.strategy"),
        "{:?}",
        i.origins
    );
    assert!(
        i.description.contains("deployManifest"),
        "{}",
        i.description
    );
    let highlander = pipeline(&[deploy_manifest(
        "Deploy",
        "1",
        &replica_set("web"),
        &traffic("highlander"),
    )]);
    let i = import_str(&highlander, Path::new("p.json")).unwrap();
    assert_eq!(i.rollout.strategy, Strategy::Highlander);
}

#[test]
fn a_pipeline_that_disables_and_scales_the_old_replica_set_is_red_black_with_scale_down() {
    let source = pipeline(&[
        deploy_manifest("Deploy", "1", &replica_set("hello"), ""),
        r#"{"type": "disableManifest", "name": "Disable", "refId": "2", "criteria": "second_newest"}"#
            .to_string(),
        r#"{"type": "scaleManifest", "name": "Scale", "refId": "3", "criteria": "second_newest", "replicas": 1}"#
            .to_string(),
    ]);
    let i = import_str(&source, Path::new("p.json")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(i.rollout.strategy, Strategy::RedBlack);
    assert_eq!(i.rollout.red_black.cleanup, Cleanup::ScaleDown);
    assert_eq!(i.rollout.analysis.max_error_rate, 1.0, "nothing judges");
}

#[test]
fn a_deployment_deployed_by_manifest_is_its_own_rolling_update() {
    let deployment = r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 4, "strategy": {"rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}}}"#;
    let config = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "api-config"}}"#;
    let source = pipeline(&[
        deploy_manifest("Deploy Config", "1", config, ""),
        deploy_manifest("Deploy", "2", deployment, ""),
        r#"{"type": "manualJudgment", "name": "Check", "refId": "3"}"#.to_string(),
    ]);
    let i = import_str(&source, Path::new("p.json")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(i.rollout.strategy, Strategy::Rolling);
    assert_eq!(
        i.rollout.rolling.max_surge,
        rollsim::scenario::rollout::Count::Absolute(2)
    );
    assert_eq!(i.name.as_deref(), Some("api"));
    assert!(
        i.not_represented
            .iter()
            .any(|n| n.contains("already rolled out")),
        "{:?}",
        i.not_represented
    );
}

#[test]
fn several_deploy_stages_are_listed_and_picked_by_name_or_ref_id() {
    let judgment = |ref_id: &str| {
        format!(r#"{{"type": "wait", "name": "Soak", "refId": "{ref_id}", "waitTime": 600}}"#)
    };
    let source = pipeline(&[
        deploy_manifest("To staging", "1", &replica_set("web"), &traffic("redblack")),
        judgment("2"),
        deploy_manifest("To prod", "3", &replica_set("web"), &traffic("redblack")),
        judgment("4"),
        judgment("5"),
    ]);
    let error = import_str(&source, Path::new("p.json"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("2 deploy stages")
            && error.contains("\"To staging\" (stages[0], refId 1)")
            && error.contains("\"To prod\" (stages[2], refId 3)")
            && error.contains("--stage"),
        "{error}"
    );
    let dir = std::env::temp_dir().join(format!("rollsim-spin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pipeline.json");
    std::fs::write(&file, &source).unwrap();
    let pick = |stage: &str| {
        import_paths(
            std::slice::from_ref(&file),
            &Choice {
                stage: Some(stage),
                ..Choice::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    // Each deploy is judged by the stages up to the next deploy: staging by one soak,
    // production by two.
    let minutes = rollsim::engine::SimDuration::from_mins;
    assert_eq!(pick("To staging").rollout.red_black.bake, minutes(10));
    assert_eq!(pick("3").rollout.red_black.bake, minutes(20));
    let error = import_paths(
        &[file],
        &Choice {
            stage: Some("qa"),
            ..Choice::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("\"qa\"") && error.contains("To prod"),
        "{error}"
    );
}

#[test]
fn manifests_rollsim_cannot_see_or_roll_are_refused_with_the_reason() {
    let side_by_side = pipeline(&[deploy_manifest("Deploy", "1", &replica_set("web"), "")]);
    let error = import_str(&side_by_side, Path::new("p.json"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("without traffic management") && error.contains("disableManifest"),
        "{error}"
    );
    let artifact = pipeline(&[
        r#"{"type": "deployManifest", "name": "Deploy", "refId": "1", "source": "artifact", "manifestArtifactId": "abc"}"#
            .to_string(),
    ]);
    let error = import_str(&artifact, Path::new("p.json"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("comes from an artifact"), "{error}");
    assert!(error.contains("p.json:"), "{error}");
}

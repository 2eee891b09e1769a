//! Argo's `blueGreen` strategy as red/black: the preview stack is the new cluster,
//! promotion the switch, post-promotion analysis the bake.

use super::*;

pub(super) fn blue_green_strategy(
    draft: &mut Draft,
    bg: &Obj<'_>,
    documents: &[Document],
) -> Result<(), ScenarioError> {
    let path = bg.path.clone();
    draft.spec.strategy = Strategy::RedBlack;
    draft.came_from("strategy", &path);
    draft.skip(
        bg,
        &[
            "activeService",
            "previewService",
            "activeMetadata",
            "previewMetadata",
            "antiAffinity",
        ],
    );
    let auto = bg
        .with("autoPromotionEnabled", |f| f.bool())?
        .unwrap_or(true);
    if !auto {
        draft.not_represented(format!(
            "{path}.autoPromotionEnabled is false (a person promotes): rollsim switches as soon as \
             the new cluster is healthy"
        ));
    }
    if let Some(wait) = bg.with("autoPromotionSeconds", |f| f.seconds())? {
        draft.not_represented(format!(
            "{path}.autoPromotionSeconds ({wait}): rollsim switches as soon as the new cluster is \
             healthy, without waiting"
        ));
    }
    if let Some(preview) = bg.with("previewReplicaCount", |f| f.u32_up_to(u32::MAX))? {
        draft.not_represented(format!(
            "{path}.previewReplicaCount ({preview}): the preview stack takes no production traffic, \
             so rollsim launches the full new cluster at once"
        ));
    }
    if let Some(pre) = bg.get("prePromotionAnalysis") {
        let run = analysis_run(draft, &pre.obj()?, documents)?;
        draft.not_represented(format!(
            "{}: judges the preview stack on test traffic before the switch ({}); rollsim has no \
             test traffic, so its thresholds judge the bake after the switch instead",
            pre.path,
            run.map_or_else(|| "length unknown".to_string(), |d| d.to_string())
        ));
    }
    let post = match bg.get("postPromotionAnalysis") {
        Some(post) => analysis_run(draft, &post.obj()?, documents)?.map(|d| (d, post.path.clone())),
        None => None,
    };
    if !draft_has_analysis(draft) {
        draft.never_judge(&no_analysis_reason(draft, "readiness"));
    }
    match post {
        Some((length, source)) => {
            draft.spec.red_black.bake = draft.judged_phase("red_black.bake", length, &source);
            draft.came_from(
                "red_black.bake",
                &format!("{source} (the analysis run's length)"),
            );
        }
        None => {
            draft.spec.red_black.bake = draft.first_check();
            draft.assumed(
                "red_black.bake",
                "no postPromotionAnalysis: Argo does not bake; rollsim's shortest judged bake",
            );
        }
    }
    let delay = bg.with("scaleDownDelaySeconds", |f| f.seconds())?;
    draft.spec.red_black.cleanup = Cleanup::Disable;
    draft.assumed(
        "red_black.cleanup",
        "Argo keeps the old stack running for scaleDownDelaySeconds, then scales it to zero",
    );
    draft.spec.red_black.disabled_for = delay.unwrap_or(SimDuration::from_secs(30));
    draft.came_from_or_default(
        "red_black.disabled_for",
        delay.is_some(),
        TOOL,
        &format!("{path}.scaleDownDelaySeconds"),
    );
    abort_delay(draft, bg)?;
    draft.skip(bg, &["scaleDownDelayRevisionLimit"]);
    draft.unread(bg, "ignored");
    Ok(())
}

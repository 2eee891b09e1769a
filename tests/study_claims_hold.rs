//! Every study's claims hold against its committed results: each folder of
//! `experiments/` with a `results.jsonl` has a claims block in its README (a fenced
//! ```` ```claims ```` block of `[[claim]]` tables, see `rollsim::plan::claims`), and
//! every claim's statistic, recomputed from the results over the runs it selects and
//! conditioned as it says, is the value it states. A failure names the study, the claim's
//! sentence, the value recomputed and the one claimed.

use std::path::PathBuf;

use rollsim::plan::claims;

/// Every folder of `experiments/` with a `results.jsonl`.
fn studies_with_results() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("experiments")
        .unwrap()
        .filter_map(|entry| {
            let dir = entry.unwrap().path();
            dir.join("results.jsonl").is_file().then_some(dir)
        })
        .collect();
    found.sort();
    found
}

#[test]
fn every_study_with_results_states_its_claims() {
    let studies = studies_with_results();
    assert!(studies.len() >= 7, "{studies:?}");
    for dir in studies {
        let readme = std::fs::read_to_string(dir.join("README.md"))
            .unwrap_or_else(|e| panic!("{}: README.md: {e}", dir.display()));
        let block = claims::of_readme(&readme)
            .unwrap_or_else(|e| panic!("{}/README.md: {e}", dir.display()));
        let count = block.map_or(0, |c| c.len());
        assert!(
            count >= 5,
            "{}/README.md: {count} claims; a study states its main numeric claims (5 or more) \
             in a ```claims block",
            dir.display()
        );
    }
}

#[test]
fn every_claim_holds_against_its_studys_results() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in studies_with_results() {
        let study = dir.file_name().unwrap().to_string_lossy().into_owned();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let Some(block) = claims::of_readme(&readme).unwrap() else {
            continue; // the test above names it
        };
        let results = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
        match claims::check_all(&block, &results) {
            Err(e) => failures.push(format!("{study}: {e}")),
            Ok(verdicts) => {
                for (claim, verdict) in block.iter().zip(verdicts) {
                    checked += 1;
                    if !verdict.holds {
                        failures.push(format!(
                            "{study}: \"{}\": recomputed {:?} of {} over {} runs = {}, claimed {}",
                            claim.text,
                            claim.statistic,
                            claim
                                .metric
                                .as_deref()
                                .or(claim.predicate.as_deref())
                                .unwrap_or(""),
                            verdict.n,
                            verdict.value,
                            verdict.expected
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} claims do not hold:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

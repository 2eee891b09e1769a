//! The engine, run through `rollsim validate`'s cases at their full size, agrees with
//! Erlang C, Pollaczek–Khinchine and Little's law.

use std::sync::OnceLock;

use rollsim::validate::{self, CaseResult};

/// The full size, as `rollsim validate` runs it: ~15 s in release mode on 2 cores.
const CI_SCALE: f64 = 1.0;

fn results() -> &'static [CaseResult] {
    static RESULTS: OnceLock<Vec<CaseResult>> = OnceLock::new();
    RESULTS.get_or_init(|| validate::run(1, CI_SCALE))
}

fn case(prefix: &str) -> &'static CaseResult {
    results()
        .iter()
        .find(|r| r.label.starts_with(prefix))
        .unwrap_or_else(|| panic!("no case {prefix}"))
}

fn assert_passes(result: &CaseResult, metric: &str) {
    let check = result.checks.iter().find(|c| c.metric == metric).unwrap();
    assert!(
        check.pass,
        "{} {}: simulated {:?} vs theory {} ({:+.2}%)",
        result.label,
        metric,
        check.simulated,
        check.theory,
        check.relative_error * 100.0
    );
}

#[test]
fn mmc_wait_matches_erlang_c_within_two_percent_or_its_interval() {
    for prefix in [
        "M/M/1 ρ=0.50",
        "M/M/1 ρ=0.80",
        "M/M/1 ρ=0.95",
        "M/M/4 ",
        "M/M/10 ",
        "M/M/16 ",
        "M/M/64 ",
    ] {
        for metric in ["P(wait)", "Wq", "W"] {
            assert_passes(case(prefix), metric);
        }
    }
}

#[test]
fn erlang_c_design_example_is_reproduced() {
    // DESIGN.md: c = 10, a = 8 → P(wait) = 0.4092, Wq = 0.2046 service times (10 ms).
    let result = case("M/M/10 ");
    let p_wait = &result.checks[0];
    assert!((p_wait.theory - 0.4092).abs() < 5e-5);
    assert!(
        (p_wait.simulated.mean - 0.4092).abs() < 0.01,
        "{:?}",
        p_wait.simulated
    );
    let wq = &result.checks[1];
    assert!((wq.theory * 1e3 - 2.046).abs() < 1e-3);
}

#[test]
fn md1_and_lognormal_mg1_match_pollaczek_khinchine() {
    for prefix in ["M/D/1", "M/G/1"] {
        for metric in ["P(wait)", "Wq", "W"] {
            assert_passes(case(prefix), metric);
        }
    }
    // Deterministic service halves M/M/1's wait at the same load: theory says so, and
    // the simulation must see a clearly shorter wait than the exponential case.
    let md1 = case("M/D/1").checks[1].simulated.mean;
    let mm1 = case("M/M/1 ρ=0.80").checks[1].simulated.mean;
    assert!((md1 / mm1 - 0.5).abs() < 0.03, "M/D/1 {md1} vs M/M/1 {mm1}");
}

#[test]
fn littles_law_holds_at_every_case() {
    for result in results() {
        assert!(
            result.little.relative_error() < validate::LITTLE_TOLERANCE,
            "{}: {:?}",
            result.label,
            result.little
        );
        let queue_error = (result.little.lq - result.little.lambda_wq).abs() / result.little.lq;
        assert!(
            queue_error < 0.02,
            "{}: Lq {:?}",
            result.label,
            result.little
        );
    }
}

#[test]
fn every_case_passes_and_the_table_says_so() {
    let table = validate::table::render(results(), 1);
    assert!(results().iter().all(CaseResult::pass), "{table}");
    assert!(
        table.contains("PASS: all 9 cases agree with theory"),
        "{table}"
    );
}

//! The Mann–Whitney U test (Wilcoxon rank-sum) and the Hodges–Lehmann shift estimate:
//! the statistics behind a Kayenta-style canary judge.
//!
//! Two-sided p-value from the normal approximation with tie correction and continuity
//! correction (as R's `wilcox.test(exact = FALSE, correct = TRUE)` and SciPy's
//! `mannwhitneyu(method="asymptotic")`); fine from ~8 values per sample, which is what
//! a judge sees (a point per sample interval). The p-value is erfc(|z|/√2), which keeps
//! its digits far into the tail where 2(1 − Φ(|z|)) would round to 0.

use super::special::erfc;
pub use super::special::normal_cdf;

/// The result of comparing sample `x` with sample `y`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of `x`: pairs (xᵢ, yⱼ) with xᵢ > yⱼ, ties counting ½.
    pub u: f64,
    /// Two-sided p-value of "same distribution".
    pub p_value: f64,
    /// Hodges–Lehmann estimate of the shift of `x` over `y`: the median of all xᵢ − yⱼ.
    pub shift: f64,
}

/// Compares `x` with `y`; `None` if either is empty.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|v| (*v, true))
        .chain(y.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Average ranks over ties; Σ(t³ − t) for the variance correction.
    let (mut rank_sum_x, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_x += average_rank * all[i..=j].iter().filter(|(_, in_x)| *in_x).count() as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let u = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let n = n1 + n2;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    let p_value = if variance <= 0.0 {
        1.0
    } else {
        let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
        erfc(z / std::f64::consts::SQRT_2).min(1.0)
    };
    let mut differences: Vec<f64> = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| a - b))
        .collect();
    differences.sort_by(f64::total_cmp);
    let k = differences.len();
    let shift = if k % 2 == 1 {
        differences[k / 2]
    } else {
        (differences[k / 2 - 1] + differences[k / 2]) / 2.0
    };
    Some(MannWhitney { u, p_value, shift })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_samples_match_the_textbook_asymptotic_p_value() {
        // SciPy: mannwhitneyu([1..5], [6..10], method="asymptotic") → U = 0, p = 0.01219.
        let r = mann_whitney(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert_eq!(r.u, 0.0);
        assert!((r.p_value - 0.012_19).abs() < 2e-4, "{}", r.p_value);
        assert_eq!(r.shift, -5.0);
    }

    #[test]
    fn identical_samples_are_not_different() {
        let a = [3.0, 1.0, 2.0, 5.0, 4.0];
        let r = mann_whitney(&a, &a).unwrap();
        assert!(r.p_value > 0.9, "{}", r.p_value);
        assert_eq!(r.shift, 0.0);
        let constant = mann_whitney(&[1.0; 6], &[1.0; 6]).unwrap();
        assert_eq!(
            constant.p_value, 1.0,
            "all ties: no evidence of a difference"
        );
    }

    #[test]
    fn ties_are_ranked_by_their_average() {
        // Ranks 1, 3, 3, 5.5 for x (ties 2,2,2 → 3 and 3,3 → 5.5): W = 12.5, U = 2.5.
        // σ² = 16/12 · (9 − (24 + 6)/56) = 11.286; z = (5.5 − 0.5)/3.359 = 1.488;
        // p = 2(1 − Φ(1.488)) = 0.1367 (R: wilcox.test(exact = FALSE) gives the same).
        let r = mann_whitney(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(r.u, 2.5);
        assert!((r.p_value - 0.1367).abs() < 1e-3, "{}", r.p_value);
    }

    #[test]
    fn the_normal_cdf_is_accurate() {
        assert_eq!(normal_cdf(0.0), 0.5);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-15);
        assert!((normal_cdf(-2.326_347_874_040_840_8) - 0.01).abs() < 1e-16);
        // Φ(−7) = 1.279812543885835e-12 (mpmath): the lower tail keeps its digits.
        assert!((normal_cdf(-7.0) / 1.279_812_543_885_835e-12 - 1.0).abs() < 1e-13);
    }

    #[test]
    fn far_separated_samples_keep_the_tail_p_value() {
        // No overlap, no ties: U = 0, z = (n²/2 − ½)/√(n²(2n + 1)/12), p = erfc(z/√2)
        // (mpmath, 40 digits). At n = 100, 2(1 − Φ(z)) rounds to 0.
        for (n, reference) in [
            (30, 3.019_859_359_162_156_4e-11),
            (100, 2.562_143_669_163_394_4e-34),
        ] {
            let x: Vec<f64> = (0..n).map(f64::from).collect();
            let y: Vec<f64> = (n..2 * n).map(f64::from).collect();
            let r = mann_whitney(&x, &y).unwrap();
            assert_eq!(r.u, 0.0);
            assert!(
                ((r.p_value - reference) / reference).abs() < 1e-13,
                "n = {n}: p = {:e}, not {reference:e}",
                r.p_value
            );
        }
    }

    #[test]
    fn empty_samples_give_no_answer() {
        assert!(mann_whitney(&[], &[1.0]).is_none());
    }
}

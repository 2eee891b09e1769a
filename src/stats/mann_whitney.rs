//! The Mann–Whitney U test (Wilcoxon rank-sum) and the Hodges–Lehmann shift estimate:
//! the statistics behind a Kayenta-style canary judge.
//!
//! Two-sided p-value from the normal approximation with tie correction and continuity
//! correction (as R's `wilcox.test(exact = FALSE, correct = TRUE)` and SciPy's
//! `mannwhitneyu(method="asymptotic")`); fine from ~8 values per sample, which is what
//! a judge sees (a point per sample interval).

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
        (2.0 * (1.0 - normal_cdf(z))).min(1.0)
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

/// Φ(z), the standard normal CDF (via erfc, relative error < 1.2·10⁻⁷).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
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
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_963_985) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-2.326_347_874) - 0.01).abs() < 1e-6);
    }

    #[test]
    fn empty_samples_give_no_answer() {
        assert!(mann_whitney(&[], &[1.0]).is_none());
    }
}

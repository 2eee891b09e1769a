//! Numbers as reports show them: never a negative zero. A value that rounds to zero at
//! the precision shown is written `0`, `0.0`, `0.00` (not `-0.0`): a tiny negative
//! difference, or an IEEE `-0.0` from a sum of signed terms, means nothing more.

use std::fmt;

use serde_json::Value;

/// `f64` that formats as `{}` does (with the precision and width asked) but never as
/// `-0`, `-0.0`, `-0.00`…: `format!("{:.1}", Num(-0.04))` is `0.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub(crate) f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match f.precision() {
            Some(digits) => format!("{:.digits$}", self.0.abs()),
            None => format!("{}", self.0.abs()),
        };
        let zero = text.chars().all(|c| c == '0' || c == '.');
        let negative = self.0.is_sign_negative() && !zero && !self.0.is_nan();
        f.pad_integral(!negative, "", &text)
    }
}

/// An estimate as `mean ± half-width` with `digits` decimals (an infinite half-width,
/// from a single run, as 0).
pub(crate) fn plus_minus(estimate: &super::Estimate, digits: usize) -> String {
    format!(
        "{:.digits$} ± {:.digits$}",
        Num(estimate.mean),
        Num(estimate.finite_half_width())
    )
}

/// `value` with every `-0.0` made `0.0` (serde_json writes a negative zero as `-0.0`).
pub(crate) fn without_negative_zero(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() && n.as_f64() == Some(0.0) => *value = Value::from(0.0),
        Value::Array(items) => items.iter_mut().for_each(without_negative_zero),
        Value::Object(fields) => fields.values_mut().for_each(without_negative_zero),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_round_to_zero_show_no_sign() {
        assert_eq!(format!("{:.1}", Num(-0.04)), "0.0");
        assert_eq!(format!("{:.2}", Num(-0.0)), "0.00");
        assert_eq!(format!("{:.0}", Num(-0.4)), "0");
        assert_eq!(format!("{}", Num(-0.0)), "0");
        assert_eq!(format!("{:.1}", Num(-0.06)), "-0.1");
        assert_eq!(format!("{:.2}", Num(-1.5)), "-1.50");
        assert_eq!(format!("{:>7.1}", Num(-0.01)), "    0.0");
        assert_eq!(format!("{:>7.1}", Num(-2.0)), "   -2.0");
        assert_eq!(format!("{}", Num(f64::INFINITY)), "inf");
    }

    #[test]
    fn json_has_no_negative_zero() {
        let mut value = serde_json::json!({"a": -0.0, "b": [-0.0, -1.5, 0], "c": {"d": -0.0}});
        without_negative_zero(&mut value);
        assert_eq!(
            value.to_string(),
            r#"{"a":0.0,"b":[0.0,-1.5,0],"c":{"d":0.0}}"#
        );
    }
}

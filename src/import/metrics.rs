//! Analysis metrics of other tools (Prometheus or Datadog queries with a threshold) as
//! rollsim's analysis of the simulated metrics of the same meaning.
//!
//! # How a metric is mapped
//! 1. [`meaning`] reads the metric's name and query: an error rate (5xx over all), a
//!    success rate (non-5xx over all), a latency quantile (`histogram_quantile`,
//!    Datadog's `p99:`), or something rollsim does not simulate (CPU, a business metric).
//! 2. [`parse_condition`] reads the threshold from Argo's `successCondition` /
//!    `failureCondition` (`result[0] >= 0.95`); Flagger gives `thresholdRange` directly.
//! 3. [`apply`] sets `analysis.max_error_rate` from error and success rates (the
//!    strictest of the file's metrics; a value above 1 is a percentage). rollsim's
//!    analysis has no absolute latency limit (it compares p99 with the old version's,
//!    `max_latency_p99_ratio`), so a latency threshold is reported as not represented
//!    and latency is not judged, as is any other query.

use super::Draft;

/// A threshold on a metric's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bound {
    /// The value must be at least this.
    AtLeast(f64),
    /// The value must be at most this.
    AtMost(f64),
}

/// What a metric measures, as far as rollsim can tell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Meaning {
    /// Failed requests over all requests.
    ErrorRate,
    /// Successful requests over all requests.
    SuccessRate,
    /// A latency quantile (0.99 for p99).
    Latency { quantile: f64 },
    /// Anything else.
    Other,
}

/// What the metric `name` with `query` measures.
pub(crate) fn meaning(name: &str, query: &str) -> Meaning {
    let name = name.to_ascii_lowercase();
    let query = query.to_ascii_lowercase().replace(' ', "");
    let both = format!("{name} {query}");
    if let Some(quantile) = latency_quantile(&query) {
        return Meaning::Latency { quantile };
    }
    if both.contains("latency") || both.contains("duration") {
        return Meaning::Latency { quantile: 0.99 };
    }
    let is_ratio = query.contains('/')
        || ["rate", "ratio", "percent"]
            .iter()
            .any(|word| name.contains(word));
    if !is_ratio {
        return Meaning::Other;
    }
    let excludes_5xx = ["!~\"5", "!~'5", "!=\"5", "!='5", "!~\"^5"]
        .iter()
        .any(|pattern| query.contains(pattern));
    if excludes_5xx || name.contains("success") {
        // `100 - (non-5xx / all) * 100` and `1 - non-5xx / all` are error rates written
        // as the complement of a success rate (Flagger's and Istio's examples).
        let trimmed = query.trim_start_matches('(');
        if trimmed.starts_with("100-") || trimmed.starts_with("1-") {
            return Meaning::ErrorRate;
        }
        return Meaning::SuccessRate;
    }
    if ["5..", "5xx", "=~\"5", "=~'5", "error", "fail"]
        .iter()
        .any(|word| both.contains(word))
    {
        return Meaning::ErrorRate;
    }
    Meaning::Other
}

fn latency_quantile(query: &str) -> Option<f64> {
    if let Some(at) = query.find("histogram_quantile(") {
        let rest = &query[at + "histogram_quantile(".len()..];
        let number: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        return number.parse().ok();
    }
    // Datadog: `p99:trace.http.request.duration{...}`, `p95:...`.
    for (prefix, quantile) in [("p99:", 0.99), ("p95:", 0.95), ("p90:", 0.9), ("p50:", 0.5)] {
        if query.starts_with(prefix) || query.contains(&format!("({prefix}")) {
            return Some(quantile);
        }
    }
    None
}

/// The bound an Argo condition puts on `result`: `result[0] >= 0.95` is at least 0.95;
/// as a failure condition (`failure = true`) the bound is the opposite side.
pub(crate) fn parse_condition(condition: &str, failure: bool) -> Option<Bound> {
    let text = condition.replace(' ', "");
    // The last comparison of the expression with a number on its right.
    let mut found = None;
    for (i, _) in text.char_indices() {
        let rest = &text[i..];
        let (op, len) = if rest.starts_with(">=") {
            ('>', 2)
        } else if rest.starts_with("<=") {
            ('<', 2)
        } else if rest.starts_with('>') {
            ('>', 1)
        } else if rest.starts_with('<') {
            ('<', 1)
        } else {
            continue;
        };
        if let Some(value) = leading_number(&rest[len..]) {
            found = Some((op, value));
        }
    }
    let (op, value) = found?;
    let at_least = (op == '>') != failure;
    Some(if at_least {
        Bound::AtLeast(value)
    } else {
        Bound::AtMost(value)
    })
}

/// The longest number at the start of `text`, exponent included (`5e-3`).
fn leading_number(text: &str) -> Option<f64> {
    let candidate: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        .collect();
    (1..=candidate.len())
        .rev()
        .find_map(|end| candidate[..end].parse::<f64>().ok())
        .filter(|x| x.is_finite())
}

/// A rate given as a fraction or, above 1, a percentage; rounded to 1e-9.
fn fraction(value: f64) -> f64 {
    let fraction = if value > 1.0 { value / 100.0 } else { value };
    (fraction * 1e9).round() / 1e9
}

/// Maps one metric of the file at `path` onto `draft`'s analysis.
pub(crate) fn apply(draft: &mut Draft, path: &str, name: &str, query: &str, bound: Option<Bound>) {
    let meaning = meaning(name, query);
    // A query that scales its ratio to 0–100 gives its threshold in percent, even at 1.
    let compact = query.replace([' ', '\n', '\t'], "");
    let percent = compact.contains("*100") || compact.trim_start_matches('(').starts_with("100-");
    let fraction = |x: f64| {
        if percent {
            (x / 100.0 * 1e9).round() / 1e9
        } else {
            fraction(x)
        }
    };
    let shown = if query.is_empty() {
        format!("`{name}`")
    } else {
        format!("`{name}` ({})", one_line(query))
    };
    match (meaning, bound) {
        (_, None) => draft.not_represented(format!(
            "{path}: metric {shown} has no threshold rollsim can read; not judged"
        )),
        (Meaning::ErrorRate, Some(Bound::AtMost(limit))) => {
            draft.limit_error_rate(fraction(limit), &format!("{path} ({name} ≤ {limit})"));
        }
        (Meaning::SuccessRate, Some(Bound::AtLeast(least))) => {
            let limit = 1.0 - fraction(least);
            draft.limit_error_rate(
                (limit * 1e9).round() / 1e9,
                &format!("{path} ({name} ≥ {least})"),
            );
        }
        (Meaning::Latency { quantile }, Some(bound)) => draft.not_represented(format!(
            "{path}: metric {shown} limits p{} latency to an absolute {}; rollsim judges \
                 latency only as p99 relative to the old version's, so latency is not judged \
                 (set analysis.max_latency_p99_ratio to judge it that way)",
            quantile * 100.0,
            bound_text(bound),
        )),
        (Meaning::Other, Some(bound)) => draft.not_represented(format!(
            "{path}: metric {shown} ({}) measures nothing rollsim simulates; not judged",
            bound_text(bound)
        )),
        (_, Some(bound)) => draft.not_represented(format!(
            "{path}: metric {shown} is bounded the wrong way for its meaning ({}); not judged",
            bound_text(bound)
        )),
    }
}

fn bound_text(bound: Bound) -> String {
    match bound {
        Bound::AtLeast(x) => format!("≥ {x}"),
        Bound::AtMost(x) => format!("≤ {x}"),
    }
}

fn one_line(query: &str) -> String {
    let joined = query.split_whitespace().collect::<Vec<_>>().join(" ");
    const MAX_CHARS: usize = 100;
    if joined.chars().count() > MAX_CHARS {
        format!("{}…", joined.chars().take(MAX_CHARS).collect::<String>())
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_and_datadog_queries_are_recognised() {
        let success = r#"sum(rate(http_requests_total{code!~"5.*"}[5m])) / sum(rate(http_requests_total[5m]))"#;
        assert_eq!(meaning("success-rate", success), Meaning::SuccessRate);
        let errors = r#"sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))"#;
        assert_eq!(meaning("errors", errors), Meaning::ErrorRate);
        let p95 =
            "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))";
        assert_eq!(meaning("latency", p95), Meaning::Latency { quantile: 0.95 });
        let datadog = "sum:trace.http.request.errors{service:checkout}.as_count() / sum:trace.http.request.hits{service:checkout}.as_count()";
        assert_eq!(meaning("error-ratio", datadog), Meaning::ErrorRate);
        assert_eq!(
            meaning("p99", "p99:trace.http.request.duration{service:checkout}"),
            Meaning::Latency { quantile: 0.99 }
        );
        assert_eq!(
            meaning("cpu", "avg(container_cpu_usage_seconds_total)"),
            Meaning::Other
        );
        // An error percentage written as the complement of a success percentage.
        let complement = r#"100 - sum(rate(istio_requests_total{response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total[1m])) * 100"#;
        assert_eq!(meaning("error-rate", complement), Meaning::ErrorRate);
    }

    #[test]
    fn argo_conditions_give_bounds() {
        assert_eq!(
            parse_condition("result[0] >= 0.95", false),
            Some(Bound::AtLeast(0.95))
        );
        assert_eq!(
            parse_condition("len(result) == 0 || result[0] < 0.01", false),
            Some(Bound::AtMost(0.01))
        );
        assert_eq!(
            parse_condition("result[0] > 0.05", true),
            Some(Bound::AtMost(0.05))
        );
        assert_eq!(parse_condition("result == 'ok'", false), None);
        assert_eq!(
            parse_condition("result[0] < 5e-3", false),
            Some(Bound::AtMost(0.005))
        );
        assert_eq!(
            parse_condition("result[0] <= 1E2 && true", false),
            Some(Bound::AtMost(100.0))
        );
    }
}

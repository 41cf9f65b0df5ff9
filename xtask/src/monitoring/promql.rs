//! Just enough PromQL reading for the checks: substituting Grafana's template
//! variables, and listing the metric names an expression selects.
//!
//! Prometheus 2.42 has no offline parser that prints an AST (promtool only
//! says valid or not), so the metric names are found by a small tokenizer:
//! it skips strings, label matchers `{...}`, ranges `[...]`, label lists after
//! `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`, numbers and
//! durations; what is left that is neither a keyword nor followed by `(` (a
//! function or an aggregation) is a metric name. Validity itself is promtool's
//! job (see `dashboards.rs`).

use std::collections::BTreeSet;

/// Words that are never metric names. Aggregations are here too, because in
/// `sum by (x) (...)` the word `sum` is not directly followed by `(`.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "atan2",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];

/// Keywords followed by a parenthesised list of label names, not an expression.
const LABEL_LIST_KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Replaces `$name` and `${name}` (also `${name:format}`) by the value that
/// `lookup` gives. `$1`-style references (regex replacements in strings) are
/// left alone; a name `lookup` does not know is an error.
pub fn substitute(expr: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced
                .find('}')
                .ok_or_else(|| format!("unclosed `${{` in `{expr}`"))?;
            let inner = &braced[..end];
            (inner.split(':').next().unwrap_or(inner), end + 2)
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..len], len)
        };
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            out.push('$');
            rest = after;
            continue;
        }
        let value =
            lookup(name).ok_or_else(|| format!("unknown variable `${name}` in `{expr}`"))?;
        out.push_str(&value);
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The metric names that `expr` selects, in order of name.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => i = skip_string(&chars, i),
            '{' => i = skip_group(&chars, i, '{', '}'),
            '[' => i = skip_group(&chars, i, '[', ']'),
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            c if c.is_ascii_digit() || (c == '.' && next_is_digit(&chars, i)) => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let lower = word.to_ascii_lowercase();
                let next = next_non_space(&chars, i);
                if LABEL_LIST_KEYWORDS.contains(&lower.as_str()) {
                    if let Some(open) = next.filter(|&j| chars[j] == '(') {
                        i = skip_group(&chars, open, '(', ')');
                    }
                } else if !KEYWORDS.contains(&lower.as_str())
                    && next.is_none_or(|j| chars[j] != '(')
                {
                    names.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    names
}

/// For a Grafana variable query, the PromQL it runs, if any:
/// `label_values(selector, label)` and `query_result(expr)`.
pub fn variable_query_expr(query: &str) -> Option<String> {
    let query = query.trim();
    if let Some(args) = strip_call(query, "label_values") {
        // With one argument (only a label) the query has no selector.
        let comma = top_level_comma(args)?;
        return Some(args[..comma].trim().to_string());
    }
    strip_call(query, "query_result").map(|expr| expr.trim().to_string())
}

fn strip_call<'a>(query: &'a str, function: &str) -> Option<&'a str> {
    query
        .strip_prefix(function)?
        .trim_start()
        .strip_prefix('(')?
        .strip_suffix(')')
}

/// The index of the last comma outside brackets and strings.
fn top_level_comma(args: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = args.char_indices().collect();
    let (mut depth, mut quote, mut found) = (0i32, None, None);
    for &(at, c) in &chars {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '{' | '[') => depth += 1,
            (None, ')' | '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => found = Some(at),
            _ => {}
        }
    }
    found
}

fn next_is_digit(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_some_and(char::is_ascii_digit)
}

fn next_non_space(chars: &[char], mut i: usize) -> Option<usize> {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    (i < chars.len()).then_some(i)
}

/// Index just past the string starting at `start` (backslash escapes honoured,
/// except in raw backtick strings).
fn skip_string(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if quote != '`' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Index just past the `close` matching the `open` at `start`, strings skipped.
fn skip_group(chars: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '"' | '\'' | '`' => {
                i = skip_string(chars, i);
                continue;
            }
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        metric_names(expr).into_iter().collect()
    }

    #[test]
    fn finds_metrics_and_skips_functions_labels_and_keywords() {
        let expr = r#"sum by (platform, service) (rate(http_server_request_duration_seconds_count{http_route!~"/a|b}", code=~"5.."}[5m] offset 1h))
            / on (platform) group_left (team) max without (instance) (up == bool 0) or vector(1) > 1e3
            and platform_service:x:rate1m unless absent(ALERTS{alertstate="firing"})"#;
        assert_eq!(
            names(expr),
            [
                "ALERTS",
                "http_server_request_duration_seconds_count",
                "platform_service:x:rate1m",
                "up"
            ]
        );
    }

    #[test]
    fn label_replace_strings_are_not_metrics() {
        let expr = r#"label_replace(container_last_seen, "service", "$1", "name", "vigie-(.+)")"#;
        assert_eq!(names(expr), ["container_last_seen"]);
    }

    #[test]
    fn substitutes_both_forms_and_rejects_unknown_names() {
        let lookup = |name: &str| match name {
            "platform" => Some("prod".to_string()),
            "__rate_interval" => Some("1m".to_string()),
            _ => None,
        };
        let got = substitute(
            r#"rate(x{p="${platform:regex}", q="$platform"}[$__rate_interval]) "$1""#,
            lookup,
        );
        assert_eq!(
            got.as_deref(),
            Ok(r#"rate(x{p="prod", q="prod"}[1m]) "$1""#)
        );
        assert!(substitute("x{q=\"$queue\"}", lookup).is_err());
    }

    #[test]
    fn reads_variable_queries() {
        assert_eq!(
            variable_query_expr(
                r#"label_values(queue_tickets_waiting{platform="$platform"}, queue)"#
            )
            .as_deref(),
            Some(r#"queue_tickets_waiting{platform="$platform"}"#)
        );
        assert_eq!(variable_query_expr("label_values(platform)"), None);
        assert_eq!(
            variable_query_expr("query_result(up == 1)").as_deref(),
            Some("up == 1")
        );
    }
}

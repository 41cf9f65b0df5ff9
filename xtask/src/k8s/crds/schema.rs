//! A small structural schema language, enough to describe the subset of the
//! prometheus-operator CRDs Vigie uses (kinds.rs) and to check objects against
//! it: every field's type, the required fields, the enumerations, Prometheus
//! durations, and (as `kubernetes-validate --strict` does) no unknown field.

use serde_yaml_ng::Value;

/// The expected shape of a value.
#[derive(Debug)]
pub enum Shape {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A Prometheus duration such as `30s`, `5m` or `1h30m`.
    Duration,
    /// A string or an integer (the CRDs' `int-or-string`).
    IntOrString,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A list of values of one shape.
    List(&'static Shape),
    /// A mapping from strings to values of one shape (labels, annotations).
    Map(&'static Shape),
    /// An object with these fields and no other.
    Object(&'static [Field]),
}

/// One field of an object.
#[derive(Debug)]
pub struct Field {
    /// The field's name.
    pub name: &'static str,
    /// Its shape.
    pub shape: &'static Shape,
    /// Whether the CRD requires it.
    pub required: bool,
}

/// A required field.
pub const fn req(name: &'static str, shape: &'static Shape) -> Field {
    Field {
        name,
        shape,
        required: true,
    }
}

/// An optional field.
pub const fn opt(name: &'static str, shape: &'static Shape) -> Field {
    Field {
        name,
        shape,
        required: false,
    }
}

/// Checks `value` against `shape`, adding one problem per mismatch, each with
/// its path (`spec.endpoints[0].interval`).
pub fn check(value: &Value, shape: &Shape, path: &str, problems: &mut Vec<String>) {
    let mut fail = |what: String| problems.push(format!("{path}: {what}"));
    match shape {
        Shape::String if !value.is_string() => fail(format!("expected a string, got {value:?}")),
        Shape::Integer if !value.is_i64() && !value.is_u64() => {
            fail(format!("expected an integer, got {value:?}"));
        }
        Shape::Boolean if !value.is_bool() => {
            fail(format!("expected true or false, got {value:?}"))
        }
        Shape::IntOrString if !value.is_string() && !value.is_i64() => {
            fail(format!("expected a string or an integer, got {value:?}"));
        }
        Shape::Duration => match value.as_str() {
            Some(text) if is_duration(text) => {}
            _ => fail(format!(
                "expected a duration such as 30s or 1h30m, got {value:?}"
            )),
        },
        Shape::OneOf(allowed) => match value.as_str() {
            Some(text) if allowed.contains(&text) => {}
            _ => fail(format!("expected one of {allowed:?}, got {value:?}")),
        },
        Shape::List(item) => match value.as_sequence() {
            Some(items) => {
                for (index, element) in items.iter().enumerate() {
                    check(element, item, &format!("{path}[{index}]"), problems);
                }
            }
            None => fail(format!("expected a list, got {value:?}")),
        },
        Shape::Map(item) => match value.as_mapping() {
            Some(map) => {
                for (key, element) in map {
                    let key = key.as_str().unwrap_or("?");
                    check(element, item, &format!("{path}.{key}"), problems);
                }
            }
            None => fail(format!("expected a mapping, got {value:?}")),
        },
        Shape::Object(fields) => check_object(value, fields, path, problems),
        _ => {}
    }
}

fn check_object(value: &Value, fields: &[Field], path: &str, problems: &mut Vec<String>) {
    let Some(map) = value.as_mapping() else {
        problems.push(format!("{path}: expected an object, got {value:?}"));
        return;
    };
    for (key, element) in map {
        let key = key.as_str().unwrap_or("?");
        let at = if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        };
        match fields.iter().find(|field| field.name == key) {
            Some(field) => check(element, field.shape, &at, problems),
            None => problems.push(format!(
                "{at}: unknown field (known here: {})",
                fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        if !map.contains_key(field.name) {
            let at = if path.is_empty() {
                field.name.to_owned()
            } else {
                format!("{path}.{}", field.name)
            };
            problems.push(format!("{at}: required field is missing"));
        }
    }
}

/// The operator's duration pattern: `0`, or numbers with the units y w d h m s
/// ms, each at most once and in that order.
pub fn is_duration(text: &str) -> bool {
    const UNITS: &[&str] = &["y", "w", "d", "h", "ms", "m", "s"];
    const ORDER: &[&str] = &["y", "w", "d", "h", "m", "s", "ms"];
    if text == "0" {
        return true;
    }
    let mut rest = text;
    let mut last: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = UNITS.iter().find(|unit| rest.starts_with(**unit)) else {
            return false;
        };
        let rank = ORDER.iter().position(|u| u == unit).unwrap_or(usize::MAX);
        if last.is_some_and(|last| rank <= last) {
            return false;
        }
        last = Some(rank);
        rest = &rest[unit.len()..];
    }
    last.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    static LABELS: Shape = Shape::Map(&Shape::String);
    static THING: Shape = Shape::Object(&[
        req("name", &Shape::String),
        opt("every", &Shape::Duration),
        opt("mode", &Shape::OneOf(&["a", "b"])),
        opt("labels", &LABELS),
        opt("ports", &Shape::List(&Shape::IntOrString)),
    ]);

    fn problems(yaml: &str) -> Vec<String> {
        let value: Value = serde_yaml_ng::from_str(yaml).unwrap();
        let mut problems = Vec::new();
        check(&value, &THING, "", &mut problems);
        problems
    }

    #[test]
    fn a_conforming_object_passes() {
        let found = problems("{name: x, every: 1h30m, mode: a, labels: {k: v}, ports: [web, 80]}");
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn each_mismatch_is_reported_with_its_path() {
        let found = problems("{every: 90, mode: c, labels: {k: [v]}, ports: [{}], intervall: 5m}");
        assert_eq!(found.len(), 6, "{found:?}");
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("every: expected a duration"))
        );
        assert!(found.iter().any(|p| p.starts_with("mode: expected one of")));
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("labels.k: expected a string"))
        );
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("ports[0]: expected a string or"))
        );
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("intervall: unknown field"))
        );
        assert!(found.iter().any(|p| p == "name: required field is missing"));
    }

    #[test]
    fn durations_follow_the_operators_pattern() {
        for good in ["0", "30s", "5m", "1h30m", "2d", "100ms", "1m30s500ms"] {
            assert!(is_duration(good), "{good}");
        }
        for bad in ["", "30", "5 m", "m5", "30s1m", "1h1h", "1.5h", "-1s"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}

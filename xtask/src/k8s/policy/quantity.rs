//! Kubernetes resource quantities (`500m`, `1`, `128Mi`, `5Gi`) as numbers in
//! base units (cores, bytes).

use serde_yaml_ng::Value;

const SUFFIXES: &[(&str, f64)] = &[
    ("Ki", 1024.0),
    ("Mi", 1024.0 * 1024.0),
    ("Gi", 1024.0 * 1024.0 * 1024.0),
    ("Ti", 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("m", 1e-3),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
];

/// A quantity given as a YAML string or number; `None` when it does not parse.
pub fn parse(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => parse_str(text),
        _ => None,
    }
}

fn parse_str(text: &str) -> Option<f64> {
    for (suffix, factor) in SUFFIXES {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_and_memory_quantities_parse() {
        let q = |s: &str| parse(&Value::from(s)).unwrap();
        assert!((q("500m") - 0.5).abs() < 1e-9);
        assert!((q("2") - 2.0).abs() < 1e-9);
        assert!((q("128Mi") - 134_217_728.0).abs() < 1e-3);
        assert!((q("1G") - 1e9).abs() < 1e-3);
        assert_eq!(parse(&Value::from(3)), Some(3.0));
        assert_eq!(parse(&Value::from("lots")), None);
    }
}

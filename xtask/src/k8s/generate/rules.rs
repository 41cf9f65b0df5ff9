//! A PrometheusRule per Prometheus rule file: its `groups`, verbatim, as the
//! object's `spec.groups` (the operator's format is Prometheus's own).

use std::path::Path;

use anyhow::{Context, bail};
use serde_yaml_ng::Value;

use super::{Generated, mapping, metadata, sorted_files, stem};

/// One PrometheusRule per `*.yml` of `dir`, named `vigie-<file stem>`.
pub(super) fn prometheus_rules(dir: &Path) -> anyhow::Result<Vec<Generated>> {
    let mut out = Vec::new();
    for path in sorted_files(dir, &["yml", "yaml"])? {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let source = format!("prometheus/rules/{}", file_name(&path));
        let object = prometheus_rule(&format!("vigie-{}", stem(&path)?), &text)
            .with_context(|| format!("translating {source}"))?;
        out.push(Generated::new(
            format!("prometheus-rule-{}.yaml", stem(&path)?),
            &source,
            &object,
        )?);
    }
    Ok(out)
}

fn prometheus_rule(name: &str, text: &str) -> anyhow::Result<Value> {
    let file: Value = serde_yaml_ng::from_str(text)?;
    let Some(map) = file.as_mapping() else {
        bail!("not a mapping");
    };
    if let Some(other) = map.keys().find(|key| key.as_str() != Some("groups")) {
        bail!("unexpected top-level key {other:?}: a rule file has only `groups`");
    }
    let groups = map
        .get("groups")
        .filter(|groups| groups.is_sequence())
        .context("no `groups` list")?;
    Ok(mapping(vec![
        ("apiVersion", Value::from("monitoring.coreos.com/v1")),
        ("kind", Value::from("PrometheusRule")),
        ("metadata", metadata(name, Vec::new())),
        ("spec", mapping(vec![("groups", groups.clone())])),
    ]))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_groups_are_copied_verbatim() {
        let source = "groups:\n  - name: g\n    interval: 30s\n    rules:\n      - alert: A\n        expr: |\n          up\n            == 0\n        for: 1m\n";
        let object = prometheus_rule("vigie-x", source).unwrap();
        let original: Value = serde_yaml_ng::from_str(source).unwrap();
        assert_eq!(object["spec"]["groups"], original["groups"]);
        assert_eq!(
            object["metadata"]["labels"]["release"],
            "kube-prometheus-stack"
        );
        let text = serde_yaml_ng::to_string(&object).unwrap();
        let back: Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, object, "{text}");
    }

    #[test]
    fn a_file_that_is_not_a_rule_file_is_refused() {
        assert!(prometheus_rule("x", "rule_files: []").is_err());
        assert!(prometheus_rule("x", "groups: {}").is_err());
    }
}

//! A ConfigMap per Grafana dashboard, labelled `grafana_dashboard: "1"`: the
//! kube-prometheus-stack Grafana sidecar loads every ConfigMap with that label.
//! The JSON is stored byte for byte.

use std::path::Path;

use anyhow::Context;
use serde_yaml_ng::Value;

use super::{Generated, mapping, metadata, sorted_files, stem};

/// `kubectl apply` keeps a copy of each object in an annotation limited to
/// 256 KiB; a bigger dashboard needs server-side apply, so it is refused here.
const MAX_BYTES: usize = 200 * 1024;

/// The Grafana folder, for sidecars configured with
/// `folderAnnotation: grafana_folder` (docs/operations.md).
const FOLDER: &str = "Vigie";

/// One ConfigMap per `*.json` of `dir`, named `grafana-dashboard-<file stem>`.
pub(super) fn config_maps(dir: &Path) -> anyhow::Result<Vec<Generated>> {
    let mut out = Vec::new();
    for path in sorted_files(dir, &["json"])? {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let key = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = format!("grafana/dashboards/{key}");
        let object = config_map(&stem(&path)?, &key, &text)
            .with_context(|| format!("translating {source}"))?;
        out.push(Generated::new(
            format!("grafana-dashboard-{}.yaml", stem(&path)?),
            &source,
            &object,
        )?);
    }
    Ok(out)
}

fn config_map(name: &str, key: &str, json: &str) -> anyhow::Result<Value> {
    serde_json::from_str::<serde_json::Value>(json).context("not valid JSON")?;
    anyhow::ensure!(
        json.len() <= MAX_BYTES,
        "{} bytes: more than kubectl apply's annotation can hold",
        json.len()
    );
    let mut meta = metadata(
        &format!("grafana-dashboard-{name}"),
        vec![("grafana_dashboard", Value::from("1"))],
    );
    if let Value::Mapping(map) = &mut meta {
        map.insert(
            Value::from("annotations"),
            mapping(vec![("grafana_folder", Value::from(FOLDER))]),
        );
    }
    Ok(mapping(vec![
        ("apiVersion", Value::from("v1")),
        ("kind", Value::from("ConfigMap")),
        ("metadata", meta),
        ("data", mapping(vec![(key, Value::from(json))])),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_survives_the_yaml_byte_for_byte() {
        let json = "{\n  \"title\": \"A \\\"quoted\\\" title\",\n  \"panels\": [ ]   \n}\n";
        let object = config_map("x", "x.json", json).unwrap();
        let text = serde_yaml_ng::to_string(&object).unwrap();
        let back: Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back["data"]["x.json"].as_str(), Some(json), "{text}");
        assert_eq!(
            back["metadata"]["labels"]["grafana_dashboard"].as_str(),
            Some("1")
        );
    }

    #[test]
    fn invalid_json_is_refused() {
        assert!(config_map("x", "x.json", "{").is_err());
    }
}

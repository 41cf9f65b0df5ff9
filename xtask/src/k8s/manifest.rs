//! Rendered Kubernetes manifests as YAML values: parsing a multi-document
//! stream, and reading the few fields every check needs.

use anyhow::Context;
use serde::Deserialize;
use serde_yaml_ng::Value;

/// One rendered object.
#[derive(Debug, Clone)]
pub struct Object(pub Value);

impl Object {
    /// A field by path, e.g. `obj.get(&["spec", "template"])`.
    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        get(&self.0, path)
    }

    /// `kind`, or "" when missing.
    pub fn kind(&self) -> &str {
        str_at(&self.0, &["kind"]).unwrap_or("")
    }

    /// `apiVersion`, or "" when missing.
    pub fn api_version(&self) -> &str {
        str_at(&self.0, &["apiVersion"]).unwrap_or("")
    }

    /// The API group: `apps` for `apps/v1`, "" for the core group (`v1`).
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// `metadata.name`, or "" when missing.
    pub fn name(&self) -> &str {
        str_at(&self.0, &["metadata", "name"]).unwrap_or("")
    }

    /// `metadata.namespace`, when set.
    pub fn namespace(&self) -> Option<&str> {
        str_at(&self.0, &["metadata", "namespace"])
    }

    /// `Kind/name`, for messages.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }

    /// The pod template's `spec` (or a Pod's own), for the kinds that run pods.
    pub fn pod_spec(&self) -> Option<&Value> {
        match self.kind() {
            "Pod" => self.get(&["spec"]),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                self.get(&["spec", "template", "spec"])
            }
            "CronJob" => self.get(&["spec", "jobTemplate", "spec", "template", "spec"]),
            _ => None,
        }
    }

    /// The pod template's labels.
    pub fn pod_labels(&self) -> Option<&Value> {
        match self.kind() {
            "Pod" => self.get(&["metadata", "labels"]),
            "CronJob" => self.get(&[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "metadata",
                "labels",
            ]),
            _ if self.pod_spec().is_some() => self.get(&["spec", "template", "metadata", "labels"]),
            _ => None,
        }
    }
}

/// Parses a `---`-separated YAML stream (what `kubectl kustomize` prints).
pub fn parse_all(yaml: &str) -> anyhow::Result<Vec<Object>> {
    let mut objects = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
        let value = Value::deserialize(document)
            .with_context(|| format!("parsing YAML document {}", index + 1))?;
        if !value.is_null() {
            objects.push(Object(value));
        }
    }
    Ok(objects)
}

/// Serialises objects into one YAML stream of JSON documents: JSON leaves no
/// room for YAML 1.1 readers (PyYAML) to take a string `yes` for a boolean.
pub fn to_json_stream(objects: &[&Object]) -> anyhow::Result<String> {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        out.push_str(&serde_json::to_string(&object.0)?);
        out.push('\n');
    }
    Ok(out)
}

/// A field by path in any value.
pub fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| value.get(*key))
}

/// A string field by path.
pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(value, path).and_then(Value::as_str)
}

/// The items of a sequence field, or none.
pub fn items<'a>(value: &'a Value, path: &[&str]) -> impl Iterator<Item = &'a Value> {
    get(value, path)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
}

/// A string-to-string mapping (labels, matchLabels) as pairs.
pub fn string_map(value: Option<&Value>) -> Vec<(String, String)> {
    value
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), scalar_string(v)?)))
        .collect()
}

/// A scalar as text: strings as they are, numbers and booleans printed.
pub fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether every `matchLabels` pair of `selector` is among `labels`.
pub fn selects(selector: Option<&Value>, labels: Option<&Value>) -> bool {
    let wanted = string_map(selector.and_then(|s| s.get("matchLabels")));
    let have = string_map(labels);
    !wanted.is_empty() && wanted.iter().all(|pair| have.contains(pair))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_parses_into_objects_and_their_pod_specs() {
        let objects = parse_all(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: n}\n\
             spec: {template: {metadata: {labels: {x: y}}, spec: {containers: []}}}\n---\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n",
        )
        .unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].id(), "Deployment/a");
        assert_eq!(objects[0].group(), "apps");
        assert_eq!(objects[0].namespace(), Some("n"));
        assert!(objects[0].pod_spec().is_some());
        assert!(selects(
            Some(&serde_yaml_ng::from_str("{matchLabels: {x: y}}").unwrap()),
            objects[0].pod_labels()
        ));
        assert_eq!(objects[1].group(), "");
        assert!(objects[1].pod_spec().is_none());
    }

    #[test]
    fn an_empty_selector_selects_nothing() {
        let labels: Value = serde_yaml_ng::from_str("{x: y}").unwrap();
        assert!(!selects(None, Some(&labels)));
    }
}

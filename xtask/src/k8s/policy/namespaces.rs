//! Every namespace the platform uses is declared, restricted by Pod Security,
//! held to a ResourceQuota and a LimitRange, and closed by a default-deny
//! NetworkPolicy.

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

use super::of_kind;
use crate::k8s::manifest::{self, Object, get, str_at};

/// The quota keys that bound what a platform takes from the cluster.
pub const QUOTA_KEYS: &[&str] = &[
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "pods",
];

/// Kinds that live outside namespaces.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "PriorityClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "IngressClass",
    "CustomResourceDefinition",
];

/// Problems with the namespaces of one platform's objects.
pub fn problems(objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for object in objects {
        match object.namespace() {
            Some(namespace) => {
                used.insert(namespace.to_owned());
            }
            None if CLUSTER_SCOPED.contains(&object.kind()) => {}
            None => problems.push(format!("{} has no namespace", object.id())),
        }
    }
    namespace_problems(objects, &used, &mut problems);
    problems
}

fn namespace_problems(objects: &[Object], used: &BTreeSet<String>, problems: &mut Vec<String>) {
    for namespace in used {
        let mut fail = |what: &str| problems.push(format!("namespace {namespace}: {what}"));
        let in_ns = |kind: &'static str| {
            of_kind(objects, kind).filter(move |o| o.namespace() == Some(namespace.as_str()))
        };
        match of_kind(objects, "Namespace").find(|o| o.name() == namespace) {
            None => fail("no Namespace object"),
            Some(ns) => {
                let level = str_at(
                    &ns.0,
                    &["metadata", "labels", "pod-security.kubernetes.io/enforce"],
                );
                if level != Some("restricted") {
                    fail("Pod Security is not enforced at `restricted`");
                }
            }
        }
        let bounded = in_ns("ResourceQuota").any(|quota| {
            get(&quota.0, &["spec", "scopeSelector"]).is_none()
                && QUOTA_KEYS
                    .iter()
                    .all(|key| get(&quota.0, &["spec", "hard", key]).is_some())
        });
        if !bounded {
            fail(&format!("no ResourceQuota bounding all of {QUOTA_KEYS:?}"));
        }
        if in_ns("LimitRange").next().is_none() {
            fail("no LimitRange");
        }
        if !in_ns("NetworkPolicy").any(|policy| is_default_deny(&policy.0)) {
            fail("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rule)");
        }
    }
}

/// Selects every pod, for both directions, and allows nothing.
pub fn is_default_deny(policy: &Value) -> bool {
    let all_pods = get(policy, &["spec", "podSelector"])
        .and_then(Value::as_mapping)
        .is_some_and(|selector| {
            selector
                .values()
                .all(|v| v.as_mapping().is_some_and(|m| m.is_empty()))
        });
    let types: Vec<&str> = manifest::items(policy, &["spec", "policyTypes"])
        .filter_map(Value::as_str)
        .collect();
    let no_rules = ["ingress", "egress"].iter().all(|key| {
        get(policy, &["spec", key])
            .and_then(Value::as_sequence)
            .is_none_or(Vec::is_empty)
    });
    all_pods && types.contains(&"Ingress") && types.contains(&"Egress") && no_rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::policy::fixtures::platform;

    fn found(edit: impl Fn(String) -> String) -> Vec<String> {
        problems(&platform("qualif", 1000, edit).objects)
    }

    #[test]
    fn a_namespace_without_quota_limits_or_default_deny_is_reported() {
        let no_quota = found(|y| {
            y.replace(
                "kind: ResourceQuota\nmetadata: {name: platform",
                "kind: ConfigMap\nmetadata: {name: platform",
            )
        });
        assert!(
            no_quota.iter().any(|p| p.contains("no ResourceQuota")),
            "{no_quota:#?}"
        );
        let no_limits = found(|y| y.replace("limits.cpu: \"6\"", "x: \"6\""));
        assert!(
            no_limits.iter().any(|p| p.contains("no ResourceQuota")),
            "{no_limits:#?}"
        );
        let open = found(|y| y.replace("policyTypes: [Ingress, Egress]", "policyTypes: [Ingress]"));
        assert!(open.iter().any(|p| p.contains("default-deny")), "{open:#?}");
        let no_range = found(|y| y.replace("kind: LimitRange", "kind: ConfigMap"));
        assert!(
            no_range.iter().any(|p| p.contains("no LimitRange")),
            "{no_range:#?}"
        );
    }

    #[test]
    fn a_policy_that_allows_something_is_not_default_deny() {
        let policy: Value = serde_yaml_ng::from_str(
            "spec: {podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{}]}",
        )
        .unwrap();
        assert!(!is_default_deny(&policy));
        let deny: Value =
            serde_yaml_ng::from_str("spec: {podSelector: {}, policyTypes: [Ingress, Egress]}")
                .unwrap();
        assert!(is_default_deny(&deny));
    }
}

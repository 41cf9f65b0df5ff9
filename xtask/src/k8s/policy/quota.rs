//! The platform fits its own quota: the pods of every workload at its
//! autoscaler's maximum (or its replica count) plus the extra pods of a rolling
//! update, their requests and limits, and their volumes, stay within the
//! namespace's ResourceQuota; each container stays within the LimitRange.
//! A quota that the manifests outgrow blocks a rollout or a scale-up in
//! production, and would be found there, not here.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::of_kind;
use super::quantity::parse;
use crate::k8s::manifest::{self, Object, get, str_at};

const RESOURCES: &[(&str, &[&str])] = &[
    ("requests.cpu", &["requests", "cpu"]),
    ("requests.memory", &["requests", "memory"]),
    ("limits.cpu", &["limits", "cpu"]),
    ("limits.memory", &["limits", "memory"]),
];

/// Problems of quota fit in one platform's objects.
pub fn problems(objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    for quota in of_kind(objects, "ResourceQuota") {
        if get(&quota.0, &["spec", "scopeSelector"]).is_some() {
            continue;
        }
        let namespace = quota.namespace();
        let in_ns: Vec<&Object> = objects
            .iter()
            .filter(|o| o.namespace() == namespace)
            .collect();
        let usage = usage(&in_ns);
        let hard = get(&quota.0, &["spec", "hard"]).and_then(Value::as_mapping);
        for (key, limit) in hard.into_iter().flatten() {
            let (Some(key), Some(limit)) = (key.as_str(), parse(limit)) else {
                continue;
            };
            let needed = usage.get(key).copied().unwrap_or(0.0);
            if needed > limit * (1.0 + 1e-9) {
                problems.push(format!(
                    "{}: the workloads need {} of {key} (autoscalers at maximum, during a rolling update); the quota allows {}",
                    quota.id(),
                    round(needed),
                    round(limit)
                ));
            }
        }
    }
    for range in of_kind(objects, "LimitRange") {
        problems.extend(limit_range_problems(range, objects));
    }
    problems
}

/// What the objects of one namespace can take at most.
fn usage(objects: &[&Object]) -> BTreeMap<&'static str, f64> {
    let mut usage = BTreeMap::new();
    let mut add = |key: &'static str, amount: f64| *usage.entry(key).or_insert(0.0) += amount;
    for object in objects {
        if object.kind() == "PersistentVolumeClaim" {
            add("persistentvolumeclaims", 1.0);
            add("requests.storage", storage(&object.0));
        }
        let Some(pod) = object.pod_spec() else {
            continue;
        };
        let replicas = max_replicas(object, objects);
        let pods = replicas + surge(object, replicas);
        add("pods", pods);
        for (key, path) in RESOURCES {
            add(key, pods * pod_amount(pod, path));
        }
        for template in manifest::items(&object.0, &["spec", "volumeClaimTemplates"]) {
            add("persistentvolumeclaims", replicas);
            add("requests.storage", replicas * storage(template));
        }
    }
    usage
}

/// The autoscaler's maximum, or the replica count (1 when unset).
fn max_replicas(object: &Object, objects: &[&Object]) -> f64 {
    let autoscaler = objects.iter().find(|o| {
        o.kind() == "HorizontalPodAutoscaler"
            && str_at(&o.0, &["spec", "scaleTargetRef", "kind"]) == Some(object.kind())
            && str_at(&o.0, &["spec", "scaleTargetRef", "name"]) == Some(object.name())
    });
    let count = match autoscaler {
        Some(hpa) => get(&hpa.0, &["spec", "maxReplicas"]),
        None => get(&object.0, &["spec", "replicas"]),
    };
    count.and_then(Value::as_f64).unwrap_or(1.0)
}

/// Extra pods during a Deployment's rolling update (maxSurge, 25% by default).
fn surge(object: &Object, replicas: f64) -> f64 {
    if object.kind() != "Deployment"
        || str_at(&object.0, &["spec", "strategy", "type"]) == Some("Recreate")
    {
        return 0.0;
    }
    match get(
        &object.0,
        &["spec", "strategy", "rollingUpdate", "maxSurge"],
    ) {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(pct)) => percent(pct, replicas),
        _ => percent("25%", replicas),
    }
}

fn percent(text: &str, replicas: f64) -> f64 {
    let pct = text.trim_end_matches('%').parse::<f64>().unwrap_or(100.0);
    (pct / 100.0 * replicas).ceil()
}

/// A pod's effective amount: the larger of its containers' sum and its
/// largest init container.
fn pod_amount(pod: &Value, path: &[&str]) -> f64 {
    let amount = |c: &Value| {
        get(c, &["resources", path[0], path[1]])
            .and_then(parse)
            .unwrap_or(0.0)
    };
    let main: f64 = manifest::items(pod, &["containers"]).map(amount).sum();
    let init = manifest::items(pod, &["initContainers"])
        .map(amount)
        .fold(0.0, f64::max);
    main.max(init)
}

fn storage(claim: &Value) -> f64 {
    get(claim, &["spec", "resources", "requests", "storage"])
        .and_then(parse)
        .unwrap_or(0.0)
}

fn limit_range_problems(range: &Object, objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    let container_limits = manifest::items(&range.0, &["spec", "limits"])
        .filter(|l| str_at(l, &["type"]) == Some("Container"));
    for limits in container_limits {
        for resource in ["cpu", "memory"] {
            let Some(max) = get(limits, &["max", resource]).and_then(parse) else {
                continue;
            };
            for object in objects
                .iter()
                .filter(|o| o.namespace() == range.namespace())
            {
                let Some(pod) = object.pod_spec() else {
                    continue;
                };
                for container in manifest::items(pod, &["containers"]) {
                    let limit = get(container, &["resources", "limits", resource]).and_then(parse);
                    if limit.is_some_and(|limit| limit > max) {
                        problems.push(format!(
                            "{}: container {} has a {resource} limit above {}'s max",
                            object.id(),
                            str_at(container, &["name"]).unwrap_or("?"),
                            range.id()
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// Cores and GiB read better than raw numbers in messages.
fn round(amount: f64) -> String {
    if amount >= 1024.0 * 1024.0 {
        format!("{:.2}Gi", amount / 1024.0 / 1024.0 / 1024.0)
    } else if amount.fract() == 0.0 {
        format!("{amount}")
    } else {
        format!("{amount:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::policy::fixtures::platform;

    fn found(edit: impl Fn(String) -> String) -> Vec<String> {
        problems(&platform("dev", 500, edit).objects)
    }

    #[test]
    fn the_fixture_fits() {
        assert!(found(|y| y).is_empty());
    }

    #[test]
    fn workloads_that_outgrow_the_quota_are_reported() {
        // 8 replicas + 1 surge of 500m is 4.5 cores of limits against 6; 12 + 1 is 6.5.
        assert!(found(|y| y.replace("replicas: 1", "replicas: 8")).is_empty());
        let over = found(|y| y.replace("replicas: 1", "replicas: 12"));
        assert!(
            over.iter().any(|p| p.contains("of limits.cpu")),
            "{over:#?}"
        );
        assert!(over.iter().any(|p| p.contains("of pods")), "{over:#?}");
    }

    #[test]
    fn a_container_above_the_limit_range_max_is_reported() {
        let over = found(|y| y.replace("cpu: 500m", "cpu: 1500m"));
        assert!(
            over.iter()
                .any(|p| p.contains("above LimitRange/platform's max")),
            "{over:#?}"
        );
    }

    #[test]
    fn surge_follows_the_strategy() {
        assert_eq!(percent("25%", 6.0), 2.0);
        assert_eq!(percent("25%", 1.0), 1.0);
    }
}

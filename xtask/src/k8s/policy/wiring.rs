//! References between objects, which no schema checks: Services,
//! PodDisruptionBudgets and autoscalers reach real pods, Ingress backends are
//! real Service ports (never `metrics`), ConfigMaps exist, and every metrics
//! port is scraped by a ServiceMonitor that sets `platform` and `service`.

use super::of_kind;
use crate::k8s::manifest::{self, Object, get, selects, str_at};

/// The port name Prometheus scrapes.
const METRICS_PORT: &str = "metrics";

/// The target labels the rules and dashboards group by.
const TARGET_LABELS: &[&str] = &["platform", "service"];

/// Problems with the references of one platform's objects.
pub fn problems(objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    let same_ns = |a: &Object, b: &Object| a.namespace() == b.namespace();
    let selects_pods = |selector: &Object, path: &[&str]| {
        objects.iter().any(|o| {
            same_ns(o, selector)
                && o.pod_spec().is_some()
                && selects(selector.get(path), o.pod_labels())
        })
    };
    for service in of_kind(objects, "Service") {
        let selector = service.get(&["spec", "selector"]).map(|s| {
            serde_yaml_ng::Value::Mapping([("matchLabels".into(), s.clone())].into_iter().collect())
        });
        let found = objects.iter().any(|o| {
            same_ns(o, service)
                && o.pod_spec().is_some()
                && selects(selector.as_ref(), o.pod_labels())
        });
        if !found {
            problems.push(format!("{} selects no pod", service.id()));
        }
    }
    for pdb in of_kind(objects, "PodDisruptionBudget") {
        if !selects_pods(pdb, &["spec", "selector"]) {
            problems.push(format!("{} selects no pod", pdb.id()));
        }
    }
    for hpa in of_kind(objects, "HorizontalPodAutoscaler") {
        let name = str_at(&hpa.0, &["spec", "scaleTargetRef", "name"]).unwrap_or("?");
        match of_kind(objects, "Deployment").find(|d| d.name() == name && same_ns(d, hpa)) {
            None => problems.push(format!("{} targets no Deployment {name}", hpa.id())),
            Some(d) if d.get(&["spec", "replicas"]).is_some() => problems.push(format!(
                "{} sets replicas, which {} owns: every apply would reset it",
                d.id(),
                hpa.id()
            )),
            Some(_) => {}
        }
    }
    problems.extend(ingress_problems(objects));
    problems.extend(config_map_problems(objects));
    problems.extend(scrape_problems(objects));
    problems
}

fn ingress_problems(objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    for ingress in of_kind(objects, "Ingress") {
        for rule in manifest::items(&ingress.0, &["spec", "rules"]) {
            for path in manifest::items(rule, &["http", "paths"]) {
                let name = str_at(path, &["backend", "service", "name"]).unwrap_or("?");
                let port = str_at(path, &["backend", "service", "port", "name"]);
                let service = of_kind(objects, "Service")
                    .find(|s| s.name() == name && s.namespace() == ingress.namespace());
                let has_port = service.is_some_and(|s| {
                    manifest::items(&s.0, &["spec", "ports"]).any(|p| str_at(p, &["name"]) == port)
                });
                if port.is_none() || port == Some(METRICS_PORT) || !has_port {
                    problems.push(format!(
                        "{}: backend {name}:{} is not a named, non-metrics port of a Service here",
                        ingress.id(),
                        port.unwrap_or("?")
                    ));
                }
            }
        }
    }
    problems
}

fn config_map_problems(objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    for object in objects {
        let Some(pod) = object.pod_spec() else {
            continue;
        };
        let volumes =
            manifest::items(pod, &["volumes"]).filter_map(|v| str_at(v, &["configMap", "name"]));
        let env_from = manifest::items(pod, &["containers"])
            .flat_map(|c| manifest::items(c, &["envFrom"]))
            .filter_map(|e| str_at(e, &["configMapRef", "name"]));
        for name in volumes.chain(env_from) {
            let exists = of_kind(objects, "ConfigMap")
                .any(|c| c.name() == name && c.namespace() == object.namespace());
            if !exists {
                problems.push(format!(
                    "{}: ConfigMap {name} is not in the manifests",
                    object.id()
                ));
            }
        }
    }
    problems
}

fn scrape_problems(objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    let monitors: Vec<&Object> = of_kind(objects, "ServiceMonitor").collect();
    for monitor in &monitors {
        for endpoint in manifest::items(&monitor.0, &["spec", "endpoints"]) {
            let targets: Vec<&str> = manifest::items(endpoint, &["relabelings"])
                .filter_map(|r| str_at(r, &["targetLabel"]))
                .collect();
            for label in TARGET_LABELS {
                if !targets.contains(label) {
                    problems.push(format!(
                        "{}: an endpoint does not set the `{label}` target label",
                        monitor.id()
                    ));
                }
            }
        }
    }
    for service in of_kind(objects, "Service") {
        let has_metrics = manifest::items(&service.0, &["spec", "ports"])
            .any(|p| str_at(p, &["name"]) == Some(METRICS_PORT));
        let scraped = monitors.iter().any(|m| {
            m.namespace() == service.namespace()
                && selects(
                    get(&m.0, &["spec", "selector"]),
                    service.get(&["metadata", "labels"]),
                )
                && manifest::items(&m.0, &["spec", "endpoints"])
                    .any(|e| str_at(e, &["port"]) == Some(METRICS_PORT))
        });
        if has_metrics && !scraped {
            problems.push(format!(
                "{}: its metrics port is scraped by no ServiceMonitor",
                service.id()
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::policy::fixtures::platform;

    fn found(edit: impl Fn(String) -> String) -> Vec<String> {
        problems(&platform("dev", 500, edit).objects)
    }

    #[test]
    fn broken_references_are_reported() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "port: {name: http}",
                "port: {name: metrics}",
                "non-metrics port",
            ),
            (
                "targetLabel: service",
                "targetLabel: job",
                "`service` target label",
            ),
            (
                "matchLabels: {app.kubernetes.io/part-of: vigie}",
                "matchLabels: {x: y}",
                "scraped by no ServiceMonitor",
            ),
            (
                "selector: {app.kubernetes.io/name: queue-rubis}",
                "selector: {app.kubernetes.io/name: gone}",
                "selects no pod",
            ),
        ];
        for (from, to, expected) in cases {
            let problems = found(|y| y.replacen(from, to, 1));
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{from} -> {to}: {problems:#?}"
            );
        }
    }

    #[test]
    fn an_autoscaled_deployment_must_not_set_replicas() {
        let with_hpa = |y: String| {
            y + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n\
                 metadata: {name: queue-rubis, namespace: vigie-dev}\n\
                 spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: queue-rubis}, maxReplicas: 2}\n"
        };
        let problems = found(with_hpa);
        assert!(
            problems.iter().any(|p| p.contains("sets replicas")),
            "{problems:#?}"
        );
    }
}

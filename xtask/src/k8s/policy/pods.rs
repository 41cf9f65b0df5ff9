//! Every pod template and container: hardening, resources, probes, images,
//! secrets, and the labels Prometheus relabels from.

use serde_yaml_ng::Value;

use crate::k8s::manifest::{self, Object, get, str_at};

/// Images built from this repository: their probes are known.
const VIGIE_IMAGES: &str = "ghcr.io/vigie-platform/";

/// Problems of every pod template among `objects`.
pub fn problems(platform: &str, objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    for object in objects {
        let Some(pod) = object.pod_spec() else {
            continue;
        };
        let mut fail = |what: String| problems.push(format!("{}: {what}", object.id()));
        let labels = object.pod_labels();
        if labels
            .and_then(|l| l.get("platform"))
            .and_then(Value::as_str)
            != Some(platform)
        {
            fail(format!(
                "pod label `platform` is not {platform:?} (Prometheus relabels from it)"
            ));
        }
        if labels
            .and_then(|l| l.get("app.kubernetes.io/name"))
            .is_none()
        {
            fail("pod label `app.kubernetes.io/name` is missing (Prometheus's `service`)".into());
        }
        if pod
            .get("automountServiceAccountToken")
            .and_then(Value::as_bool)
            != Some(false)
        {
            fail("automountServiceAccountToken is not false".into());
        }
        if pod.get("enableServiceLinks").and_then(Value::as_bool) != Some(false) {
            fail(
                "enableServiceLinks is not false (REDIS_PORT=tcp://... breaks queue-service)"
                    .into(),
            );
        }
        let init = manifest::items(pod, &["initContainers"]).map(|c| (c, true));
        let main = manifest::items(pod, &["containers"]).map(|c| (c, false));
        for (container, is_init) in main.chain(init) {
            let name = str_at(container, &["name"]).unwrap_or("?");
            for problem in container_problems(pod, container, is_init) {
                fail(format!("container {name}: {problem}"));
            }
        }
    }
    problems
}

fn container_problems(pod: &Value, container: &Value, is_init: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let security = |key: &str| {
        get(container, &["securityContext", key]).or_else(|| get(pod, &["securityContext", key]))
    };
    if security("runAsNonRoot").and_then(Value::as_bool) != Some(true) {
        problems.push("runAsNonRoot is not true".to_owned());
    }
    if security("runAsUser").and_then(Value::as_u64) == Some(0) {
        problems.push("runAsUser is 0 (root)".to_owned());
    }
    let own = |key: &str| get(container, &["securityContext", key]);
    if own("readOnlyRootFilesystem").and_then(Value::as_bool) != Some(true) {
        problems.push("the root filesystem is not read-only".to_owned());
    }
    if own("allowPrivilegeEscalation").and_then(Value::as_bool) != Some(false) {
        problems.push("allowPrivilegeEscalation is not false".to_owned());
    }
    let drops_all = manifest::items(container, &["securityContext", "capabilities", "drop"])
        .any(|c| c.as_str() == Some("ALL"));
    if !drops_all {
        problems.push("capabilities do not drop ALL".to_owned());
    }
    if !matches!(
        security("seccompProfile").and_then(|s| str_at(s, &["type"])),
        Some("RuntimeDefault" | "Localhost")
    ) {
        problems.push("no seccompProfile RuntimeDefault".to_owned());
    }
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            if get(container, &["resources", kind, resource]).is_none() {
                problems.push(format!("no {resource} {kind}"));
            }
        }
    }
    let image = str_at(container, &["image"]).unwrap_or("");
    if !is_pinned(image) {
        problems.push(format!("image {image:?} is not pinned to a tag or digest"));
    }
    for env in manifest::items(container, &["env"]) {
        if get(env, &["valueFrom", "secretKeyRef"]).is_some() {
            let name = str_at(env, &["name"]).unwrap_or("?");
            problems.push(format!(
                "env {name} comes from a Secret: mount it, use {name}_FILE"
            ));
        }
    }
    if manifest::items(container, &["envFrom"]).any(|e| e.get("secretRef").is_some()) {
        problems.push("envFrom a Secret: mount it and use the _FILE variables".to_owned());
    }
    if !is_init {
        problems.extend(probe_problems(container, image));
    }
    problems
}

fn probe_problems(container: &Value, image: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let path = |probe: &str| str_at(container, &[probe, "httpGet", "path"]);
    for probe in ["readinessProbe", "livenessProbe"] {
        if container.get(probe).is_none() {
            problems.push(format!("no {probe}"));
        }
    }
    // Liveness must not follow the dependencies: a Redis outage would restart
    // every replica at once.
    if image.starts_with(VIGIE_IMAGES) {
        if path("readinessProbe") != Some("/healthcheck") {
            problems.push("readinessProbe is not GET /healthcheck".to_owned());
        }
        if path("livenessProbe") != Some("/livez") {
            problems.push("livenessProbe is not GET /livez".to_owned());
        }
    }
    problems
}

/// `name:tag` (not `latest`) or `name@sha256:...`.
fn is_pinned(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    matches!(last.split_once(':'), Some((_, tag)) if !tag.is_empty() && tag != "latest")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::policy::fixtures::platform;

    fn found(edit: impl Fn(String) -> String) -> Vec<String> {
        let rendered = platform("dev", 500, edit);
        problems("dev", &rendered.objects)
    }

    #[test]
    fn each_weakened_setting_is_reported() {
        let cases: &[(&str, &str, &str)] = &[
            ("runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot"),
            (
                "readOnlyRootFilesystem: true",
                "readOnlyRootFilesystem: false",
                "read-only",
            ),
            (
                "allowPrivilegeEscalation: false",
                "allowPrivilegeEscalation: true",
                "allowPrivilegeEscalation",
            ),
            ("drop: [ALL]", "drop: [NET_RAW]", "drop ALL"),
            ("type: RuntimeDefault", "type: Unconfined", "seccomp"),
            ("memory: 128Mi", "memoryy: 128Mi", "no memory limits"),
            (
                "path: /livez",
                "path: /healthcheck",
                "livenessProbe is not GET /livez",
            ),
            ("queue-service:0.1.0", "queue-service:latest", "not pinned"),
            (
                "enableServiceLinks: false",
                "enableServiceLinks: true",
                "enableServiceLinks",
            ),
            ("platform: dev", "platform: prod", "pod label `platform`"),
        ];
        for (from, to, expected) in cases {
            let problems = found(|yaml| yaml.replacen(from, to, 1));
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{from} -> {to}: {problems:#?}"
            );
        }
    }

    #[test]
    fn a_secret_in_the_environment_is_reported() {
        let problems = found(|yaml| {
            yaml.replace(
                "env:\n",
                "env:\n            - {name: API_KEYS, valueFrom: {secretKeyRef: {name: k, key: k}}}\n",
            )
        });
        assert!(
            problems.iter().any(|p| p.contains("API_KEYS_FILE")),
            "{problems:#?}"
        );
    }

    #[test]
    fn images_are_pinned_by_tag_or_digest() {
        assert!(is_pinned("redis:7.2-bookworm"));
        assert!(is_pinned("registry:5000/team/app:1.0"));
        assert!(is_pinned("nginx@sha256:0123"));
        assert!(!is_pinned("registry:5000/team/app"));
        assert!(!is_pinned("nginx:latest"));
        assert!(!is_pinned("nginx"));
    }
}

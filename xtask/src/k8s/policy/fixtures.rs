//! A small rendered platform that passes every policy check; tests break one
//! thing in it at a time.

use crate::k8s::manifest;
use crate::k8s::render::Rendered;

/// `PLATFORM`, `PRIORITY` and `FENCE` are filled in by [`platform`].
const TEMPLATE: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: queue-rubis
  namespace: vigie-PLATFORM
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: queue-rubis}
  template:
    metadata:
      labels: {app.kubernetes.io/name: queue-rubis, app.kubernetes.io/part-of: vigie, platform: PLATFORM}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      priorityClassName: vigie-PLATFORM
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: queue-rubis
          image: ghcr.io/vigie-platform/vigie/queue-service:0.1.0
          env:
            - {name: QUEUE_NAME, value: rubis}
          readinessProbe: {httpGet: {path: /healthcheck, port: http}}
          livenessProbe:
            httpGet:
              path: /livez
              port: http
          resources:
            requests: {cpu: 50m, memory: 32Mi}
            limits:
              cpu: 500m
              memory: 128Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
---
apiVersion: v1
kind: Service
metadata:
  name: queue-rubis
  namespace: vigie-PLATFORM
  labels: {app.kubernetes.io/part-of: vigie}
spec:
  selector: {app.kubernetes.io/name: queue-rubis}
  ports:
    - {name: http, port: 8000}
    - {name: metrics, port: 9464}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: vigie, namespace: vigie-PLATFORM, labels: {release: r}}
spec:
  selector:
    matchLabels: {app.kubernetes.io/part-of: vigie}
  endpoints:
    - port: metrics
      relabelings:
        - {sourceLabels: [__meta_kubernetes_pod_label_platform], targetLabel: platform}
        - {sourceLabels: [__meta_kubernetes_pod_label_app_kubernetes_io_name], targetLabel: service}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: gateway, namespace: vigie-PLATFORM}
spec:
  rules:
    - http:
        paths:
          - path: /rubis
            backend:
              service: {name: queue-rubis, port: {name: http}}
---
apiVersion: v1
kind: Namespace
metadata:
  name: vigie-PLATFORM
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: vigie-PLATFORM}
value: PRIORITY
preemptionPolicy: PREEMPTION
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: platform, namespace: vigie-PLATFORM}
spec:
  hard:
    requests.cpu: "1"
    requests.memory: 1Gi
    limits.cpu: "6"
    limits.memory: 3Gi
    pods: "10"
---
apiVersion: v1
kind: LimitRange
metadata: {name: platform, namespace: vigie-PLATFORM}
spec:
  limits:
    - type: Container
      max: {cpu: "1", memory: 512Mi}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: vigie-PLATFORM}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"#;

/// Only for the platforms other than prod.
const FENCE: &str = r#"---
apiVersion: v1
kind: ResourceQuota
metadata: {name: no-production-priority, namespace: vigie-PLATFORM}
spec:
  hard: {pods: "0"}
  scopeSelector:
    matchExpressions:
      - {scopeName: PriorityClass, operator: In, values: [vigie-prod]}
"#;

/// The fixture for `name` at `priority`, edited by `edit` before parsing.
pub fn platform(name: &str, priority: i64, edit: impl Fn(String) -> String) -> Rendered {
    let mut yaml = TEMPLATE.to_owned();
    if name == "prod" {
        yaml = yaml.replace("PREEMPTION", "PreemptLowerPriority");
    } else {
        yaml = yaml.replace("PREEMPTION", "Never") + FENCE;
    }
    let yaml = edit(
        yaml.replace("PLATFORM", name)
            .replace("PRIORITY", &priority.to_string()),
    );
    let objects = manifest::parse_all(&yaml).expect("the fixture parses");
    Rendered {
        platform: name.to_owned(),
        objects,
    }
}

/// dev, qualif and prod, unedited.
pub fn platforms() -> Vec<Rendered> {
    vec![
        platform("dev", 500, |y| y),
        platform("qualif", 1000, |y| y),
        platform("prod", 100_000, |y| y),
    ]
}

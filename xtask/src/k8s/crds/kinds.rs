//! The prometheus-operator kinds Vigie ships, as structural schemas: the
//! fields of `monitoring.coreos.com/v1` ServiceMonitor and PrometheusRule and
//! of `monitoring.coreos.com/v1alpha1` AlertmanagerConfig that these manifests
//! use or may reasonably use, with the operator's field names, types,
//! enumerations and required fields (prometheus-operator API reference,
//! `pkg/apis/monitoring`). A field the operator knows but this list does not is
//! reported as unknown: add it here with its type when you start using it.
//!
//! These are not the operator's published CRD schemas: no package registry
//! reachable from the build machines ships them (see docs/operations.md).

use super::schema::{Field, Shape, opt, req};

static STRING_LIST: Shape = Shape::List(&Shape::String);
static STRING_MAP: Shape = Shape::Map(&Shape::String);

static METADATA: Shape = Shape::Object(&[
    req("name", &Shape::String),
    opt("namespace", &Shape::String),
    opt("labels", &STRING_MAP),
    opt("annotations", &STRING_MAP),
]);

/// `apiVersion`, `kind`, `metadata` and a required `spec` of the given shape.
const fn top(spec: &'static Shape) -> [Field; 4] {
    [
        req("apiVersion", &Shape::String),
        req("kind", &Shape::String),
        req("metadata", &METADATA),
        req("spec", spec),
    ]
}

static LABEL_SELECTOR: Shape = Shape::Object(&[
    opt("matchLabels", &STRING_MAP),
    opt(
        "matchExpressions",
        &Shape::List(&Shape::Object(&[
            req("key", &Shape::String),
            req(
                "operator",
                &Shape::OneOf(&["In", "NotIn", "Exists", "DoesNotExist"]),
            ),
            opt("values", &STRING_LIST),
        ])),
    ),
]);

static SECRET_KEY: Shape = Shape::Object(&[
    req("name", &Shape::String),
    req("key", &Shape::String),
    opt("optional", &Shape::Boolean),
]);

/// `RelabelConfig`: both spellings of the actions are accepted by the operator.
static RELABEL: Shape = Shape::Object(&[
    opt("sourceLabels", &STRING_LIST),
    opt("separator", &Shape::String),
    opt("targetLabel", &Shape::String),
    opt("regex", &Shape::String),
    opt("modulus", &Shape::Integer),
    opt("replacement", &Shape::String),
    opt(
        "action",
        &Shape::OneOf(&[
            "replace",
            "Replace",
            "keep",
            "Keep",
            "drop",
            "Drop",
            "hashmod",
            "HashMod",
            "labelmap",
            "LabelMap",
            "labeldrop",
            "LabelDrop",
            "labelkeep",
            "LabelKeep",
            "lowercase",
            "Lowercase",
            "uppercase",
            "Uppercase",
            "keepequal",
            "KeepEqual",
            "dropequal",
            "DropEqual",
        ]),
    ),
]);

static RELABEL_LIST: Shape = Shape::List(&RELABEL);

static ENDPOINT: Shape = Shape::Object(&[
    opt("port", &Shape::String),
    opt("targetPort", &Shape::IntOrString),
    opt("path", &Shape::String),
    opt("scheme", &Shape::OneOf(&["http", "https", "HTTP", "HTTPS"])),
    opt("params", &Shape::Map(&STRING_LIST)),
    opt("interval", &Shape::Duration),
    opt("scrapeTimeout", &Shape::Duration),
    opt("honorLabels", &Shape::Boolean),
    opt("honorTimestamps", &Shape::Boolean),
    opt("followRedirects", &Shape::Boolean),
    opt("enableHttp2", &Shape::Boolean),
    opt("relabelings", &RELABEL_LIST),
    opt("metricRelabelings", &RELABEL_LIST),
]);

static SERVICE_MONITOR_SPEC: Shape = Shape::Object(&[
    req("selector", &LABEL_SELECTOR),
    req("endpoints", &Shape::List(&ENDPOINT)),
    opt(
        "namespaceSelector",
        &Shape::Object(&[opt("any", &Shape::Boolean), opt("matchNames", &STRING_LIST)]),
    ),
    opt("jobLabel", &Shape::String),
    opt("targetLabels", &STRING_LIST),
    opt("podTargetLabels", &STRING_LIST),
    opt("sampleLimit", &Shape::Integer),
]);

/// `monitoring.coreos.com/v1` ServiceMonitor.
pub static SERVICE_MONITOR: Shape = Shape::Object(&top(&SERVICE_MONITOR_SPEC));

static RULE: Shape = Shape::Object(&[
    opt("record", &Shape::String),
    opt("alert", &Shape::String),
    req("expr", &Shape::IntOrString),
    opt("for", &Shape::Duration),
    opt("keep_firing_for", &Shape::Duration),
    opt("labels", &STRING_MAP),
    opt("annotations", &STRING_MAP),
]);

static RULE_GROUP: Shape = Shape::Object(&[
    req("name", &Shape::String),
    opt("interval", &Shape::Duration),
    opt("query_offset", &Shape::Duration),
    opt("limit", &Shape::Integer),
    opt("labels", &STRING_MAP),
    opt("partial_response_strategy", &Shape::String),
    opt("rules", &Shape::List(&RULE)),
]);

static PROMETHEUS_RULE_SPEC: Shape = Shape::Object(&[req("groups", &Shape::List(&RULE_GROUP))]);

/// `monitoring.coreos.com/v1` PrometheusRule.
pub static PROMETHEUS_RULE: Shape = Shape::Object(&top(&PROMETHEUS_RULE_SPEC));

static MATCHER: Shape = Shape::Object(&[
    req("name", &Shape::String),
    opt("value", &Shape::String),
    opt("matchType", &Shape::OneOf(&["=", "!=", "=~", "!~"])),
    opt("regex", &Shape::Boolean),
]);

static MATCHERS: Shape = Shape::List(&MATCHER);

/// Sub-routes nest: the two statics refer to each other.
static ROUTE: Shape = Shape::Object(&[
    opt("receiver", &Shape::String),
    opt("groupBy", &STRING_LIST),
    opt("groupWait", &Shape::Duration),
    opt("groupInterval", &Shape::Duration),
    opt("repeatInterval", &Shape::Duration),
    opt("matchers", &MATCHERS),
    opt("continue", &Shape::Boolean),
    opt("routes", &ROUTES),
    opt("muteTimeIntervals", &STRING_LIST),
    opt("activeTimeIntervals", &STRING_LIST),
]);

static ROUTES: Shape = Shape::List(&ROUTE);

static WEBHOOK: Shape = Shape::Object(&[
    opt("url", &Shape::String),
    opt("urlSecret", &SECRET_KEY),
    opt("sendResolved", &Shape::Boolean),
    opt("maxAlerts", &Shape::Integer),
    opt("timeout", &Shape::Duration),
    opt(
        "httpConfig",
        &Shape::Object(&[
            opt(
                "authorization",
                &Shape::Object(&[opt("type", &Shape::String), opt("credentials", &SECRET_KEY)]),
            ),
            opt("followRedirects", &Shape::Boolean),
            opt("enableHttp2", &Shape::Boolean),
        ]),
    ),
]);

static RECEIVER: Shape = Shape::Object(&[
    req("name", &Shape::String),
    opt("webhookConfigs", &Shape::List(&WEBHOOK)),
]);

static INHIBIT_RULE: Shape = Shape::Object(&[
    opt("sourceMatch", &MATCHERS),
    opt("targetMatch", &MATCHERS),
    opt("equal", &STRING_LIST),
]);

static ALERTMANAGER_CONFIG_SPEC: Shape = Shape::Object(&[
    opt("route", &ROUTE),
    opt("receivers", &Shape::List(&RECEIVER)),
    opt("inhibitRules", &Shape::List(&INHIBIT_RULE)),
]);

/// `monitoring.coreos.com/v1alpha1` AlertmanagerConfig.
pub static ALERTMANAGER_CONFIG: Shape = Shape::Object(&top(&ALERTMANAGER_CONFIG_SPEC));

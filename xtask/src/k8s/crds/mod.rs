//! The custom resources (ServiceMonitor, PrometheusRule, AlertmanagerConfig)
//! that `kubernetes-validate` has no schema for: a structural check against
//! kinds.rs (types, required fields, enumerations, durations, no unknown
//! field), then what the operator or kube-prometheus-stack would reject or
//! ignore: the `release` label it selects on, rules that are both or neither
//! record and alert, routes to receivers that do not exist.

mod kinds;
mod schema;

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

use super::manifest::{self, Object};

/// The prometheus-operator API group.
pub const GROUP: &str = "monitoring.coreos.com";

/// The label kube-prometheus-stack selects ServiceMonitors and PrometheusRules
/// on (its Helm release name).
pub const RELEASE_LABEL: &str = "release";

/// Problems with the custom resources among `objects`, and how many there were.
pub fn problems(objects: &[Object]) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut count = 0;
    for object in objects.iter().filter(|o| o.group() == GROUP) {
        count += 1;
        let shape = match (object.api_version(), object.kind()) {
            ("monitoring.coreos.com/v1", "ServiceMonitor") => &kinds::SERVICE_MONITOR,
            ("monitoring.coreos.com/v1", "PrometheusRule") => &kinds::PROMETHEUS_RULE,
            ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig") => &kinds::ALERTMANAGER_CONFIG,
            (version, kind) => {
                problems.push(format!(
                    "{}: {kind} {version} is not a kind this check knows",
                    object.id()
                ));
                continue;
            }
        };
        let mut found = Vec::new();
        schema::check(&object.0, shape, "", &mut found);
        found.extend(semantic_problems(object));
        problems.extend(found.into_iter().map(|p| format!("{}: {p}", object.id())));
    }
    (count, problems)
}

fn semantic_problems(object: &Object) -> Vec<String> {
    let mut problems = Vec::new();
    if object.kind() != "AlertmanagerConfig"
        && manifest::str_at(&object.0, &["metadata", "labels", RELEASE_LABEL]).is_none()
    {
        problems.push(format!(
            "no `{RELEASE_LABEL}` label: kube-prometheus-stack would not select it"
        ));
    }
    match object.kind() {
        "PrometheusRule" => rule_problems(&object.0, &mut problems),
        "AlertmanagerConfig" => route_problems(&object.0, &mut problems),
        _ => {}
    }
    problems
}

fn rule_problems(rule: &Value, problems: &mut Vec<String>) {
    let mut names = BTreeSet::new();
    for group in manifest::items(rule, &["spec", "groups"]) {
        let name = manifest::str_at(group, &["name"]).unwrap_or("?");
        if !names.insert(name) {
            problems.push(format!("rule group {name} appears twice"));
        }
        for rule in manifest::items(group, &["rules"]) {
            let record = rule.get("record").is_some();
            let alert = rule.get("alert").is_some();
            if record == alert {
                problems.push(format!(
                    "group {name}: a rule needs exactly one of `record` and `alert`"
                ));
            }
            if record && rule.get("for").is_some() {
                problems.push(format!("group {name}: a recording rule has `for`"));
            }
        }
    }
}

fn route_problems(config: &Value, problems: &mut Vec<String>) {
    let receivers: BTreeSet<&str> = manifest::items(config, &["spec", "receivers"])
        .filter_map(|r| manifest::str_at(r, &["name"]))
        .collect();
    let Some(route) = manifest::get(config, &["spec", "route"]) else {
        return;
    };
    if route.get("receiver").is_none() {
        problems.push("spec.route has no receiver".to_owned());
    }
    let mut stack = vec![route];
    while let Some(route) = stack.pop() {
        if let Some(name) = manifest::str_at(route, &["receiver"])
            && !receivers.contains(name)
        {
            problems.push(format!(
                "a route sends to receiver {name}, which is not defined"
            ));
        }
        stack.extend(manifest::items(route, &["routes"]));
    }
    for receiver in manifest::items(config, &["spec", "receivers"]) {
        for webhook in manifest::items(receiver, &["webhookConfigs"]) {
            if webhook.get("url").is_some() == webhook.get("urlSecret").is_some() {
                problems.push("a webhook needs exactly one of `url` and `urlSecret`".to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Vec<String> {
        let (count, problems) = problems(&manifest::parse_all(yaml).unwrap());
        assert_eq!(count, 1);
        problems
    }

    const MONITOR: &str = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n\
        metadata: {name: m, labels: {release: r}}\n\
        spec:\n  selector: {matchLabels: {a: b}}\n  endpoints:\n\
        \x20   - port: metrics\n      interval: 15s\n\
        \x20     relabelings: [{action: replace, sourceLabels: [x], targetLabel: platform}]\n";

    #[test]
    fn a_valid_service_monitor_passes() {
        assert!(check(MONITOR).is_empty(), "{:?}", check(MONITOR));
    }

    #[test]
    fn a_misspelt_field_a_bad_duration_and_a_missing_release_label_fail() {
        let broken = MONITOR
            .replace("interval: 15s", "intervall: 15s\n      scrapeTimeout: 10")
            .replace("labels: {release: r}", "labels: {}");
        let found = check(&broken);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("spec.endpoints[0].intervall: unknown field"));
        assert!(found[1].contains("spec.endpoints[0].scrapeTimeout: expected a duration"));
        assert!(found[2].contains("`release` label"));
    }

    #[test]
    fn routes_must_name_defined_receivers() {
        let found = check(
            "apiVersion: monitoring.coreos.com/v1alpha1\nkind: AlertmanagerConfig\n\
             metadata: {name: a}\nspec:\n  route:\n    receiver: alerter\n\
             \x20   routes: [{receiver: pager, matchers: [{name: severity, value: critical}]}]\n\
             \x20 receivers: [{name: alerter, webhookConfigs: [{sendResolved: true}]}]\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("receiver pager, which is not defined"));
        assert!(found[1].contains("exactly one of `url` and `urlSecret`"));
    }

    #[test]
    fn a_rule_must_be_a_record_or_an_alert() {
        let found = check(
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n\
             metadata: {name: r, labels: {release: r}}\n\
             spec: {groups: [{name: g, rules: [{expr: up}, {record: a, alert: b, expr: up}]}]}\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
    }
}

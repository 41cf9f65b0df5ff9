//! The AlertmanagerConfig translated from `prometheus/alertmanager.yml`, so
//! that compose and Kubernetes route alerts the same way: the route tree,
//! receivers and inhibit rules in the operator's camelCase form, the
//! `matchers` strings parsed into objects, the alerter's URL qualified with the
//! prod namespace, and its bearer token taken from the Secret `alerter` instead
//! of a file. Anything else in the file is refused rather than dropped.

use std::path::Path;

use anyhow::{Context, bail};
use serde_yaml_ng::Value;

use super::{Generated, mapping, metadata};

/// Where the alerter runs (overlays/prod).
const NAMESPACE: &str = "vigie-prod";

/// The Secret and key holding the webhook token (components/alerter).
const TOKEN_SECRET: (&str, &str) = ("alerter", "webhook_token");

/// The AlertmanagerConfig `vigie`.
pub(super) fn config(path: &Path) -> anyhow::Result<Generated> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let object = translate(&text).context("translating prometheus/alertmanager.yml")?;
    Generated::new(
        "alertmanager-config.yaml".to_owned(),
        "prometheus/alertmanager.yml",
        &object,
    )
}

fn translate(text: &str) -> anyhow::Result<Value> {
    let file: Value = serde_yaml_ng::from_str(text)?;
    only_keys(&file, &["route", "receivers", "inhibit_rules"], "the file")?;
    let route = route(file.get("route").context("no route")?)?;
    let receivers = list(&file, "receivers")
        .map(receiver)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let inhibit = list(&file, "inhibit_rules")
        .map(inhibit_rule)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(mapping(vec![
        ("apiVersion", Value::from("monitoring.coreos.com/v1alpha1")),
        ("kind", Value::from("AlertmanagerConfig")),
        ("metadata", metadata("vigie", Vec::new())),
        (
            "spec",
            mapping(vec![
                ("route", route),
                ("receivers", Value::Sequence(receivers)),
                ("inhibitRules", Value::Sequence(inhibit)),
            ]),
        ),
    ]))
}

fn route(route: &Value) -> anyhow::Result<Value> {
    const RENAMES: &[(&str, &str)] = &[
        ("receiver", "receiver"),
        ("group_by", "groupBy"),
        ("group_wait", "groupWait"),
        ("group_interval", "groupInterval"),
        ("repeat_interval", "repeatInterval"),
        ("continue", "continue"),
    ];
    let mut known: Vec<&str> = RENAMES.iter().map(|(from, _)| *from).collect();
    known.extend(["matchers", "routes"]);
    only_keys(route, &known, "a route")?;
    let mut pairs: Vec<(&str, Value)> = RENAMES
        .iter()
        .filter_map(|(from, to)| Some((*to, route.get(*from)?.clone())))
        .collect();
    if route.get("matchers").is_some() {
        pairs.push(("matchers", matchers(route, "matchers")?));
    }
    if route.get("routes").is_some() {
        let routes = list(route, "routes")
            .map(self::route)
            .collect::<anyhow::Result<Vec<_>>>()?;
        pairs.push(("routes", Value::Sequence(routes)));
    }
    Ok(mapping(pairs))
}

fn receiver(receiver: &Value) -> anyhow::Result<Value> {
    only_keys(receiver, &["name", "webhook_configs"], "a receiver")?;
    let name = receiver.get("name").context("a receiver has no name")?;
    let mut pairs = vec![("name", name.clone())];
    if receiver.get("webhook_configs").is_some() {
        let hooks = list(receiver, "webhook_configs")
            .map(webhook)
            .collect::<anyhow::Result<Vec<_>>>()?;
        pairs.push(("webhookConfigs", Value::Sequence(hooks)));
    }
    Ok(mapping(pairs))
}

fn webhook(hook: &Value) -> anyhow::Result<Value> {
    only_keys(
        hook,
        &["url", "send_resolved", "http_config", "max_alerts"],
        "a webhook",
    )?;
    let url = hook
        .get("url")
        .and_then(Value::as_str)
        .context("a webhook has no url")?;
    let mut pairs = vec![("url", Value::from(in_namespace(url)?))];
    for (from, to) in [
        ("send_resolved", "sendResolved"),
        ("max_alerts", "maxAlerts"),
    ] {
        if let Some(value) = hook.get(from) {
            pairs.push((to, value.clone()));
        }
    }
    if let Some(http) = hook.get("http_config") {
        only_keys(http, &["authorization"], "a webhook's http_config")?;
        let auth = http.get("authorization").context("no authorization")?;
        only_keys(auth, &["type", "credentials_file"], "the authorization")?;
        let kind = auth
            .get("type")
            .cloned()
            .unwrap_or_else(|| Value::from("Bearer"));
        let (secret, key) = TOKEN_SECRET;
        let credentials = mapping(vec![
            ("name", Value::from(secret)),
            ("key", Value::from(key)),
        ]);
        let authorization = mapping(vec![("type", kind), ("credentials", credentials)]);
        pairs.push((
            "httpConfig",
            mapping(vec![("authorization", authorization)]),
        ));
    }
    Ok(mapping(pairs))
}

fn inhibit_rule(rule: &Value) -> anyhow::Result<Value> {
    only_keys(
        rule,
        &["source_matchers", "target_matchers", "equal"],
        "an inhibit rule",
    )?;
    let mut pairs = vec![
        ("sourceMatch", matchers(rule, "source_matchers")?),
        ("targetMatch", matchers(rule, "target_matchers")?),
    ];
    if let Some(equal) = rule.get("equal") {
        pairs.push(("equal", equal.clone()));
    }
    Ok(mapping(pairs))
}

/// `http://alerter:9095/webhook` -> `http://alerter.vigie-prod.svc:9095/webhook`.
fn in_namespace(url: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .context("a webhook url has no scheme")?;
    let end = rest.find([':', '/']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    if host.contains('.') {
        return Ok(url.to_owned());
    }
    Ok(format!("{scheme}://{host}.{NAMESPACE}.svc{tail}"))
}

fn matchers(parent: &Value, key: &str) -> anyhow::Result<Value> {
    let parsed = list(parent, key)
        .map(|m| matcher(m.as_str().context("a matcher is not a string")?))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Value::Sequence(parsed))
}

/// `severity=~"info|none"` -> `{name: severity, value: info|none, matchType: =~}`.
fn matcher(text: &str) -> anyhow::Result<Value> {
    let at = text
        .find(['=', '!'])
        .with_context(|| format!("no operator in {text:?}"))?;
    let (name, rest) = text.split_at(at);
    let name = name.trim();
    let op = ["=~", "!~", "!=", "="]
        .into_iter()
        .find(|op| rest.starts_with(op))
        .with_context(|| format!("bad operator in {text:?}"))?;
    let mut value = rest[op.len()..].trim().to_owned();
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        value = value[1..value.len() - 1]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\");
    }
    let valid_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        bail!("bad label name in matcher {text:?}");
    }
    Ok(mapping(vec![
        ("name", Value::from(name)),
        ("value", Value::from(value)),
        ("matchType", Value::from(op)),
    ]))
}

fn list<'a>(parent: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    parent
        .get(key)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
}

fn only_keys(value: &Value, known: &[&str], what: &str) -> anyhow::Result<()> {
    let map = value
        .as_mapping()
        .with_context(|| format!("{what} is not a mapping"))?;
    for key in map.keys() {
        let key = key.as_str().unwrap_or("?");
        if !known.contains(&key) {
            bail!(
                "{what}: `{key}` has no translation (known: {})",
                known.join(", ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
route:
  receiver: alerter
  group_by: [alertname]
  group_wait: 30s
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: "null"
    - matchers: ['severity=~"info|none"', 'team != "a \"b\""']
      receiver: "null"
inhibit_rules:
  - source_matchers: ['alertname="ServiceDown"']
    target_matchers: ['alertname=~"HighErrorRate|ErrorBudgetBurn"']
    equal: [platform, service]
receivers:
  - name: "null"
  - name: alerter
    webhook_configs:
      - url: http://alerter:9095/webhook
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: /run/secrets/alerter_webhook_token
"#;

    #[test]
    fn routes_receivers_and_inhibitions_are_translated() {
        let spec = translate(SOURCE).unwrap()["spec"].clone();
        assert_eq!(spec["route"]["groupWait"], "30s");
        let second = &spec["route"]["routes"][1]["matchers"];
        assert_eq!(second[0]["matchType"], "=~");
        assert_eq!(second[0]["value"], "info|none");
        assert_eq!(second[1]["name"], "team");
        assert_eq!(second[1]["matchType"], "!=");
        assert_eq!(second[1]["value"], "a \"b\"");
        let hook = &spec["receivers"][1]["webhookConfigs"][0];
        assert_eq!(hook["url"], "http://alerter.vigie-prod.svc:9095/webhook");
        assert_eq!(
            hook["httpConfig"]["authorization"]["credentials"]["key"],
            "webhook_token"
        );
        assert_eq!(spec["inhibitRules"][0]["targetMatch"][0]["matchType"], "=~");
        assert_eq!(spec["inhibitRules"][0]["equal"][1], "service");
    }

    #[test]
    fn what_has_no_translation_is_refused() {
        let with_email = SOURCE.replace(
            "  - name: \"null\"",
            "  - name: \"null\"\n    email_configs: []",
        );
        let error = translate(&with_email).unwrap_err().to_string();
        assert!(error.contains("email_configs"), "{error}");
        assert!(translate(&SOURCE.replace("group_wait", "group_wiat")).is_err());
        assert!(matcher("9x=\"a\"").is_err());
    }
}

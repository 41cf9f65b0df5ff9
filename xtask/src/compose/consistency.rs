//! The compose files agree with the monitoring configuration they run:
//! everything Prometheus scrapes by DNS is the alias `<platform>-<service>` of a
//! service on the shared monitoring network (and every Vigie service is
//! scraped), every static target, Alertmanager webhook and Grafana datasource
//! names a service it can reach, Alertmanager mounts the token file its config
//! reads, and Grafana mounts its provisioning where the providers look.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde_yaml_ng::Value;

use super::Platform;
use super::model::{self, Project, scalar, strings};

/// The shared network's key in every compose file, and its Docker name.
pub const MONITORING_KEY: &str = "monitoring";
/// The Docker name of the shared monitoring network.
pub const MONITORING_NAME: &str = "vigie-monitoring";

/// Every disagreement between `project` and the files under `root`.
pub fn problems(
    project: &Project,
    platform: &Platform,
    root: &Path,
) -> anyhow::Result<Vec<String>> {
    let prometheus = read_yaml(&root.join("prometheus/prometheus.yml"))?;
    let mut problems = Vec::new();
    if project.network_name(MONITORING_KEY).as_deref() != Some(MONITORING_NAME) {
        problems.push(format!(
            "network `{MONITORING_KEY}` must be named {MONITORING_NAME} (shared by every platform)"
        ));
    }
    scraped_aliases(project, platform, &prometheus, &mut problems);
    if platform.production {
        monitoring_stack(project, root, &prometheus, &mut problems)?;
    }
    Ok(problems)
}

fn read_yaml(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_yaml_ng::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The aliases a service has on the monitoring network.
fn monitoring_aliases(service: &Value) -> Vec<String> {
    model::networks(service)
        .into_iter()
        .filter(|(network, _)| network == MONITORING_KEY)
        .flat_map(|(_, aliases)| aliases)
        .collect()
}

fn scraped_aliases(
    project: &Project,
    platform: &Platform,
    prometheus: &Value,
    problems: &mut Vec<String>,
) {
    let prefix = format!("{}-", platform.name);
    let names: BTreeSet<String> = scrape_configs(prometheus)
        .flat_map(|job| sequence(job.get("dns_sd_configs")))
        .flat_map(|sd| strings(sd.get("names")))
        .filter(|name| name.starts_with(&prefix))
        .collect();
    for name in &names {
        let service = &name[prefix.len()..];
        match project.services.get(service) {
            None => problems.push(format!(
                "prometheus.yml scrapes {name}, but there is no service {service}"
            )),
            Some(definition) if !monitoring_aliases(definition).contains(name) => problems.push(
                format!("service {service} lacks the alias {name} on the monitoring network"),
            ),
            Some(_) => {}
        }
    }
    for (service, definition) in project.services() {
        let alias = format!("{prefix}{service}");
        let ours = definition
            .get("image")
            .and_then(scalar)
            .is_some_and(|image| image.starts_with("vigie/"));
        if ours && !names.contains(&alias) {
            problems.push(format!(
                "service {service} is not scraped: add {alias} to prometheus.yml and as its alias"
            ));
        }
        for other in monitoring_aliases(definition) {
            if other != alias {
                problems.push(format!(
                    "service {service} has the alias {other}, expected {alias}"
                ));
            }
        }
    }
}

fn monitoring_stack(
    project: &Project,
    root: &Path,
    prometheus: &Value,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut hosts: Vec<(String, String)> = Vec::new();
    let alerting = prometheus
        .get("alerting")
        .and_then(|a| a.get("alertmanagers"));
    let static_configs = scrape_configs(prometheus)
        .chain(sequence(alerting))
        .flat_map(|job| sequence(job.get("static_configs")));
    for config in static_configs {
        for target in strings(config.get("targets")) {
            hosts.push(("prometheus.yml".into(), target));
        }
    }
    let alertmanager = read_yaml(&root.join("prometheus/alertmanager.yml"))?;
    let webhooks: Vec<&Value> = sequence(alertmanager.get("receivers"))
        .flat_map(|receiver| sequence(receiver.get("webhook_configs")))
        .collect();
    for webhook in &webhooks {
        if let Some(url) = webhook.get("url").and_then(scalar) {
            hosts.push(("alertmanager.yml".into(), url));
        }
        let token = webhook
            .get("http_config")
            .and_then(|c| c.get("authorization"))
            .and_then(|a| a.get("credentials_file"))
            .and_then(scalar);
        if let Some(secret) = token
            .as_deref()
            .and_then(|t| t.strip_prefix("/run/secrets/"))
        {
            let mounted = project
                .services
                .get("alertmanager")
                .is_some_and(|am| model::secrets(am).iter().any(|s| s == secret));
            if !mounted {
                problems.push(format!(
                    "alertmanager.yml reads /run/secrets/{secret}: mount the secret {secret} into alertmanager"
                ));
            }
        }
    }
    let datasources = root.join("grafana/provisioning/datasources");
    for entry in std::fs::read_dir(&datasources)
        .with_context(|| format!("listing {}", datasources.display()))?
    {
        let path = entry?.path();
        let file = read_yaml(&path)?;
        for datasource in sequence(file.get("datasources")) {
            if let Some(url) = datasource.get("url").and_then(scalar) {
                hosts.push((format!("grafana datasource {}", path.display()), url));
            }
        }
    }
    for (source, target) in hosts {
        let host = host_of(&target);
        if host == "localhost" {
            continue;
        }
        match project.services.get(host.as_str()) {
            None => problems.push(format!(
                "{source} names {target}, but there is no service {host}"
            )),
            Some(service) if joins_monitoring(service) => {}
            Some(_) => problems.push(format!(
                "{source} names {target}, but {host} is not on the monitoring network"
            )),
        }
    }
    grafana_mounts(project, root, problems);
    Ok(())
}

fn joins_monitoring(service: &Value) -> bool {
    model::networks(service)
        .iter()
        .any(|(network, _)| network == MONITORING_KEY)
}

fn grafana_mounts(project: &Project, root: &Path, problems: &mut Vec<String>) {
    let Some(grafana) = project.services.get("grafana") else {
        problems.push("there is no grafana service".into());
        return;
    };
    let binds = model::binds(grafana);
    for (source, target) in [
        ("grafana/provisioning", "/etc/grafana/provisioning"),
        ("grafana/dashboards", "/var/lib/grafana/dashboards"),
    ] {
        let source = root.join(source);
        let mounted = binds
            .iter()
            .any(|b| Path::new(&b.source) == source && b.target == target);
        if !mounted {
            problems.push(format!(
                "grafana must mount {} at {target}",
                source.display()
            ));
        }
    }
}

/// `http://alerter:9095/webhook` or `alertmanager:9093` -> the host.
fn host_of(target: &str) -> String {
    let without_scheme = target.split_once("://").map_or(target, |(_, rest)| rest);
    let authority = without_scheme.split('/').next().unwrap_or_default();
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
        .to_owned()
}

fn scrape_configs(prometheus: &Value) -> impl Iterator<Item = &Value> {
    sequence(prometheus.get("scrape_configs"))
}

fn sequence(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_sequence).into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls_and_targets() {
        assert_eq!(host_of("http://alerter:9095/webhook"), "alerter");
        assert_eq!(host_of("alertmanager:9093"), "alertmanager");
        assert_eq!(host_of("http://jaeger:16686"), "jaeger");
        assert_eq!(host_of("localhost:9090"), "localhost");
    }
}

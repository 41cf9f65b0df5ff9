//! A rendered compose project and the few readings of it the checks need, each
//! accepting both of compose's syntaxes (short strings and long mappings).

use serde_yaml_ng::{Mapping, Value};

/// The resources of a compose project after rendering: interpolated, merged
/// with its includes, relative paths made absolute.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Project {
    /// The top-level `name:`.
    pub name: Option<String>,
    /// `services:`, by name.
    pub services: Mapping,
    /// `networks:`, by key.
    pub networks: Mapping,
    /// `volumes:`, by key.
    pub volumes: Mapping,
    /// `secrets:`, by key.
    pub secrets: Mapping,
    /// `configs:`, by key.
    pub configs: Mapping,
}

impl Project {
    /// Every service, with its name.
    pub fn services(&self) -> impl Iterator<Item = (String, &Value)> {
        self.services
            .iter()
            .map(|(name, service)| (scalar(name).unwrap_or_default(), service))
    }

    /// Whether the network `key` is declared `internal: true`.
    pub fn is_internal(&self, key: &str) -> bool {
        self.networks
            .get(key)
            .and_then(|network| network.get("internal"))
            .is_some_and(is_true)
    }

    /// The network `key`'s `name:` (the Docker network's actual name), if fixed.
    pub fn network_name(&self, key: &str) -> Option<String> {
        self.networks
            .get(key)
            .and_then(|network| network.get("name"))
            .and_then(scalar)
    }

    /// The whole project as YAML (`name` and the resources), for the schema check.
    pub fn to_value(&self) -> Value {
        let mut top = Mapping::new();
        if let Some(name) = &self.name {
            top.insert("name".into(), name.clone().into());
        }
        for (key, resources) in [
            ("services", &self.services),
            ("networks", &self.networks),
            ("volumes", &self.volumes),
            ("secrets", &self.secrets),
            ("configs", &self.configs),
        ] {
            if !resources.is_empty() {
                top.insert(key.into(), Value::Mapping(resources.clone()));
            }
        }
        Value::Mapping(top)
    }
}

/// A string, number or boolean as text.
pub fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `true`, or the string `"true"` (interpolated values are strings).
pub fn is_true(value: &Value) -> bool {
    scalar(value).is_some_and(|s| s == "true")
}

/// The strings of a list, or the one string of a scalar.
pub fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The networks a service joins, each with its aliases.
pub fn networks(service: &Value) -> Vec<(String, Vec<String>)> {
    match service.get("networks") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(scalar)
            .map(|name| (name, Vec::new()))
            .collect(),
        Some(Value::Mapping(map)) => map
            .iter()
            .map(|(name, settings)| {
                let aliases = strings(settings.get("aliases"));
                (scalar(name).unwrap_or_default(), aliases)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The environment, as (name, value) pairs; a bare `NAME` has no value.
pub fn environment(service: &Value) -> Vec<(String, Option<String>)> {
    match service.get("environment") {
        Some(Value::Mapping(map)) => map
            .iter()
            .map(|(name, value)| (scalar(name).unwrap_or_default(), scalar(value)))
            .collect(),
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(scalar)
            .map(|item| match item.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (item, None),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The names of the secrets a service mounts.
pub fn secrets(service: &Value) -> Vec<String> {
    match service.get("secrets") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|item| scalar(item).or_else(|| item.get("source").and_then(scalar)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The services a service depends on, with the condition it waits for
/// (`None` for the short syntax, which waits only for the start).
pub fn depends_on(service: &Value) -> Vec<(String, Option<String>)> {
    match service.get("depends_on") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(scalar)
            .map(|name| (name, None))
            .collect(),
        Some(Value::Mapping(map)) => map
            .iter()
            .map(|(name, settings)| {
                let condition = settings.get("condition").and_then(scalar);
                (scalar(name).unwrap_or_default(), condition)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A port published on the host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Published {
    /// The host address (`0.0.0.0` when none is given: every interface).
    pub host_ip: String,
    /// The host port.
    pub port: u16,
    /// The container port.
    pub target: String,
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}->{}", self.host_ip, self.port, self.target)
    }
}

/// The published ports; an error for a port compose would publish on a random
/// host port (a container port alone) or a syntax this check does not read.
pub fn published(service: &Value) -> Result<Vec<Published>, String> {
    let Some(Value::Sequence(items)) = service.get("ports") else {
        return Ok(Vec::new());
    };
    items.iter().map(published_one).collect()
}

fn published_one(item: &Value) -> Result<Published, String> {
    if let Value::Mapping(map) = item {
        let port = map
            .get("published")
            .and_then(scalar)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("port {item:?} has no fixed `published` port"))?;
        return Ok(Published {
            host_ip: map
                .get("host_ip")
                .and_then(scalar)
                .unwrap_or_else(|| "0.0.0.0".into()),
            port,
            target: map.get("target").and_then(scalar).unwrap_or_default(),
        });
    }
    let text = scalar(item).ok_or_else(|| format!("unreadable port {item:?}"))?;
    let spec = text.split('/').next().unwrap_or_default();
    let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
    let (host_ip, host_port, target) = match parts.as_slice() {
        [target, port] => ("0.0.0.0", *port, *target),
        [target, port, ip] => (ip.trim_matches(['[', ']']), *port, *target),
        _ => return Err(format!("port {text:?} publishes on a random host port")),
    };
    let port = host_port
        .parse()
        .map_err(|_| format!("port {text:?}: host port {host_port:?} is not one number"))?;
    Ok(Published {
        host_ip: host_ip.to_owned(),
        port,
        target: target.to_owned(),
    })
}

/// A bind mount: a host path into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// The host path (absolute after rendering).
    pub source: String,
    /// The path in the container.
    pub target: String,
    /// Mounted read-only.
    pub read_only: bool,
}

/// The bind mounts of a service (named volumes and tmpfs are not binds).
pub fn binds(service: &Value) -> Vec<Bind> {
    let Some(Value::Sequence(items)) = service.get("volumes") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::Mapping(map) => {
                let is_bind = map.get("type").and_then(scalar).as_deref() == Some("bind");
                is_bind.then(|| Bind {
                    source: map.get("source").and_then(scalar).unwrap_or_default(),
                    target: map.get("target").and_then(scalar).unwrap_or_default(),
                    read_only: map.get("read_only").is_some_and(is_true),
                })
            }
            other => {
                let text = scalar(other)?;
                let mut parts = text.splitn(3, ':');
                let source = parts.next()?.to_owned();
                let target = parts.next()?.to_owned();
                let options = parts.next().unwrap_or_default();
                is_host_path(&source).then(|| Bind {
                    source,
                    target,
                    read_only: options.split(',').any(|o| o == "ro"),
                })
            }
        })
        .collect()
}

/// Whether a short-syntax volume source is a host path (not a named volume).
pub fn is_host_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(yaml: &str) -> Value {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn ports_in_both_syntaxes() {
        let s = service(
            "ports: ['8090:80', '127.0.0.1:9090:9090', '8000:8000/tcp', {target: 3000, published: 3000, host_ip: 127.0.0.1}]",
        );
        let ports: Vec<String> = published(&s)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            ports,
            [
                "0.0.0.0:8090->80",
                "127.0.0.1:9090->9090",
                "0.0.0.0:8000->8000",
                "127.0.0.1:3000->3000"
            ]
        );
        assert!(published(&service("ports: ['80']")).is_err());
        assert!(published(&service("ports: ['8000-8010:80']")).is_err());
    }

    #[test]
    fn networks_environment_secrets_and_dependencies() {
        let s = service(
            "networks: {app: {}, monitoring: {aliases: [prod-x]}}\nenvironment: [A=1, B]\nsecrets: [one, {source: two, target: t}]\ndepends_on: {redis: {condition: service_healthy}}",
        );
        assert_eq!(
            networks(&s),
            [
                ("app".into(), vec![]),
                ("monitoring".into(), vec!["prod-x".into()])
            ]
        );
        assert_eq!(
            environment(&s),
            [("A".into(), Some("1".into())), ("B".into(), None)]
        );
        assert_eq!(secrets(&s), ["one", "two"]);
        assert_eq!(
            depends_on(&s),
            [("redis".into(), Some("service_healthy".into()))]
        );
        assert_eq!(
            depends_on(&service("depends_on: [redis]")),
            [("redis".into(), None)]
        );
    }

    #[test]
    fn binds_but_not_named_volumes() {
        let s = service(
            "volumes: ['data:/data', '/etc/x:/x:ro', './conf:/conf', {type: bind, source: /a, target: /b, read_only: true}, {type: volume, source: v, target: /v}]",
        );
        let binds = binds(&s);
        assert_eq!(binds.len(), 3);
        assert!(binds[0].read_only && !binds[1].read_only && binds[2].read_only);
    }
}

//! The hardening every rendered platform must show (issue 6, acceptance 2):
//! no root and no privilege (cAdvisor excepted, for a stated reason), a
//! read-only root filesystem without capabilities or new privileges, a health
//! check everywhere, dependencies that wait for health, exactly the expected
//! published ports, data stores on internal networks only, pinned images,
//! secrets only through `secrets:`, and resource limits, lower and
//! lower-priority outside production.

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml_ng::Value;

use super::Platform;
use super::model::{self, Project, is_true, scalar, strings};

/// Services allowed to run as root and privileged, and why (docs/compose.md, "cAdvisor").
pub const PRIVILEGED: &[(&str, &str)] = &[(
    "cadvisor",
    "reads the Docker daemon's state and the cgroups of every container",
)];

/// Services allowed to read host paths (read-only): they describe the host.
const HOST_READERS: &[&str] = &["cadvisor", "node-exporter"];

/// Images whose containers hold data: internal networks only, nothing published.
const DATA_IMAGES: &[&str] = &["redis", "postgres"];

/// Words that make an environment variable a secret, unless it is a `_FILE` path.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "TOKEN",
    "SECRET",
    "API_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

/// Every hardening problem of `project`, rendered for `platform` from the
/// repository at `root`.
pub fn problems(project: &Project, platform: &Platform, root: &Path) -> Vec<String> {
    let secrets_dir = root.join("compose/secrets");
    let mut problems = Vec::new();
    let expected_name = format!("vigie-{}", platform.name);
    if project.name.as_deref() != Some(expected_name.as_str()) {
        problems.push(format!(
            "the project is named {:?}, not {expected_name:?} (Prometheus reads the platform from it)",
            project.name
        ));
    }
    let names: BTreeSet<String> = project.services().map(|(name, _)| name).collect();
    let mut published = BTreeSet::new();
    for (name, service) in project.services() {
        let mut found = Vec::new();
        privileges(&name, service, &mut found);
        health_and_ordering(service, &names, &mut found);
        match model::published(service) {
            Ok(ports) => published.extend(ports.into_iter().map(|p| (p.host_ip, p.port))),
            Err(error) => found.push(error),
        }
        data_isolation(project, service, &mut found);
        pinned_image(service, &mut found);
        secrets(project, service, &secrets_dir, &mut found);
        resources(platform, service, &mut found);
        mounts(&name, service, root, &mut found);
        problems.extend(found.into_iter().map(|p| format!("service {name}: {p}")));
    }
    let expected: BTreeSet<(String, u16)> = platform
        .published
        .iter()
        .map(|(ip, port)| ((*ip).to_owned(), *port))
        .collect();
    if published != expected {
        problems.push(format!(
            "published ports {published:?}, expected exactly {expected:?}"
        ));
    }
    problems
}

fn privileges(name: &str, service: &Value, found: &mut Vec<String>) {
    let excepted = PRIVILEGED.iter().any(|(service, _)| *service == name);
    let user = service.get("user").and_then(scalar);
    let is_root = user
        .as_deref()
        .is_none_or(|u| matches!(u.split(':').next(), Some("" | "0" | "root")));
    if is_root && !excepted {
        found.push(format!(
            "runs as root ({}): set a non-root `user`",
            user.as_deref().unwrap_or("no `user`")
        ));
    }
    if service.get("privileged").is_some_and(is_true) && !excepted {
        found.push("is privileged".into());
    }
    if !strings(service.get("cap_add")).is_empty() {
        found.push("adds capabilities".into());
    }
    if !excepted && !strings(service.get("cap_drop")).contains(&"ALL".to_owned()) {
        found.push("does not drop every capability (cap_drop: [ALL])".into());
    }
    let no_new = strings(service.get("security_opt"))
        .iter()
        .any(|o| o == "no-new-privileges:true" || o == "no-new-privileges");
    if !no_new {
        found.push("lacks security_opt no-new-privileges:true".into());
    }
    if !service.get("read_only").is_some_and(is_true) {
        found.push("has a writable root filesystem (read_only: true, tmpfs where needed)".into());
    }
    for (key, bad) in [("network_mode", "host"), ("pid", "host"), ("ipc", "host")] {
        if service.get(key).and_then(scalar).as_deref() == Some(bad) {
            found.push(format!("shares the host's {key}"));
        }
    }
    if service.get("restart").and_then(scalar).as_deref() != Some("unless-stopped") {
        found.push("restart is not unless-stopped".into());
    }
}

fn health_and_ordering(service: &Value, names: &BTreeSet<String>, found: &mut Vec<String>) {
    match service.get("healthcheck") {
        None => found.push("has no healthcheck".into()),
        Some(check) => {
            let test = strings(check.get("test"));
            if check.get("disable").is_some_and(is_true) || test.is_empty() || test[0] == "NONE" {
                found.push("its healthcheck is disabled or empty".into());
            }
        }
    }
    for (dependency, condition) in model::depends_on(service) {
        if !names.contains(&dependency) {
            found.push(format!("depends on {dependency}, which does not exist"));
        }
        if condition.as_deref() != Some("service_healthy") {
            found.push(format!(
                "depends on {dependency} without waiting for its health (condition: service_healthy)"
            ));
        }
    }
}

fn data_isolation(project: &Project, service: &Value, found: &mut Vec<String>) {
    let image = service.get("image").and_then(scalar).unwrap_or_default();
    let repository = image.split([':', '@']).next().unwrap_or_default();
    if !DATA_IMAGES.contains(&repository) {
        return;
    }
    let networks = model::networks(service);
    if networks.is_empty() {
        found.push("holds data but joins the default (non-internal) network".into());
    }
    for (network, _) in networks {
        if !project.is_internal(&network) {
            found.push(format!(
                "holds data but joins {network}, which is not internal"
            ));
        }
    }
    if service.get("ports").is_some() {
        found.push("holds data but publishes ports".into());
    }
}

fn pinned_image(service: &Value, found: &mut Vec<String>) {
    let Some(image) = service.get("image").and_then(scalar) else {
        found.push("has no image name".into());
        return;
    };
    if !is_pinned(&image) {
        found.push(format!(
            "image {image} is not pinned (an exact version tag or a digest)"
        ));
    }
}

/// An image reference with a digest, or a tag naming a version (not `latest`).
pub fn is_pinned(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    let name = image.rsplit('/').next().unwrap_or(image);
    name.split_once(':')
        .is_some_and(|(_, tag)| tag != "latest" && tag.chars().any(|c| c.is_ascii_digit()))
}

fn secrets(project: &Project, service: &Value, secrets_dir: &Path, found: &mut Vec<String>) {
    if service.get("env_file").is_some() {
        found
            .push("reads an env_file: pass settings in `environment`, secrets as `secrets`".into());
    }
    let mounted = model::secrets(service);
    for (name, value) in model::environment(service) {
        let value = value.unwrap_or_default();
        let upper = name.to_ascii_uppercase();
        let secret_name = SECRET_WORDS.iter().any(|word| upper.contains(word));
        if secret_name && !upper.ends_with("_FILE") {
            found.push(format!(
                "environment {name} holds a secret: use {name}_FILE and a compose secret"
            ));
        }
        let authority = value
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next());
        let userinfo = authority
            .flatten()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(u, _)| u);
        if userinfo.is_some_and(|user| user.contains(':')) {
            found.push(format!("environment {name} is a URL with a password"));
        }
        if let Some(secret) = value.strip_prefix("/run/secrets/")
            && !mounted.iter().any(|m| m == secret)
        {
            found.push(format!(
                "environment {name} reads the secret {secret}, which it does not mount"
            ));
        }
    }
    for secret in mounted {
        let file = project
            .secrets
            .get(secret.as_str())
            .and_then(|s| s.get("file"))
            .and_then(scalar);
        match file {
            Some(file) if Path::new(&file).starts_with(secrets_dir) => {}
            Some(file) => found.push(format!(
                "secret {secret} comes from {file}, outside {}",
                secrets_dir.display()
            )),
            None => found.push(format!(
                "secret {secret} is not a top-level secret with a `file`"
            )),
        }
    }
}

fn resources(platform: &Platform, service: &Value, found: &mut Vec<String>) {
    let resources = service.get("deploy").and_then(|d| d.get("resources"));
    let limit = |key: &str| {
        resources
            .and_then(|r| r.get("limits"))
            .and_then(|l| l.get(key))
            .and_then(scalar)
    };
    if limit("cpus").is_none() || limit("memory").is_none() {
        found.push("has no CPU or memory limit (deploy.resources.limits)".into());
    }
    let number = |key: &str| {
        service
            .get(key)
            .and_then(scalar)
            .and_then(|v| v.parse::<i64>().ok())
    };
    if platform.production {
        let reserved = resources
            .and_then(|r| r.get("reservations"))
            .and_then(|r| r.get("memory"))
            .is_some();
        if !reserved {
            found.push("has no memory reservation on production".into());
        }
    } else {
        if number("cpu_shares").is_none_or(|shares| shares >= 1024) {
            found.push("outside production, needs cpu_shares below the default 1024".into());
        }
        if number("oom_score_adj").is_none_or(|score| score <= 0) {
            found.push("outside production, needs a positive oom_score_adj".into());
        }
    }
}

fn mounts(name: &str, service: &Value, root: &Path, found: &mut Vec<String>) {
    for bind in model::binds(service) {
        if !bind.read_only {
            found.push(format!("mounts {} writable", bind.source));
        }
        if bind.source.ends_with("docker.sock") {
            found.push("mounts the Docker socket".into());
        }
        let in_repository = Path::new(&bind.source).starts_with(root);
        if !in_repository && !HOST_READERS.contains(&name) {
            found.push(format!("mounts the host path {}", bind.source));
        }
        if in_repository && !Path::new(&bind.source).exists() {
            found.push(format!("mounts {}, which does not exist", bind.source));
        }
    }
}

#[cfg(test)]
mod tests;

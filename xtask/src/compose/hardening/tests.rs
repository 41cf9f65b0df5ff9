//! The hardening rules, each shown to fail on a service that breaks it.

use super::*;

fn platform() -> Platform {
    Platform {
        name: "dev",
        entry: "compose/platform.yml",
        env_file: None,
        production: false,
        published: &[("0.0.0.0", 8091)],
    }
}

const GOOD: &str = "
user: '65532:65532'
image: vigie/queue-service:0.1.0
read_only: true
cap_drop: [ALL]
security_opt: ['no-new-privileges:true']
restart: unless-stopped
cpu_shares: '256'
oom_score_adj: '500'
healthcheck: {test: [CMD, /bin/x, healthcheck]}
ports: ['8091:80']
networks: [app]
deploy: {resources: {limits: {cpus: '0.25', memory: 64M}}}
";

fn project_with(service: &str) -> Project {
    let mut project = Project {
        name: Some("vigie-dev".into()),
        ..Project::default()
    };
    let service: Value = serde_yaml_ng::from_str(service).unwrap();
    project.services.insert("queue".into(), service);
    project.networks.insert(
        "app".into(),
        serde_yaml_ng::from_str("{internal: true}").unwrap(),
    );
    project
}

fn check(service: &str) -> Vec<String> {
    problems(&project_with(service), &platform(), Path::new("/repo"))
}

/// GOOD with one top-level key replaced (or added).
fn with(key: &str, value: &str) -> String {
    let kept: Vec<&str> = GOOD
        .lines()
        .filter(|line| !line.starts_with(&format!("{key}:")))
        .collect();
    format!("{}\n{key}: {value}\n", kept.join("\n"))
}

fn assert_finds(service: &str, expected: &str) {
    let found = check(service);
    assert!(
        found.iter().any(|p| p.contains(expected)),
        "expected a problem containing {expected:?}, got {found:?}"
    );
}

#[test]
fn a_hardened_service_passes() {
    assert_eq!(check(GOOD), Vec::<String>::new());
}

#[test]
fn root_and_privileges_are_refused() {
    assert_finds(&with("user", "'0:0'"), "runs as root");
    assert_finds(&with("user", "root"), "runs as root");
    assert_finds(&with("privileged", "true"), "is privileged");
    assert_finds(
        &with("cap_drop", "[NET_RAW]"),
        "does not drop every capability",
    );
    assert_finds(&with("read_only", "false"), "writable root filesystem");
    assert_finds(
        &with("network_mode", "host"),
        "shares the host's network_mode",
    );
    let no_user: String = GOOD
        .lines()
        .filter(|l| !l.starts_with("user:"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_finds(&no_user, "runs as root (no `user`)");
}

#[test]
fn health_and_ordering_are_required() {
    let none: String = GOOD
        .lines()
        .filter(|l| !l.starts_with("healthcheck:"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_finds(&none, "has no healthcheck");
    assert_finds(&with("healthcheck", "{test: [NONE]}"), "disabled or empty");
    assert_finds(
        &with("depends_on", "[queue]"),
        "without waiting for its health",
    );
    assert_finds(
        &with("depends_on", "{ghost: {condition: service_healthy}}"),
        "depends on ghost, which does not exist",
    );
}

#[test]
fn only_the_expected_ports_are_published() {
    assert_finds(
        &with("ports", "['8091:80', '6379:6379']"),
        "published ports",
    );
    assert_finds(&with("ports", "['127.0.0.1:8091:80']"), "published ports");
}

#[test]
fn data_stores_stay_internal_and_images_pinned() {
    let redis = with("image", "redis:7.4.7-bookworm");
    assert_finds(&redis, "holds data but publishes ports");
    let mut project = project_with(&redis);
    project
        .networks
        .insert("app".into(), serde_yaml_ng::from_str("{}").unwrap());
    let found = problems(&project, &platform(), Path::new("/repo"));
    assert!(
        found
            .iter()
            .any(|p| p.contains("joins app, which is not internal")),
        "{found:?}"
    );
    assert_finds(&with("image", "redis:latest"), "not pinned");
    assert_finds(&with("image", "redis"), "not pinned");
    assert!(is_pinned(
        "gcr.io/distroless/cc-debian12:nonroot@sha256:9dac"
    ));
    assert!(!is_pinned("localhost:5000/app"));
}

#[test]
fn secrets_come_from_secret_files() {
    assert_finds(
        &with("environment", "{DB_PASSWORD: hunter2}"),
        "holds a secret",
    );
    assert_finds(&with("environment", "[API_KEYS=abc]"), "holds a secret");
    assert_finds(
        &with("environment", "{REDIS_URL: 'redis://:pw@redis:6379/'}"),
        "URL with a password",
    );
    assert_finds(
        &with("environment", "{API_KEYS_FILE: /run/secrets/api_keys}"),
        "which it does not mount",
    );
    assert_finds(&with("secrets", "[api_keys]"), "not a top-level secret");
    assert!(
        check(&with(
            "environment",
            "{DATABASE_URL: 'postgres://students@postgres/students'}"
        ))
        .is_empty()
    );
}

#[test]
fn non_production_has_limits_and_lower_priority() {
    assert_finds(&with("cpu_shares", "'1024'"), "cpu_shares below");
    assert_finds(&with("oom_score_adj", "'0'"), "positive oom_score_adj");
    assert_finds(&with("deploy", "{}"), "no CPU or memory limit");
}

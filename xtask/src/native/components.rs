//! The components of the native stack: how each starts, what it answers on, how
//! its health is read. The order of `all()` is the start order; `down` stops in
//! reverse.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ports;

/// How a component's health is read.
#[derive(Debug, Clone)]
pub enum Health {
    /// `GET` answers 2xx.
    Http(String),
    /// Redis answers `PING`.
    Redis(u16),
    /// Something accepts TCP connections.
    Tcp(u16),
}

/// One component.
#[derive(Debug, Clone)]
pub struct Component {
    /// Its name (pid file, log file, status table).
    pub name: String,
    /// Where an operator reaches it.
    pub url: String,
    /// How its health is read.
    pub health: Health,
    /// The ports it listens on (checked free before starting).
    pub ports: Vec<u16>,
    /// Whether it is started only with `--matrix`.
    pub matrix_only: bool,
}

fn component(name: &str, url: String, health: Health, ports: &[u16]) -> Component {
    Component {
        name: name.to_owned(),
        url,
        health,
        ports: ports.to_vec(),
        matrix_only: false,
    }
}

fn http(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

/// Every component, in start order.
pub fn all() -> Vec<Component> {
    let mut components = vec![
        component(
            "redis",
            format!("redis://127.0.0.1:{}", ports::REDIS),
            Health::Redis(ports::REDIS),
            &[ports::REDIS],
        ),
        component(
            "postgres",
            format!("postgres://127.0.0.1:{}", ports::PRIVATE_POSTGRES),
            Health::Tcp(ports::PRIVATE_POSTGRES),
            &[ports::PRIVATE_POSTGRES],
        ),
    ];
    for (queue, api, metrics) in ports::QUEUES {
        components.push(component(
            &format!("queue-{queue}"),
            http(api, "/docs"),
            Health::Http(http(api, "/healthcheck")),
            &[api, metrics],
        ));
    }
    components.extend([
        component(
            "students-api",
            http(ports::STUDENTS, "/"),
            Health::Http(http(ports::STUDENTS, "/healthcheck")),
            &[ports::STUDENTS, ports::STUDENTS_METRICS],
        ),
        component(
            "gateway",
            http(ports::GATEWAY, "/rubis/docs"),
            Health::Http(http(ports::GATEWAY, "/healthz")),
            &[ports::GATEWAY],
        ),
        component(
            "students-frontend",
            http(ports::FRONTEND, "/"),
            Health::Http(http(ports::FRONTEND, "/healthz")),
            &[ports::FRONTEND],
        ),
        component(
            "mail-catcher",
            format!("smtp://127.0.0.1:{}", ports::SMTP),
            Health::Tcp(ports::SMTP),
            &[ports::SMTP],
        ),
        Component {
            matrix_only: true,
            ..component(
                "synapse",
                http(ports::SYNAPSE, "/_matrix/client/versions"),
                Health::Http(http(ports::SYNAPSE, "/_matrix/client/versions")),
                &[ports::SYNAPSE],
            )
        },
        component(
            "alerter",
            http(ports::ALERTER, "/healthcheck"),
            Health::Http(http(ports::ALERTER, "/healthcheck")),
            &[ports::ALERTER, ports::ALERTER_METRICS],
        ),
        component(
            "alertmanager",
            http(ports::ALERTMANAGER, "/"),
            Health::Http(http(ports::ALERTMANAGER, "/-/ready")),
            &[ports::ALERTMANAGER],
        ),
        component(
            "node-exporter",
            http(ports::NODE_EXPORTER, "/metrics"),
            Health::Http(http(ports::NODE_EXPORTER, "/metrics")),
            &[ports::NODE_EXPORTER],
        ),
        component(
            "prometheus",
            http(ports::PROMETHEUS, "/"),
            Health::Http(http(ports::PROMETHEUS, "/-/ready")),
            &[ports::PROMETHEUS],
        ),
    ]);
    components
}

/// The scrape targets: (job, metrics port, `service` label).
pub fn scrape_targets() -> Vec<(&'static str, u16, &'static str)> {
    let mut targets: Vec<(&'static str, u16, &'static str)> = vec![
        ("vigie", 9101, "queue-rubis"),
        ("vigie", 9102, "queue-saphir"),
        ("vigie", 9103, "queue-emeraude"),
        ("vigie", 9104, "queue-diamant"),
        ("vigie", ports::STUDENTS_METRICS, "students-api"),
        ("vigie", ports::ALERTER_METRICS, "alerter"),
    ];
    targets.extend([
        ("prometheus", ports::PROMETHEUS, "prometheus"),
        ("alertmanager", ports::ALERTMANAGER, "alertmanager"),
        ("node-exporter", ports::NODE_EXPORTER, "node-exporter"),
    ]);
    targets
}

/// A command for one of our binaries, with the settings every service shares.
pub fn service_command(binary: &Path, api: u16, metrics: u16, service: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .env("LISTEN_ADDR", format!("127.0.0.1:{api}"))
        .env("METRICS_ADDR", format!("127.0.0.1:{metrics}"))
        .env("LOG_FORMAT", "json")
        .env("OTEL_SERVICE_NAME", service)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    command
}

/// The directory holding our binaries for `profile` (`debug` or `release`).
pub fn binaries(profile: &str) -> PathBuf {
    crate::cmd::workspace_root().join("target").join(profile)
}

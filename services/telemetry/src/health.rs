//! Health: the JSON shape of `/healthcheck` (readiness, per dependency), the
//! `/livez` handler (liveness, whatever the dependencies), and the client behind
//! each binary's `healthcheck` subcommand, so images need no curl.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// State of one dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DependencyStatus {
    /// It answered.
    Up,
    /// It failed or did not answer in time.
    Down,
}

/// What one dependency check found.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DependencyHealth {
    /// `up` or `down`.
    pub status: DependencyStatus,
    /// Whether the service is unready when this dependency is down.
    pub required: bool,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DependencyHealth {
    /// Runs a check and records its outcome and duration.
    pub async fn check<E: std::fmt::Display>(
        required: bool,
        check: impl Future<Output = Result<(), E>>,
    ) -> Self {
        let start = Instant::now();
        let result = check.await;
        let latency_ms = (start.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
        match result {
            Ok(()) => Self {
                status: DependencyStatus::Up,
                required,
                latency_ms,
                error: None,
            },
            Err(error) => Self {
                status: DependencyStatus::Down,
                required,
                latency_ms,
                error: Some(error.to_string()),
            },
        }
    }
}

/// Overall readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReadinessStatus {
    /// Every required dependency is up.
    Ok,
    /// A required dependency is down.
    Unavailable,
}

/// The `/healthcheck` body: 200 when every required dependency is up, 503 otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthReport {
    /// `ok` or `unavailable`.
    pub status: ReadinessStatus,
    /// One entry per dependency, by name.
    pub checks: BTreeMap<String, DependencyHealth>,
}

impl HealthReport {
    /// Builds the report from named checks.
    pub fn from_checks(checks: impl IntoIterator<Item = (&'static str, DependencyHealth)>) -> Self {
        let checks: BTreeMap<String, DependencyHealth> = checks
            .into_iter()
            .map(|(name, health)| (name.to_owned(), health))
            .collect();
        let ready = checks
            .values()
            .all(|check| !check.required || check.status == DependencyStatus::Up);
        let status = if ready {
            ReadinessStatus::Ok
        } else {
            ReadinessStatus::Unavailable
        };
        Self { status, checks }
    }
}

impl IntoResponse for HealthReport {
    fn into_response(self) -> Response {
        let status = match self.status {
            ReadinessStatus::Ok => StatusCode::OK,
            ReadinessStatus::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, Json(self)).into_response()
    }
}

/// The `/livez` body.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Liveness {
    /// Always `ok`: answering at all is the proof of life.
    #[schema(example = "ok")]
    pub status: String,
}

/// `GET /livez`: 200 while the process serves requests.
pub async fn livez() -> Json<Liveness> {
    Json(Liveness {
        status: "ok".to_owned(),
    })
}

/// The URL a local probe should call for a service listening on `listen_addr`:
/// a wildcard address is reached through loopback.
pub fn local_url(listen_addr: SocketAddr, path: &str) -> String {
    let host = match listen_addr {
        SocketAddr::V4(addr) if addr.ip().is_unspecified() => "127.0.0.1".to_owned(),
        SocketAddr::V6(addr) if addr.ip().is_unspecified() => "[::1]".to_owned(),
        SocketAddr::V4(addr) => addr.ip().to_string(),
        SocketAddr::V6(addr) => format!("[{}]", addr.ip()),
    };
    format!("http://{host}:{}{path}", listen_addr.port())
}

/// Calls `url` and succeeds on a 2xx answer; used by `<binary> healthcheck`.
pub async fn probe(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    let response = client.get(url).send().await?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        Ok(())
    } else {
        anyhow::bail!("{url} answered {status}: {body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_listen_addresses_are_probed_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        assert_eq!(
            local_url(any, "/healthcheck"),
            "http://127.0.0.1:8000/healthcheck"
        );
        let v6: SocketAddr = "[::]:9095".parse().unwrap();
        assert_eq!(local_url(v6, "/livez"), "http://[::1]:9095/livez");
    }

    #[test]
    fn optional_dependencies_do_not_make_a_service_unready() {
        let up = DependencyHealth {
            status: DependencyStatus::Up,
            required: true,
            latency_ms: 1.0,
            error: None,
        };
        let optional_down = DependencyHealth {
            status: DependencyStatus::Down,
            required: false,
            latency_ms: 1.0,
            error: Some("refused".into()),
        };
        let report =
            HealthReport::from_checks([("postgres", up.clone()), ("redis", optional_down)]);
        assert_eq!(report.status, ReadinessStatus::Ok);
        let required_down = DependencyHealth {
            required: true,
            ..report.checks["redis"].clone()
        };
        let report = HealthReport::from_checks([("postgres", up), ("redis", required_down)]);
        assert_eq!(report.status, ReadinessStatus::Unavailable);
    }
}

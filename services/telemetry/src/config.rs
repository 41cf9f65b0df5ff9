//! The settings every binary shares, flattened into each service's clap config.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

/// Logging, tracing and metrics settings common to every Vigie binary.
#[derive(Debug, Clone, Args)]
pub struct TelemetryArgs {
    /// Log format: `json` (one object per line, with trace ids) or `text`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// OTLP/HTTP endpoint (for example `http://jaeger:4318`); traces are exported only when set.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otel_exporter_otlp_endpoint: Option<String>,

    /// Service name reported in traces; defaults to the binary name.
    #[arg(long, env = "OTEL_SERVICE_NAME")]
    pub otel_service_name: Option<String>,

    /// Address of the Prometheus `/metrics` listener, kept apart from the API port.
    #[arg(long, env = "METRICS_ADDR", default_value = "0.0.0.0:9464")]
    pub metrics_addr: SocketAddr,
}

/// How log lines are written on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines, for terminals.
    Text,
}

impl TelemetryArgs {
    /// Settings for tests and tools: text logs, no OTLP, metrics on an ephemeral port.
    pub fn for_test() -> Self {
        Self {
            log_format: LogFormat::Text,
            otel_exporter_otlp_endpoint: None,
            otel_service_name: None,
            metrics_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

//! Command line and environment: every flag can also be set by the environment
//! variable of the same name (`--redis-host` or `REDIS_HOST`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use telemetry::TelemetryArgs;

use crate::auth::ApiKeys;
use crate::queue_name::QueueName;

/// queue-service: a Redis-backed ticket queue (one process serves one queue).
#[derive(Debug, Parser)]
#[command(name = "queue-service", version, about)]
pub struct Cli {
    /// What to do; serving the API is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Service settings.
    #[command(flatten)]
    pub config: Config,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the metrics (the default).
    Serve,
    /// Call this instance's /healthcheck; exit 0 when ready, 1 otherwise (container HEALTHCHECK).
    Healthcheck {
        /// URL to probe; defaults to /healthcheck on LISTEN_ADDR through loopback.
        #[arg(long)]
        url: Option<String>,
    },
}

/// queue-service settings.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address of the API listener.
    #[arg(long, env = "LISTEN_ADDR", default_value = "0.0.0.0:8000")]
    pub listen_addr: SocketAddr,

    /// Redis host (ignored when REDIS_URL is set).
    #[arg(long, env = "REDIS_HOST", default_value = "127.0.0.1")]
    pub redis_host: String,

    /// Redis port (ignored when REDIS_URL is set).
    #[arg(long, env = "REDIS_PORT", default_value_t = 6379)]
    pub redis_port: u16,

    /// Full Redis URL, e.g. `redis://:password@redis:6379/0`; overrides host and port.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,

    /// File holding the Redis URL (a Docker or Kubernetes secret).
    #[arg(long, env = "REDIS_URL_FILE")]
    pub redis_url_file: Option<PathBuf>,

    /// Name of the queue this process serves: `[A-Za-z0-9_-]{1,64}`.
    #[arg(long, env = "QUEUE_NAME", default_value = "DEFAULT", value_parser = QueueName::parse)]
    pub queue_name: QueueName,

    /// Comma-separated bearer tokens accepted on the ticket routes (16 characters at least).
    #[arg(long, env = "API_KEYS", hide_env_values = true)]
    pub api_keys: Option<SecretString>,

    /// File holding the API keys, one per line or comma-separated; `#` starts a comment.
    #[arg(long, env = "API_KEYS_FILE")]
    pub api_keys_file: Option<PathBuf>,

    /// Serve the ticket routes without authentication (refused unless given explicitly).
    #[arg(long, env = "ALLOW_ANONYMOUS")]
    pub allow_anonymous: bool,

    /// Enable `/traceback` and `POST /chaos/errors` (dev platform and tests only).
    #[arg(long, env = "CHAOS_ENDPOINTS")]
    pub chaos_endpoints: bool,

    /// Longest wait for a new Redis connection, in milliseconds.
    #[arg(long, env = "REDIS_CONNECT_TIMEOUT_MS", default_value_t = 250)]
    pub redis_connect_timeout_ms: u64,

    /// Longest wait for a Redis answer, in milliseconds.
    #[arg(long, env = "REDIS_RESPONSE_TIMEOUT_MS", default_value_t = 250)]
    pub redis_response_timeout_ms: u64,

    /// Longest time a request may take before it is answered 503, in milliseconds.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 5_000)]
    pub request_timeout_ms: u64,

    /// Do not record HTTP metrics (only to measure what they cost).
    #[arg(long, hide = true)]
    pub no_http_metrics: bool,

    /// Logging, tracing and metrics.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl Config {
    /// Settings for tests: loopback listeners on free ports, the given Redis and key.
    pub fn for_test(redis_url: &str, api_key: &str) -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            redis_host: "127.0.0.1".to_owned(),
            redis_port: 6379,
            redis_url: Some(redis_url.to_owned().into()),
            redis_url_file: None,
            queue_name: QueueName::parse("DEFAULT").expect("valid"),
            api_keys: Some(api_key.to_owned().into()),
            api_keys_file: None,
            allow_anonymous: false,
            chaos_endpoints: false,
            redis_connect_timeout_ms: 250,
            redis_response_timeout_ms: 250,
            request_timeout_ms: 5_000,
            no_http_metrics: false,
            telemetry: TelemetryArgs::for_test(),
        }
    }

    /// The Redis URL to connect to: `REDIS_URL`(`_FILE`) or host and port.
    pub fn redis_url(&self) -> anyhow::Result<SecretString> {
        let url = telemetry::secrets::resolve(
            "REDIS_URL",
            self.redis_url.clone(),
            self.redis_url_file.as_deref(),
        )?;
        Ok(url.unwrap_or_else(|| {
            let host = if self.redis_host.contains(':') {
                format!("[{}]", self.redis_host)
            } else {
                self.redis_host.clone()
            };
            format!("redis://{host}:{}/", self.redis_port).into()
        }))
    }

    /// The accepted API keys; an empty set is refused unless anonymous access was asked for.
    pub fn api_keys(&self) -> anyhow::Result<ApiKeys> {
        let raw = telemetry::secrets::resolve(
            "API_KEYS",
            self.api_keys.clone(),
            self.api_keys_file.as_deref(),
        )?;
        let keys = match raw {
            Some(raw) => ApiKeys::parse(raw.expose_secret())
                .map_err(|reason| anyhow::anyhow!("invalid API_KEYS: {reason}"))?,
            None => ApiKeys::none(),
        };
        if keys.is_empty() {
            anyhow::ensure!(
                self.allow_anonymous,
                "no API key configured: set API_KEYS or API_KEYS_FILE, or pass --allow-anonymous \
                 (ALLOW_ANONYMOUS=true) to serve the ticket routes without authentication"
            );
            tracing::warn!("serving the ticket routes WITHOUT authentication (--allow-anonymous)");
            return Ok(ApiKeys::anonymous());
        }
        Ok(keys)
    }

    /// Longest wait for a new Redis connection.
    pub fn redis_connect_timeout(&self) -> Duration {
        Duration::from_millis(self.redis_connect_timeout_ms)
    }

    /// Longest wait for a Redis answer.
    pub fn redis_response_timeout(&self) -> Duration {
        Duration::from_millis(self.redis_response_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("queue-service").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_match_the_original_application() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.config.redis_host, "127.0.0.1");
        assert_eq!(cli.config.redis_port, 6379);
        assert_eq!(cli.config.queue_name.as_str(), "DEFAULT");
        assert_eq!(
            cli.config.redis_url().unwrap().expose_secret(),
            "redis://127.0.0.1:6379/"
        );
    }

    #[test]
    fn bad_queue_names_are_refused_with_the_reason() {
        let error = parse(&["--queue-name", "no spaces"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("only letters, digits"), "{error}");
    }

    #[test]
    fn no_key_is_refused_unless_anonymous_is_explicit() {
        let cli = parse(&[]).unwrap();
        let error = cli.config.api_keys().unwrap_err().to_string();
        assert!(error.contains("--allow-anonymous"), "{error}");
        let cli = parse(&["--allow-anonymous"]).unwrap();
        assert!(cli.config.api_keys().unwrap().is_anonymous());
    }

    #[test]
    fn healthcheck_is_a_subcommand() {
        let cli = parse(&["healthcheck", "--url", "http://127.0.0.1:1/healthcheck"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Healthcheck { url: Some(_) })
        ));
    }
}

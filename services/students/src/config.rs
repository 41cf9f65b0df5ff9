//! Command line and environment: every flag can also be set by the environment
//! variable of the same name (`--database-url` or `DATABASE_URL`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use telemetry::TelemetryArgs;

use crate::cors::AllowedOrigins;

/// Where the view counter is when neither REDIS_URL nor REDIS_URL_FILE is set.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/";

/// students-service: the students of the dashboard, from PostgreSQL, with a Redis view counter.
#[derive(Debug, Parser)]
#[command(name = "students-service", version, about)]
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
    /// Serve the API and the metrics (the default); migrations are applied in the background.
    Serve,
    /// Apply the SQL migrations and exit: 0 when the schema is up to date.
    Migrate {
        /// How long to wait for PostgreSQL to answer before giving up, in seconds.
        #[arg(long, default_value_t = 30)]
        wait_seconds: u64,
    },
    /// Call this instance's /healthcheck; exit 0 when ready, 1 otherwise (container HEALTHCHECK).
    Healthcheck {
        /// URL to probe; defaults to /healthcheck on LISTEN_ADDR through loopback.
        #[arg(long)]
        url: Option<String>,
    },
}

/// students-service settings.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address of the API listener.
    #[arg(long, env = "LISTEN_ADDR", default_value = "0.0.0.0:8000")]
    pub listen_addr: SocketAddr,

    /// PostgreSQL URL, e.g. `postgres://students@postgres:5432/students` (required, or DATABASE_URL_FILE).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,

    /// File holding the PostgreSQL URL (a Docker or Kubernetes secret).
    #[arg(long, env = "DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,

    /// PostgreSQL password, overriding the one in DATABASE_URL (so the URL need not be secret).
    #[arg(long, env = "DATABASE_PASSWORD", hide_env_values = true)]
    pub database_password: Option<SecretString>,

    /// File holding the PostgreSQL password (the same secret as the postgres image's POSTGRES_PASSWORD_FILE).
    #[arg(long, env = "DATABASE_PASSWORD_FILE")]
    pub database_password_file: Option<PathBuf>,

    /// Most PostgreSQL connections this process opens.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// Longest wait for a PostgreSQL connection (from the pool or a new one), in milliseconds.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 1_000)]
    pub database_acquire_timeout_ms: u64,

    /// Longest a PostgreSQL query may run, in milliseconds (also set as `statement_timeout`).
    #[arg(long, env = "DATABASE_QUERY_TIMEOUT_MS", default_value_t = 2_000)]
    pub database_query_timeout_ms: u64,

    /// Redis URL of the view counter, e.g. `redis://:password@redis:6379/0` [default: redis://127.0.0.1:6379/].
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,

    /// File holding the Redis URL (a Docker or Kubernetes secret).
    #[arg(long, env = "REDIS_URL_FILE")]
    pub redis_url_file: Option<PathBuf>,

    /// Longest wait for a new Redis connection, in milliseconds.
    #[arg(long, env = "REDIS_CONNECT_TIMEOUT_MS", default_value_t = 100)]
    pub redis_connect_timeout_ms: u64,

    /// Longest wait for a Redis answer, in milliseconds: the most a request pays for a sick Redis.
    #[arg(long, env = "REDIS_RESPONSE_TIMEOUT_MS", default_value_t = 100)]
    pub redis_response_timeout_ms: u64,

    /// Consecutive Redis failures that open the circuit breaker (requests then skip Redis).
    #[arg(long, env = "REDIS_BREAKER_FAILURES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub redis_breaker_failures: u32,

    /// How long the breaker stays open before one request tries Redis again, in milliseconds.
    #[arg(long, env = "REDIS_BREAKER_OPEN_MS", default_value_t = 1_000)]
    pub redis_breaker_open_ms: u64,

    /// Comma-separated origins allowed to call the API from a browser (CORS).
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        default_value = "http://localhost:8080",
        value_parser = AllowedOrigins::parse
    )]
    pub cors_allowed_origins: AllowedOrigins,

    /// Enable `/traceback` and `POST /chaos/errors` (dev platform and tests only).
    #[arg(long, env = "CHAOS_ENDPOINTS")]
    pub chaos_endpoints: bool,

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
    /// Settings for tests: loopback listeners on free ports, the given databases.
    pub fn for_test(database_url: &str, redis_url: &str) -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: Some(database_url.to_owned().into()),
            database_url_file: None,
            database_password: None,
            database_password_file: None,
            database_max_connections: 10,
            database_acquire_timeout_ms: 1_000,
            database_query_timeout_ms: 2_000,
            redis_url: Some(redis_url.to_owned().into()),
            redis_url_file: None,
            redis_connect_timeout_ms: 100,
            redis_response_timeout_ms: 100,
            redis_breaker_failures: 3,
            redis_breaker_open_ms: 1_000,
            cors_allowed_origins: AllowedOrigins::parse("http://localhost:8080").expect("valid"),
            chaos_endpoints: false,
            request_timeout_ms: 5_000,
            no_http_metrics: false,
            telemetry: TelemetryArgs::for_test(),
        }
    }

    /// The Redis URL: REDIS_URL or REDIS_URL_FILE (not both), or the local default.
    pub fn redis_url(&self) -> anyhow::Result<SecretString> {
        let url = telemetry::secrets::resolve(
            "REDIS_URL",
            self.redis_url.clone(),
            self.redis_url_file.as_deref(),
        )?;
        Ok(url.unwrap_or_else(|| DEFAULT_REDIS_URL.into()))
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
    use secrecy::ExposeSecret;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("students-service").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_follow_the_contract() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.config.listen_addr.port(), 8000);
        assert_eq!(
            cli.config.redis_url().unwrap().expose_secret(),
            "redis://127.0.0.1:6379/"
        );
        assert_eq!(
            cli.config.cors_allowed_origins.to_string(),
            "http://localhost:8080"
        );
        assert!(!cli.config.chaos_endpoints);
    }

    #[test]
    fn subcommands() {
        let cli = parse(&["migrate", "--wait-seconds", "5"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Migrate { wait_seconds: 5 })
        ));
        let cli = parse(&["healthcheck"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Healthcheck { url: None })
        ));
    }

    #[test]
    fn a_breaker_that_never_opens_is_refused() {
        let error = parse(&["--redis-breaker-failures", "0"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("redis-breaker-failures"), "{error}");
    }

    #[test]
    fn bad_origins_are_refused_with_the_reason() {
        let error = parse(&["--cors-allowed-origins", "localhost:8080"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("scheme"), "{error}");
    }
}

//! Command line and environment: every flag can also be set by the environment
//! variable of the same name (`--smtp-url` or `ALERTER_SMTP_URL`); each secret also
//! has a `_FILE` variant for Docker and Kubernetes secrets.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use telemetry::TelemetryArgs;

use crate::channels::ChannelName;

/// alerter: Alertmanager webhooks to e-mail and Matrix, stored before they are acknowledged.
#[derive(Debug, Parser)]
#[command(name = "alerter", version, about)]
pub struct Cli {
    /// What to do; serving the webhook is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Service settings.
    #[command(flatten)]
    pub config: Config,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the webhook, deliver notifications and serve the metrics (the default).
    Serve,
    /// Call this instance's /healthcheck; exit 0 when ready, 1 otherwise (container HEALTHCHECK).
    Healthcheck {
        /// URL to probe; defaults to /healthcheck on LISTEN_ADDR through loopback.
        #[arg(long)]
        url: Option<String>,
    },
    /// Validate the settings, the routing file and the templates; exit 0 when valid.
    CheckConfig,
    /// Render a sample alert and send it now on one channel; exit 0 when it was delivered.
    SendTest {
        /// The channel to test.
        #[arg(long, value_enum)]
        channel: ChannelName,
    },
    /// List dead letters (deliveries given up on) or queue them again.
    DeadLetters {
        /// What to do with them.
        #[command(subcommand)]
        action: DeadLetterAction,
    },
}

/// `alerter dead-letters ...`
#[derive(Debug, Subcommand)]
pub enum DeadLetterAction {
    /// Print dead letters as JSON lines, oldest first.
    List,
    /// Make dead letters pending again, with a fresh maximum age.
    Replay {
        /// Delivery ids to replay (from `list`).
        ids: Vec<i64>,
        /// Replay every dead letter.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

/// alerter settings.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address of the webhook and health listener.
    #[arg(long, env = "LISTEN_ADDR", default_value = "0.0.0.0:9095")]
    pub listen_addr: SocketAddr,

    /// Bearer token Alertmanager sends (`http_config.authorization`); 16 characters at least.
    #[arg(long, env = "ALERTER_WEBHOOK_TOKEN", hide_env_values = true)]
    pub webhook_token: Option<SecretString>,
    /// File holding the webhook token.
    #[arg(long, env = "ALERTER_WEBHOOK_TOKEN_FILE")]
    pub webhook_token_file: Option<PathBuf>,

    /// Outbox database: `sqlite://PATH` (created if missing) or `postgres://...`.
    /// Default: the SQLite file `alerter.db` in the working directory.
    #[arg(long, env = "ALERTER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,
    /// File holding the database URL.
    #[arg(long, env = "ALERTER_DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,

    /// SMTP server: `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://...`
    /// (implicit TLS) or `smtp://host:1025` (plain, for a local catcher).
    #[arg(long, env = "ALERTER_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,
    /// File holding the SMTP URL.
    #[arg(long, env = "ALERTER_SMTP_URL_FILE")]
    pub smtp_url_file: Option<PathBuf>,
    /// Sender address, e.g. `Vigie <alerts@example.org>`.
    #[arg(long, env = "ALERTER_EMAIL_FROM")]
    pub email_from: Option<String>,
    /// Recipients, comma-separated.
    #[arg(long, env = "ALERTER_EMAIL_TO")]
    pub email_to: Option<String>,

    /// Matrix homeserver base URL, e.g. `https://matrix.example.org`.
    #[arg(long, env = "ALERTER_MATRIX_HOMESERVER")]
    pub matrix_homeserver: Option<String>,
    /// Access token of the alerter's Matrix account.
    #[arg(long, env = "ALERTER_MATRIX_ACCESS_TOKEN", hide_env_values = true)]
    pub matrix_access_token: Option<SecretString>,
    /// File holding the Matrix access token.
    #[arg(long, env = "ALERTER_MATRIX_ACCESS_TOKEN_FILE")]
    pub matrix_access_token_file: Option<PathBuf>,
    /// Room to post in (`!opaque:server`); the account must have joined it.
    #[arg(long, env = "ALERTER_MATRIX_ROOM_ID")]
    pub matrix_room_id: Option<String>,

    /// Public Prometheus URL: replaces the scheme and host of `generatorURL` links.
    #[arg(long, env = "ALERTER_PROMETHEUS_URL")]
    pub prometheus_url: Option<String>,
    /// Public Alertmanager URL for silence links (default: the payload's `externalURL`).
    #[arg(long, env = "ALERTER_ALERTMANAGER_URL")]
    pub alertmanager_url: Option<String>,
    /// Optional YAML file: routes (receiver/severity to channels) and a templates directory.
    #[arg(long, env = "ALERTER_CONFIG")]
    pub config_file: Option<PathBuf>,

    /// An identical webhook within this many seconds of the stored one is a duplicate.
    /// Keep it below Alertmanager's `repeat_interval`, so reminders are delivered.
    #[arg(long, env = "ALERTER_DEDUP_WINDOW_SECONDS", default_value_t = 300)]
    pub dedup_window_seconds: u64,
    /// A delivery still failing this long after the webhook becomes a dead letter.
    #[arg(long, env = "ALERTER_MAX_AGE_SECONDS", default_value_t = 86_400)]
    pub max_age_seconds: u64,
    /// First retry delay, in milliseconds; it doubles after each failure (with jitter).
    #[arg(long, env = "ALERTER_RETRY_INITIAL_MS", default_value_t = 1_000)]
    pub retry_initial_ms: u64,
    /// Longest retry delay, in milliseconds.
    #[arg(long, env = "ALERTER_RETRY_MAX_MS", default_value_t = 300_000)]
    pub retry_max_ms: u64,
    /// Longest time one delivery attempt may take, in milliseconds.
    #[arg(long, env = "ALERTER_SEND_TIMEOUT_MS", default_value_t = 15_000)]
    pub send_timeout_ms: u64,
    /// Deliveries attempted at once per channel (and SMTP connections kept open).
    #[arg(long, env = "ALERTER_CHANNEL_CONCURRENCY", default_value_t = 16)]
    pub channel_concurrency: usize,
    /// Largest webhook body accepted, in bytes (413 above).
    #[arg(long, env = "ALERTER_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest time a request may take before it is answered 503, in milliseconds.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 5_000)]
    pub request_timeout_ms: u64,

    /// Logging, tracing and metrics.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl Config {
    /// Settings for tests: loopback listeners on free ports, the given database and
    /// token, no channel, fast retries.
    pub fn for_test(database_url: &str, token: &str) -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            webhook_token: Some(token.to_owned().into()),
            webhook_token_file: None,
            database_url: Some(database_url.to_owned().into()),
            database_url_file: None,
            smtp_url: None,
            smtp_url_file: None,
            email_from: None,
            email_to: None,
            matrix_homeserver: None,
            matrix_access_token: None,
            matrix_access_token_file: None,
            matrix_room_id: None,
            prometheus_url: None,
            alertmanager_url: None,
            config_file: None,
            dedup_window_seconds: 300,
            max_age_seconds: 86_400,
            retry_initial_ms: 100,
            retry_max_ms: 2_000,
            send_timeout_ms: 5_000,
            channel_concurrency: 16,
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout_ms: 5_000,
            telemetry: TelemetryArgs::for_test(),
        }
    }

    /// The dedup window.
    pub fn dedup_window(&self) -> Duration {
        Duration::from_secs(self.dedup_window_seconds)
    }

    /// The maximum age before a delivery becomes a dead letter.
    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.max_age_seconds)
    }

    /// The timeout of one delivery attempt.
    pub fn send_timeout(&self) -> Duration {
        Duration::from_millis(self.send_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("alerter").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_follow_the_contract() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.config.listen_addr.port(), 9095);
        assert_eq!(cli.config.telemetry.metrics_addr.port(), 9464);
        assert_eq!(cli.config.dedup_window(), Duration::from_secs(300));
        assert_eq!(cli.config.max_age(), Duration::from_secs(86_400));
    }

    #[test]
    fn subcommands_parse() {
        let cli = parse(&["send-test", "--channel", "matrix"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::SendTest {
                channel: ChannelName::Matrix
            })
        ));
        let cli = parse(&["dead-letters", "replay", "3", "4"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::DeadLetters {
                action: DeadLetterAction::Replay { ref ids, all: false }
            }) if ids == &[3, 4]
        ));
        assert!(parse(&["dead-letters", "replay", "3", "--all"]).is_err());
    }
}

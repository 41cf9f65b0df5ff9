//! A Redis connection every operation of which is bounded and timed: the one way
//! the services talk to Redis. The connection opens lazily (a service starts,
//! and reports itself unready, while Redis is down); each operation fails within
//! the connect plus response timeouts however the client behaves, and lands in
//! `db_client_operation_duration_seconds{db_system_name="redis"}` with its error
//! type.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use secrecy::{ExposeSecret, SecretString};

use crate::db::{DbSystem, ErrorType, time_operation};

/// Timeouts for Redis.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For opening a connection.
    pub connect: Duration,
    /// For an answer on an open connection.
    pub response: Duration,
}

/// Why a Redis operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RedisFailure {
    /// No answer within the timeout. A write may still have been applied: Redis
    /// may run a command whose answer came too late.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// Redis refused or dropped the connection.
    #[error("connection failed: {0}")]
    Connection(String),
    /// Redis answered with an error (out of memory, read-only replica, ...).
    #[error("redis error: {0}")]
    Redis(String),
}

impl ErrorType for RedisFailure {
    fn error_type(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Connection(_) => "connection",
            Self::Redis(_) => "redis_error",
        }
    }
}

impl From<RedisError> for RedisFailure {
    fn from(error: RedisError) -> Self {
        if error.is_timeout() {
            Self::Timeout(Duration::ZERO)
        } else if error.is_io_error()
            || error.is_connection_refusal()
            || error.is_connection_dropped()
        {
            Self::Connection(error.to_string())
        } else {
            Self::Redis(error.to_string())
        }
    }
}

/// A lazily connected, bounded Redis connection; cheap to clone.
#[derive(Clone)]
pub struct BoundedRedis {
    connection: ConnectionManager,
    timeouts: Timeouts,
    target: Arc<str>,
}

impl std::fmt::Debug for BoundedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedRedis")
            .field("target", &self.target)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl BoundedRedis {
    /// Prepares the connection to `url` (`setting` names it in errors); nothing
    /// is opened yet.
    pub fn new(setting: &str, url: &SecretString, timeouts: Timeouts) -> anyhow::Result<Self> {
        let client = Client::open(url.expose_secret())
            .map_err(|error| anyhow::anyhow!("invalid {setting}: {error}"))?;
        // Host and port only: the URL may carry a password.
        let target = client.get_connection_info().addr().to_string().into();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeouts.connect))
            .set_response_timeout(Some(timeouts.response))
            // Few, quick reconnection attempts: a request never waits behind a long
            // backoff, and the next request after a failure tries again.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            connection,
            timeouts,
            target,
        })
    }

    /// `host:port` of the server, for logs.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A handle on the shared connection, to build an operation with.
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Runs `operation` (built on [`Self::connection`]) as `name`, timed into the
    /// DB metrics. The client enforces the connect and response timeouts; the
    /// outer deadline (their sum) also covers the wait for a reconnection in
    /// progress, so nothing waits longer whatever the client does.
    pub async fn run<T>(
        &self,
        name: &'static str,
        operation: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, RedisFailure> {
        let Timeouts { connect, response } = self.timeouts;
        time_operation(DbSystem::Redis, name, async move {
            match tokio::time::timeout(connect + response, operation).await {
                Ok(result) => result.map_err(|error| match RedisFailure::from(error) {
                    RedisFailure::Timeout(_) => RedisFailure::Timeout(response),
                    other => other,
                }),
                Err(_) => Err(RedisFailure::Timeout(connect + response)),
            }
        })
        .await
    }

    /// Checks that Redis answers.
    pub async fn ping(&self) -> Result<(), RedisFailure> {
        let mut connection = self.connection();
        let command = redis::cmd("PING");
        self.run("ping", command.query_async::<String>(&mut connection))
            .await
            .map(drop)
    }
}

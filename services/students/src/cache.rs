//! The view counter: one global Redis key, `students:views`, incremented (INCR,
//! atomic) once per `GET /`. Redis is optional: every call is bounded by short
//! timeouts and guarded by a circuit breaker, and a failure only means "no views".
//!
//! An INCR that timed out may still be applied once Redis wakes up: views then
//! count that request, which was indeed a view served (without the number).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use secrecy::{ExposeSecret, SecretString};
use telemetry::db::{DbSystem, ErrorType, time_operation};

use crate::breaker::CircuitBreaker;

/// The Redis key of the counter (the contract's).
pub const VIEWS_KEY: &str = "students:views";

/// Why the counter gave no value.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// No answer within the timeout.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// Redis refused or dropped the connection.
    #[error("connection failed: {0}")]
    Connection(String),
    /// Redis answered with an error (out of memory, read-only replica, ...).
    #[error("redis error: {0}")]
    Redis(String),
    /// The circuit breaker is open: Redis was not even tried.
    #[error("circuit breaker open after repeated failures")]
    CircuitOpen,
}

impl ErrorType for CacheError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Connection(_) => "connection",
            Self::Redis(_) => "redis_error",
            Self::CircuitOpen => "circuit_open",
        }
    }
}

impl From<RedisError> for CacheError {
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

/// Timeouts for Redis.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For opening a connection.
    pub connect: Duration,
    /// For an answer on an open connection.
    pub response: Duration,
}

/// The view counter; cheap to clone (handlers get a copy per request).
#[derive(Clone)]
pub struct ViewCounter {
    connection: ConnectionManager,
    timeouts: Timeouts,
    breaker: Arc<CircuitBreaker>,
    target: Arc<str>,
}

impl std::fmt::Debug for ViewCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewCounter")
            .field("target", &self.target)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl ViewCounter {
    /// Prepares the counter; the connection opens lazily, so the service starts
    /// while Redis is down.
    pub fn new(
        url: &SecretString,
        timeouts: Timeouts,
        breaker: Arc<CircuitBreaker>,
    ) -> anyhow::Result<Self> {
        let client = Client::open(url.expose_secret())
            .map_err(|error| anyhow::anyhow!("invalid REDIS_URL: {error}"))?;
        // Host and port only: the URL may carry a password.
        let target = client.get_connection_info().addr().to_string().into();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeouts.connect))
            .set_response_timeout(Some(timeouts.response))
            // Few, quick reconnection attempts: the breaker, not the client, decides
            // when to try again.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            connection,
            timeouts,
            breaker,
            target,
        })
    }

    /// `host:port` of the Redis server, for logs.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Counts one view and returns the new total, unless Redis is unavailable or
    /// the breaker says not to try.
    pub async fn increment(&self) -> Result<i64, CacheError> {
        let permit = self.breaker.admit().ok_or(CacheError::CircuitOpen)?;
        let mut connection = self.connection.clone();
        let command = redis::cmd("INCR").arg(VIEWS_KEY).to_owned();
        let result = self
            .bounded("incr_views", command.query_async::<i64>(&mut connection))
            .await;
        match &result {
            Ok(_) => permit.succeeded(),
            Err(_) => permit.failed(),
        }
        result
    }

    /// Checks that Redis answers, bypassing the breaker: health reports the truth.
    pub async fn ping(&self) -> Result<(), CacheError> {
        let mut connection = self.connection.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        self.bounded("ping", ping).await.map(drop)
    }

    /// Whether requests currently skip Redis.
    pub fn breaker_open(&self) -> bool {
        self.breaker.is_open()
    }

    /// Times `operation` into the DB metrics. The outer deadline (connect plus
    /// response timeouts) also covers the wait for a reconnection in progress.
    async fn bounded<T>(
        &self,
        name: &'static str,
        operation: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, CacheError> {
        let Timeouts { connect, response } = self.timeouts;
        time_operation(DbSystem::Redis, name, async move {
            match tokio::time::timeout(connect + response, operation).await {
                Ok(result) => result.map_err(|error| match CacheError::from(error) {
                    CacheError::Timeout(_) => CacheError::Timeout(response),
                    other => other,
                }),
                Err(_) => Err(CacheError::Timeout(connect + response)),
            }
        })
        .await
    }
}

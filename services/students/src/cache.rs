//! The view counter: one global Redis key, `students:views`, incremented (INCR,
//! atomic) once per `GET /`. Redis is optional: every call is bounded by short
//! timeouts and guarded by a circuit breaker, and a failure only means "no views".
//!
//! An INCR that timed out may still be applied once Redis wakes up: views then
//! count that request, which was indeed a view served (without the number).

use std::sync::Arc;

use secrecy::SecretString;
pub use telemetry::redis_client::Timeouts;
use telemetry::redis_client::{BoundedRedis, RedisFailure};

use crate::breaker::CircuitBreaker;

/// The Redis key of the counter (the contract's).
pub const VIEWS_KEY: &str = "students:views";

/// Why the counter gave no value.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Redis did not answer in time, refused the connection or answered an error
    /// (out of memory, read-only replica, ...).
    #[error(transparent)]
    Redis(#[from] RedisFailure),
    /// The circuit breaker is open: Redis was not even tried.
    #[error("circuit breaker open after repeated failures")]
    CircuitOpen,
}

/// The view counter; cheap to clone (handlers get a copy per request).
#[derive(Clone)]
pub struct ViewCounter {
    redis: BoundedRedis,
    breaker: Arc<CircuitBreaker>,
}

impl std::fmt::Debug for ViewCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewCounter")
            .field("redis", &self.redis)
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
        // The breaker, not the client, decides when to try again after failures.
        let redis = BoundedRedis::new("REDIS_URL", url, timeouts)?;
        Ok(Self { redis, breaker })
    }

    /// `host:port` of the Redis server, for logs.
    pub fn target(&self) -> &str {
        self.redis.target()
    }

    /// Counts one view and returns the new total, unless Redis is unavailable or
    /// the breaker says not to try.
    pub async fn increment(&self) -> Result<i64, CacheError> {
        let permit = self.breaker.admit().ok_or(CacheError::CircuitOpen)?;
        let mut connection = self.redis.connection();
        let command = redis::cmd("INCR").arg(VIEWS_KEY).to_owned();
        let result = self
            .redis
            .run("incr_views", command.query_async::<i64>(&mut connection))
            .await
            .map_err(CacheError::from);
        match &result {
            Ok(_) => permit.succeeded(),
            Err(_) => permit.failed(),
        }
        result
    }

    /// Checks that Redis answers, bypassing the breaker: health reports the truth.
    pub async fn ping(&self) -> Result<(), CacheError> {
        Ok(self.redis.ping().await?)
    }

    /// Whether requests currently skip Redis.
    pub fn breaker_open(&self) -> bool {
        self.breaker.is_open()
    }
}

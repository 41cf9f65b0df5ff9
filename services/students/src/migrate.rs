//! The SQL migrations (`services/students/migrations/`, embedded in the binary) and
//! how they are applied: by the service itself at startup, retried with backoff
//! while PostgreSQL is not there yet, or once by `students-service migrate`.
//!
//! sqlx records each applied migration with its checksum in `_sqlx_migrations` and
//! holds a PostgreSQL advisory lock while applying, so replicas starting together
//! apply each migration once, and an edited migration is refused instead of
//! silently diverging (docs/students.md, "Migrations").

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

/// The migrations, embedded at compile time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// First wait between attempts; it doubles up to [`MAX_RETRY_DELAY`].
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);
/// Longest wait between attempts: once PostgreSQL answers, the service is ready
/// at most this long (plus one attempt) later.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(2);
/// Longest one attempt may take; a hung server must not block retries forever.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where migrations stand, read by `/healthcheck` and `GET /`.
#[derive(Debug, Default)]
pub struct MigrationStatus {
    done: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl MigrationStatus {
    /// Whether the schema is up to date.
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Why the last attempt failed, while not done.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_error(&self, error: String) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error);
    }

    fn set_done(&self) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.done.store(true, Ordering::Release);
    }
}

/// The newest migration version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// One attempt at applying every pending migration.
pub async fn apply(pool: &PgPool) -> anyhow::Result<()> {
    match tokio::time::timeout(ATTEMPT_TIMEOUT, MIGRATOR.run(pool)).await {
        Ok(result) => result.map_err(|error| anyhow::anyhow!("{error}")),
        Err(_) => anyhow::bail!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()),
    }
}

/// Applies the migrations, retrying with backoff, until done or `shutdown`; records
/// the outcome in `status`. Returns whether they were applied.
pub async fn apply_until_done(
    pool: &PgPool,
    status: &MigrationStatus,
    shutdown: &CancellationToken,
) -> bool {
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        match apply(pool).await {
            Ok(()) => {
                status.set_done();
                tracing::info!(
                    schema_version = latest_version(),
                    "database migrations applied"
                );
                return true;
            }
            Err(error) => {
                let error = format!("{error:#}");
                tracing::warn!(
                    %error,
                    retry_in_ms = delay.as_millis() as u64,
                    "database migrations not applied yet; retrying"
                );
                status.set_error(error);
            }
        }
        // Jitter, so that replicas restarted together do not retry in lockstep.
        let jitter = delay.mul_f64(fastrand::f64() * 0.2);
        tokio::select! {
            () = tokio::time::sleep(delay + jitter) => {}
            () = shutdown.cancelled() => return false,
        }
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_embedded_in_order() {
        let versions: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        assert_eq!(versions, vec![1, 2]);
        assert_eq!(latest_version(), 2);
    }

    #[test]
    fn status_keeps_the_last_error_until_done() {
        let status = MigrationStatus::default();
        assert!(!status.is_done());
        status.set_error("connection refused".to_owned());
        assert_eq!(status.last_error().as_deref(), Some("connection refused"));
        status.set_done();
        assert!(status.is_done());
        assert_eq!(status.last_error(), None);
    }
}

//! The outbox: every accepted notification and its deliveries, one row per
//! (notification, channel), in SQLite (default, WAL, fsync on commit) or
//! PostgreSQL. The same SQL serves both through sqlx's `Any` driver; migrations
//! are embedded, one directory per database.
//!
//! `intake` writes accepted webhooks (in batches: one commit for many requests),
//! `queue` is the delivery worker's side, `admin` lists and replays dead letters.

pub mod admin;
pub mod intake;
pub mod queue;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use telemetry::db::ErrorType;

/// The database behind the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The database did not answer in time.
    #[error("the database did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The database refused or failed the operation.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row cannot be read back.
    #[error("corrupt outbox row: {0}")]
    Corrupt(String),
    /// The writer task is gone (the service is stopping).
    #[error("the outbox writer has stopped")]
    Stopped,
}

impl ErrorType for OutboxError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Database(sqlx::Error::PoolTimedOut) => "pool_timeout",
            Self::Database(sqlx::Error::Io(_)) => "connection",
            Self::Database(_) => "database_error",
            Self::Corrupt(_) => "corrupt_row",
            Self::Stopped => "stopped",
        }
    }
}

/// Connection pools to the outbox database.
///
/// SQLite has one writer at a time, and a writer that finds the lock taken sleeps
/// in growing steps (its busy handler): under load the worker would starve
/// behind the webhooks, or the reverse. So every write goes through `writer`, a
/// pool of one connection whose waiters are served in order, and reads use
/// `pool`. On PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct Outbox {
    pool: AnyPool,
    writer: AnyPool,
    backend: Backend,
}

/// Where the outbox lives when `ALERTER_DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://alerter.db";

impl Outbox {
    /// Connects (creating the SQLite file if needed) and applies the migrations.
    pub async fn connect(url: &SecretString) -> anyhow::Result<Self> {
        install_default_drivers();
        let url = url.expose_secret();
        let (backend, url) = if url.starts_with("sqlite:") {
            // `mode=rwc` creates the file on first start.
            let url = if url.contains("mode=") {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            anyhow::bail!(
                "ALERTER_DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
                url.split(':').next().unwrap_or_default()
            );
        };
        let pool = Self::pool_options(backend, if backend == Backend::Sqlite { 4 } else { 8 })
            .connect(&url)
            .await
            .context("cannot open the outbox database")?;
        let writer = match backend {
            Backend::Sqlite => Self::pool_options(backend, 1)
                .connect(&url)
                .await
                .context("cannot open the outbox database")?,
            Backend::Postgres => pool.clone(),
        };
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&writer)
            .await
            .context("cannot apply the outbox migrations")?;
        if backend == Backend::Sqlite {
            tokio::spawn(checkpoints(pool.clone()));
        }
        Ok(Self {
            pool,
            writer,
            backend,
        })
    }

    fn pool_options(backend: Backend, connections: u32) -> AnyPoolOptions {
        let options = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(2));
        if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets the worker read while requests write; FULL syncs the
                    // WAL on every commit, so a 2xx survives a power cut, not only a crash.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA busy_timeout = 5000",
                        "PRAGMA foreign_keys = ON",
                        // Checkpoints run in the background (`checkpoints`), not
                        // inside a webhook's commit.
                        "PRAGMA wal_autocheckpoint = 0",
                    ] {
                        conn.execute(pragma).await?;
                    }
                    Ok(())
                })
            })
        } else {
            options
        }
    }

    /// The database kind.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads, for the submodules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for writes, for the submodules.
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), OutboxError> {
        tokio::time::timeout(Duration::from_secs(2), self.pool.execute("SELECT 1"))
            .await
            .map_err(|_| OutboxError::Timeout(Duration::from_secs(2)))??;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Copies the WAL into the database file every second, on a read connection.
/// SQLite would otherwise do it every 1000 pages inside the committing
/// transaction, stalling that webhook's answer for the length of a checkpoint
/// (and its fsync). A passive checkpoint never blocks the writer. Ends when the
/// pool is closed.
async fn checkpoints(pool: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(error) = pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(%error, "outbox checkpoint failed");
        }
    }
}

/// Now, in Unix milliseconds (the outbox's time unit).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// A duration in milliseconds, saturating.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

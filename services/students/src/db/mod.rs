//! PostgreSQL: a lazy connection pool (the process starts, and says it is unready,
//! while the database is down), the service's queries, and their bounds; how their
//! failures are classified is in `error`.
//!
//! Every query is bounded twice: the pool's acquire timeout covers waiting for or
//! opening a connection, `statement_timeout` bounds the server side, and an outer
//! deadline (their sum) covers a server that stopped answering altogether.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, FromRow, PgPool};
use telemetry::db::{DbSystem, time_operation};

use crate::config::Config;
use crate::migrate::MigrationStatus;

mod error;

pub use error::DbError;

/// The query behind `GET /`, also run by `cargo xtask bench students` through pgbench.
/// The bound keeps one answer's size sane whatever the table holds.
pub const LIST_STUDENTS: &str = "SELECT id, nom, promo FROM students ORDER BY id LIMIT 1000";

/// One row of `students`.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StudentRow {
    /// Primary key.
    pub id: i32,
    /// Full name.
    pub nom: String,
    /// Promotion code, e.g. `M2 Info`.
    pub promo: String,
}

/// Timeouts and pool size.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections.
    pub max_connections: u32,
    /// Longest wait for a connection.
    pub acquire: Duration,
    /// Longest query.
    pub query: Duration,
}

/// The students database; cheap to clone (handlers get a copy per request).
#[derive(Debug, Clone)]
pub struct Database {
    pool: PgPool,
    options: Arc<PgConnectOptions>,
    target: Arc<str>,
    settings: PoolSettings,
    migrations: Arc<MigrationStatus>,
}

impl Database {
    /// Prepares the pool from the configuration; no connection is opened yet.
    pub fn connect_lazy(config: &Config) -> anyhow::Result<Self> {
        let settings = PoolSettings {
            max_connections: config.database_max_connections,
            acquire: Duration::from_millis(config.database_acquire_timeout_ms),
            query: Duration::from_millis(config.database_query_timeout_ms),
        };
        let options = connect_options(config)?;
        let target = describe(&options);
        let options = options
            .application_name("students-service")
            .options([("statement_timeout", settings.query.as_millis().to_string())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(0)
            .acquire_timeout(settings.acquire)
            // No ping before each use: it would double the round trips of every request.
            // A connection that died fails its query once (a 503) and is then discarded.
            .test_before_acquire(false)
            .connect_lazy_with(options.clone());
        Ok(Self {
            pool,
            options: Arc::new(options),
            target: target.into(),
            settings,
            migrations: Arc::new(MigrationStatus::default()),
        })
    }

    /// `postgres://user@host:port/database`, without the password, for logs.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The pool, for migrations.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where migrations stand.
    pub fn migrations(&self) -> &MigrationStatus {
        &self.migrations
    }

    /// Every student, by id (at most 1000).
    pub async fn list_students(&self) -> Result<Vec<StudentRow>, DbError> {
        if !self.migrations.is_done() {
            return Err(DbError::NotMigrated);
        }
        let query = sqlx::query_as::<_, StudentRow>(LIST_STUDENTS).fetch_all(&self.pool);
        self.bounded("list_students", query).await
    }

    /// The server's `version()` string.
    pub async fn version(&self) -> Result<String, DbError> {
        let query = sqlx::query_scalar::<_, String>("SELECT version()").fetch_one(&self.pool);
        self.bounded("version", query).await
    }

    /// Checks that the server answers and the schema is in place.
    pub async fn ping(&self) -> Result<(), DbError> {
        let query = sqlx::query("SELECT 1").execute(&self.pool);
        if let Err(error) = self.bounded("ping", query).await {
            return Err(self.explain(error).await);
        }
        if self.migrations.is_done() {
            return Ok(());
        }
        Err(match self.migrations.last_error() {
            Some(error) => {
                DbError::Unavailable(format!("schema migrations not applied yet: {error}"))
            }
            None => DbError::NotMigrated,
        })
    }

    /// The pool only says that it timed out; one direct attempt says why (refused,
    /// unknown host or database, bad password), for the health report.
    async fn explain(&self, error: DbError) -> DbError {
        if !matches!(error, DbError::PoolTimeout) {
            return error;
        }
        match tokio::time::timeout(self.settings.acquire, self.options.connect()).await {
            Ok(Err(cause)) => DbError::Unavailable(format!("cannot connect: {cause}")),
            // It connects (the pool was only busy) or hangs: the timeout says it all.
            _ => error,
        }
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn bounded<T>(
        &self,
        name: &'static str,
        operation: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, DbError> {
        let deadline = self.settings.acquire + self.settings.query;
        let query_timeout = self.settings.query;
        time_operation(DbSystem::Postgresql, name, async move {
            match tokio::time::timeout(deadline, operation).await {
                Ok(result) => result.map_err(|error| match DbError::from(error) {
                    DbError::Timeout(_) => DbError::Timeout(query_timeout),
                    other => other,
                }),
                Err(_) => Err(DbError::Timeout(deadline)),
            }
        })
        .await
    }
}

/// The connection options from `DATABASE_URL`(`_FILE`) and `DATABASE_PASSWORD`(`_FILE`).
pub fn connect_options(config: &Config) -> anyhow::Result<PgConnectOptions> {
    let url = telemetry::secrets::resolve(
        "DATABASE_URL",
        config.database_url.clone(),
        config.database_url_file.as_deref(),
    )?
    .context(
        "DATABASE_URL is not set: give the PostgreSQL URL (postgres://user@host:5432/database) \
         as DATABASE_URL or DATABASE_URL_FILE",
    )?;
    let scheme = url.expose_secret().split("://").next().unwrap_or_default();
    anyhow::ensure!(
        matches!(scheme, "postgres" | "postgresql"),
        "invalid DATABASE_URL: it must start with postgres:// (postgres://user@host:5432/database)"
    );
    // The parser's message names the problem, never the URL (which may hold a password).
    let mut options = PgConnectOptions::from_str(url.expose_secret())
        .map_err(|error| anyhow::anyhow!("invalid DATABASE_URL: {error}"))?;
    let password = telemetry::secrets::resolve(
        "DATABASE_PASSWORD",
        config.database_password.clone(),
        config.database_password_file.as_deref(),
    )?;
    if let Some(password) = password {
        options = options.password(password.expose_secret());
    }
    Ok(options)
}

/// `postgres://user@host:port/database`, without the password, for logs.
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_runs_the_same_select() {
        let bench = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../xtask/src/bench/students.rs");
        let source = std::fs::read_to_string(&bench).expect("xtask/src/bench/students.rs");
        assert!(
            source.contains(&format!("\"{LIST_STUDENTS}\"")),
            "pgbench must run GET /'s query: update LIST_STUDENTS in {}",
            bench.display()
        );
    }
}

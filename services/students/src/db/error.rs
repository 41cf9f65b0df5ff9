//! How database failures are classified: "unavailable" (503, retrying later may
//! work) versus a real query error (500), each with a low-cardinality name for the
//! `error_type` label.

use std::time::Duration;

use telemetry::db::ErrorType;

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No answer within the deadline.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// No pooled connection became free, and none could be opened, in time.
    #[error("no database connection available in time")]
    PoolTimeout,
    /// No usable connection: refused, dropped, pool exhausted, server shutting down.
    #[error("{0}")]
    Unavailable(String),
    /// The schema is not there yet: migrations are still being retried.
    #[error("schema migrations not applied yet")]
    NotMigrated,
    /// The server answered with an error that retrying will not fix.
    #[error("query failed: {0}")]
    Query(String),
}

impl DbError {
    /// Whether retrying later may work (503) rather than a bug or bad data (500).
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, Self::Query(_))
    }
}

impl ErrorType for DbError {
    fn error_type(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::PoolTimeout => "pool_timeout",
            Self::Unavailable(_) => "connection",
            Self::NotMigrated => "not_migrated",
            Self::Query(_) => "query",
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut => Self::PoolTimeout,
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(error.to_string()),
            sqlx::Error::Database(db) => match db.code().as_deref() {
                // query_canceled: our statement_timeout fired.
                Some("57014") => Self::Timeout(Duration::ZERO),
                // Classes 08 (connection exception), 57 (operator intervention: shutdown,
                // starting up), 53 (insufficient resources: too many connections), and
                // 28 / 3D (bad credentials, no such database: a deployment error the
                // operator fixes, not the client's request).
                Some(code)
                    if code.starts_with("08")
                        || code.starts_with("57")
                        || code.starts_with("53")
                        || code.starts_with("28")
                        || code.starts_with("3D") =>
                {
                    Self::Unavailable(db.message().to_owned())
                }
                _ => Self::Query(error.to_string()),
            },
            _ => Self::Query(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_errors_are_told_apart_from_query_errors() {
        assert!(DbError::from(sqlx::Error::PoolTimedOut).is_unavailable());
        assert_eq!(
            DbError::from(sqlx::Error::PoolTimedOut).error_type(),
            "pool_timeout"
        );
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            DbError::from(sqlx::Error::Io(io)).error_type(),
            "connection"
        );
        let decode = sqlx::Error::ColumnNotFound("nom".to_owned());
        assert!(!DbError::from(decode).is_unavailable());
    }
}

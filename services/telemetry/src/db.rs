//! Timing database operations into `db_client_operation_duration_seconds`, labelled
//! by system, a low-cardinality operation name and the error type (empty on success).

use std::future::Future;
use std::time::Instant;

use metrics::histogram;

use crate::metrics::DB_OPERATION_DURATION;

/// The database systems Vigie talks to, named as OpenTelemetry names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbSystem {
    /// `redis`
    Redis,
    /// `postgresql`
    Postgresql,
    /// `sqlite` (the alerter's embedded outbox)
    Sqlite,
}

impl DbSystem {
    /// The `db_system_name` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Postgresql => "postgresql",
            Self::Sqlite => "sqlite",
        }
    }
}

/// Errors that can say which kind of failure they are, in a few fixed words
/// (`timeout`, `connection`, ...), for the `error_type` label.
pub trait ErrorType {
    /// A short, fixed, low-cardinality name for this failure.
    fn error_type(&self) -> &'static str;
}

/// Runs `operation` and records its duration. Put any timeout *inside* `operation`
/// so that timeouts are recorded too, with their own error type.
pub async fn time_operation<T, E, F>(
    system: DbSystem,
    name: &'static str,
    operation: F,
) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
    E: ErrorType,
{
    let start = Instant::now();
    let result = operation.await;
    let error_type = match &result {
        Ok(_) => "",
        Err(error) => error.error_type(),
    };
    histogram!(
        DB_OPERATION_DURATION,
        "db_system_name" => system.as_str(),
        "db_operation_name" => name,
        "error_type" => error_type,
    )
    .record(start.elapsed().as_secs_f64());
    result
}

//! The service's error type: each variant maps to one HTTP status and renders as
//! JSON `{"error": ...}`; server-side failures are logged, never leaked in detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use telemetry::http::json_error;

use crate::db::DbError;

/// What a handler can fail with. Redis never appears here: without it the
/// answer is only missing its views.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// PostgreSQL failed.
    #[error("database is unavailable: {0}")]
    Database(#[from] DbError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::BadRequest(message) => json_error(StatusCode::BAD_REQUEST, message.clone()),
            Self::Database(source) if source.is_unavailable() => {
                tracing::warn!(error = %source, "request failed: database unavailable");
                json_error(StatusCode::SERVICE_UNAVAILABLE, self.to_string())
            }
            Self::Database(source) => {
                tracing::error!(error = %source, "request failed: database query error");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

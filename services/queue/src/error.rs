//! The service's error type: each variant maps to one HTTP status and renders as
//! JSON `{"error": ...}`; server-side failures are logged, never leaked in detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use telemetry::http::json_error;

use crate::store::StoreError;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// Redis did not answer, or answered an error: retrying later may work.
    #[error("redis is unavailable: {0}")]
    Unavailable(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::BadRequest(message) => json_error(StatusCode::BAD_REQUEST, message.clone()),
            Self::Unavailable(source) => {
                tracing::warn!(error = %source, "ticket request failed: redis unavailable");
                json_error(StatusCode::SERVICE_UNAVAILABLE, self.to_string())
            }
        }
    }
}

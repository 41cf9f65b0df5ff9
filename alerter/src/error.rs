//! The webhook's errors: each variant maps to one status and renders as JSON
//! `{"error": ...}`. The status tells Alertmanager what to do: it retries 5xx
//! only, so everything that can never succeed is 4xx, and "cannot store" is 503.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use telemetry::http::json_error;

use crate::outbox::OutboxError;

/// What the webhook can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid bearer token.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Not `application/json`.
    #[error("the webhook body must be JSON: send `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// Over the body size limit.
    #[error("the webhook body is larger than {0} bytes")]
    TooLarge(usize),
    /// Malformed payload, with the reason.
    #[error("{0}")]
    BadRequest(String),
    /// The outbox cannot store it: Alertmanager will retry.
    #[error("cannot store the notification right now; retry later")]
    Unavailable(#[source] OutboxError),
}

impl ApiError {
    /// The `outcome` label of `alerter_webhooks_received_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooLarge(_) => "too_large",
            Self::BadRequest(_) => "bad_request",
            Self::Unavailable(_) => "unavailable",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Unavailable(source) => {
                tracing::error!(error = %source, "webhook refused: the outbox cannot store it");
            }
            other => tracing::warn!(error = %other, "webhook refused"),
        }
        let mut response = json_error(self.status(), self.to_string());
        if matches!(self, Self::Unauthorized(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vigie-alerter\""),
            );
        }
        response
    }
}

//! `POST /webhook`: Alertmanager's webhook. The answer is 2xx only once the
//! notification is committed to the outbox (or recognised as a duplicate of one
//! that is); every refusal is counted and explained.

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::routing::post;
use http_body_util::LengthLimitError;
use serde::Serialize;

use crate::auth::AuthError;
use crate::channels::ChannelName;
use crate::error::ApiError;
use crate::metrics;
use crate::outbox::intake::{Stored, Submission};
use crate::payload::Notification;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/webhook", post(webhook))
}

/// The answer to an accepted webhook.
#[derive(Debug, Serialize)]
pub struct Accepted {
    /// `stored` or `duplicate`.
    pub status: &'static str,
    /// The stored notification's id (not for duplicates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<i64>,
    /// The channels that will deliver it.
    pub channels: Vec<ChannelName>,
}

async fn webhook(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<Accepted>, ApiError> {
    let result = accept(&state, request).await;
    metrics::webhook(match &result {
        Ok(accepted) => accepted.status,
        Err(error) => error.outcome(),
    });
    result.map(Json)
}

async fn accept(state: &AppState, request: Request) -> Result<Accepted, ApiError> {
    state.token.check(request.headers()).map_err(|error| {
        ApiError::Unauthorized(match error {
            AuthError::Missing => {
                "missing token: send `Authorization: Bearer <ALERTER_WEBHOOK_TOKEN>`"
            }
            AuthError::Invalid => "invalid token",
        })
    })?;
    if !is_json(request.headers()) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let limit = state.max_body_bytes;
    let body = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|error| {
            if is_length_limit(&error) {
                ApiError::TooLarge(limit)
            } else {
                ApiError::BadRequest(format!("cannot read the body: {error}"))
            }
        })?;
    let notification =
        Notification::parse(&body).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let channels = state.routing.channels_for(&notification);
    let submission = Submission {
        dedup_key: notification.dedup_key(),
        notification,
        channels: channels.clone(),
    };
    match state
        .intake
        .store(submission)
        .await
        .map_err(ApiError::Unavailable)?
    {
        Stored::New(id) => {
            tracing::info!(notification = id, channels = ?channels, "notification stored");
            Ok(Accepted {
                status: "stored",
                notification_id: Some(id),
                channels,
            })
        }
        Stored::Duplicate => {
            tracing::info!("duplicate webhook acknowledged, not delivered again");
            Ok(Accepted {
                status: "duplicate",
                notification_id: None,
                channels: Vec::new(),
            })
        }
    }
}

/// `application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

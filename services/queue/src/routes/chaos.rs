//! Chaos routes (only with `CHAOS_ENDPOINTS=true`, behind the API key):
//! `GET /traceback` ends the process, `POST /chaos/errors` starts an error spike
//! on the ticket routes. The behaviour is telemetry's, shared by every service;
//! these handlers carry the queue's OpenAPI description.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use telemetry::chaos::{Spike, SpikeParams};
use telemetry::http::ErrorBody;

use crate::auth::require_api_key;
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/traceback", get(traceback))
        .route("/chaos/errors", post(start_error_spike))
        .route_layer(from_fn_with_state(state.keys.clone(), require_api_key))
}

/// Ends the process with a non-zero status (70), as an unhandled exception would.
#[utoipa::path(
    get,
    path = "/traceback",
    tag = "chaos",
    security(("bearer" = [])),
    responses(
        (status = 500, description = "The process exits right after answering", body = ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = ErrorBody),
    )
)]
pub async fn traceback() -> Response {
    telemetry::chaos::traceback()
}

/// Makes a fraction of ticket requests answer 500 for a while.
#[utoipa::path(
    post,
    path = "/chaos/errors",
    tag = "chaos",
    params(SpikeParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Spike started (or ended with ratio=0)", body = Spike),
        (status = 400, description = "Invalid ratio or duration", body = ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = ErrorBody),
    )
)]
pub async fn start_error_spike(
    State(state): State<AppState>,
    params: Result<Query<SpikeParams>, QueryRejection>,
) -> Response {
    telemetry::chaos::start_spike(&state.chaos, params)
}

//! Chaos routes (only with `CHAOS_ENDPOINTS=true`, which the prod platform never
//! sets): `GET /traceback` ends the process, `POST /chaos/errors` starts an error
//! spike on `/` and `/version`. The behaviour is telemetry's, shared by every
//! service; these handlers carry the students API's OpenAPI description.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use telemetry::chaos::{Spike, SpikeParams};
use telemetry::http::ErrorBody;

use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/traceback", get(traceback))
        .route("/chaos/errors", post(start_error_spike))
}

/// Ends the process with a non-zero status (70), as an unhandled exception would.
#[utoipa::path(
    get,
    path = "/traceback",
    tag = "chaos",
    responses(
        (status = 500, description = "The process exits right after answering", body = ErrorBody),
    )
)]
pub async fn traceback() -> Response {
    telemetry::chaos::traceback()
}

/// Makes a fraction of API requests (`/`, `/version`) answer 500 for a while.
#[utoipa::path(
    post,
    path = "/chaos/errors",
    tag = "chaos",
    params(SpikeParams),
    responses(
        (status = 200, description = "Spike started (or ended with ratio=0)", body = Spike),
        (status = 400, description = "Invalid ratio or duration", body = ErrorBody),
    )
)]
pub async fn start_error_spike(
    State(state): State<AppState>,
    params: Result<Query<SpikeParams>, QueryRejection>,
) -> Response {
    telemetry::chaos::start_spike(&state.chaos, params)
}

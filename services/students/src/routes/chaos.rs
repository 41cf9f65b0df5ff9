//! Chaos routes (only with `CHAOS_ENDPOINTS=true`, which the prod platform never
//! sets): `GET /traceback` ends the process, `POST /chaos/errors` starts an error spike.

use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use telemetry::http::{ErrorBody, json_error};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::state::AppState;

/// Exit status of `/traceback`: non-zero, so restart policies act on it.
pub const TRACEBACK_EXIT_CODE: i32 = 70;
/// Longest error spike, so a forgotten one ends by itself.
pub const MAX_SPIKE_SECONDS: u64 = 3_600;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/traceback", get(traceback))
        .route("/chaos/errors", post(start_error_spike))
}

/// Ends the process with a non-zero status, as an unhandled exception would.
#[utoipa::path(
    get,
    path = "/traceback",
    tag = "chaos",
    responses(
        (status = 500, description = "The process exits right after answering", body = ErrorBody),
    )
)]
pub async fn traceback() -> Response {
    tracing::error!(
        exit_code = TRACEBACK_EXIT_CODE,
        "traceback requested: the process exits now"
    );
    tokio::spawn(async {
        // Long enough for the answer to leave, short enough to look like a crash.
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::process::exit(TRACEBACK_EXIT_CODE);
    });
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "traceback requested: exiting",
    )
}

/// Parameters of an error spike.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SpikeParams {
    /// Fraction of API requests that answer 500, from 0 (ends a spike) to 1.
    pub ratio: f64,
    /// How long the spike lasts, in seconds (1 to 3600; default 60).
    pub seconds: Option<u64>,
}

/// The spike now in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Spike {
    /// Fraction of API requests answering 500.
    pub ratio: f64,
    /// For how long, in seconds.
    pub seconds: u64,
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
) -> Result<Json<Spike>, ApiError> {
    let Query(params) = params.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    if !(0.0..=1.0).contains(&params.ratio) {
        return Err(ApiError::BadRequest(format!(
            "ratio must be between 0 and 1, got {}",
            params.ratio
        )));
    }
    let seconds = params.seconds.unwrap_or(60);
    if !(1..=MAX_SPIKE_SECONDS).contains(&seconds) {
        return Err(ApiError::BadRequest(format!(
            "seconds must be between 1 and {MAX_SPIKE_SECONDS}, got {seconds}"
        )));
    }
    state.chaos.set(params.ratio, Duration::from_secs(seconds));
    tracing::warn!(ratio = params.ratio, seconds, "chaos: error spike set");
    Ok(Json(Spike {
        ratio: params.ratio,
        seconds,
    }))
}

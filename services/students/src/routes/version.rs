//! `GET /version`: PostgreSQL's version, what the proof of concept answered on `/`
//! (the page shows its "Mode Version" warning for such an answer).

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Json, Router};
use telemetry::http::ErrorBody;

use crate::error::ApiError;
use crate::model::Version;
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/version", get(version))
        .route_layer(from_fn_with_state(
            std::sync::Arc::clone(&state.chaos),
            telemetry::chaos::inject_errors,
        ))
}

/// The PostgreSQL server's version string (works before migrations too).
#[utoipa::path(
    get,
    path = "/version",
    tag = "students",
    responses(
        (status = 200, description = "PostgreSQL's version()", body = Version),
        (status = 500, description = "Injected failure (chaos endpoints only)", body = ErrorBody),
        (status = 503, description = "PostgreSQL is unavailable", body = ErrorBody),
    )
)]
pub async fn version(State(state): State<AppState>) -> Result<Json<Version>, ApiError> {
    let version = state.db.version().await?;
    Ok(Json(Version { version }))
}

//! `/healthcheck` (readiness: Redis) and `/livez` (liveness).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use telemetry::health::{DependencyHealth, HealthReport, Liveness};

use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthcheck", get(healthcheck))
        .route("/livez", get(livez))
}

/// Readiness: 200 when Redis answers, 503 otherwise, with the check's details.
#[utoipa::path(
    get,
    path = "/healthcheck",
    tag = "operations",
    responses(
        (status = 200, description = "Ready: Redis answers", body = HealthReport),
        (status = 503, description = "Not ready: Redis is down", body = HealthReport),
    )
)]
pub async fn healthcheck(State(state): State<AppState>) -> HealthReport {
    let redis = DependencyHealth::check(true, state.store.ping()).await;
    HealthReport::from_checks([("redis", redis)])
}

/// Liveness: 200 while the process serves, whatever Redis does.
#[utoipa::path(
    get,
    path = "/livez",
    tag = "operations",
    responses((status = 200, description = "The process serves requests", body = Liveness))
)]
pub async fn livez() -> axum::Json<Liveness> {
    telemetry::health::livez().await
}

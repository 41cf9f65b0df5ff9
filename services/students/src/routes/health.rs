//! `/healthcheck` (readiness: PostgreSQL required, Redis reported but optional) and
//! `/livez` (liveness).

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

/// Readiness: 200 while PostgreSQL answers and the schema is migrated, 503
/// otherwise; Redis is checked too but only reported (the API works without it).
#[utoipa::path(
    get,
    path = "/healthcheck",
    tag = "operations",
    responses(
        (status = 200, description = "Ready: PostgreSQL answers and is migrated", body = HealthReport),
        (status = 503, description = "Not ready: PostgreSQL is down or migrations are pending", body = HealthReport),
    )
)]
pub async fn healthcheck(State(state): State<AppState>) -> HealthReport {
    let (postgres, redis) = tokio::join!(
        DependencyHealth::check(true, state.db.ping()),
        DependencyHealth::check(false, state.views.ping()),
    );
    HealthReport::from_checks([("postgres", postgres), ("redis", redis)])
}

/// Liveness: 200 while the process serves, whatever its dependencies do.
#[utoipa::path(
    get,
    path = "/livez",
    tag = "operations",
    responses((status = 200, description = "The process serves requests", body = Liveness))
)]
pub async fn livez() -> axum::Json<Liveness> {
    telemetry::health::livez().await
}

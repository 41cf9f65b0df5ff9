//! `/healthcheck` (readiness: the outbox database; each channel's last attempt is
//! reported but optional, since storing webhooks is what must work) and `/livez`.

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

async fn healthcheck(State(state): State<AppState>) -> HealthReport {
    let mut checks = vec![(
        "database",
        DependencyHealth::check(true, state.outbox.ping()).await,
    )];
    for channel in state.channels.iter() {
        let status = state.health.status(*channel);
        checks.push((
            channel.as_str(),
            DependencyHealth::check(false, async { status }).await,
        ));
    }
    HealthReport::from_checks(checks)
}

async fn livez() -> axum::Json<Liveness> {
    telemetry::health::livez().await
}

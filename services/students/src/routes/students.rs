//! `GET /`: the students from PostgreSQL, each with the global view counter from
//! Redis; without Redis, the same list without `views` (never an error).

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Json, Router};
use telemetry::http::ErrorBody;

use crate::error::ApiError;
use crate::metrics;
use crate::model::Student;
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(list_students))
        .route_layer(from_fn_with_state(
            std::sync::Arc::clone(&state.chaos),
            telemetry::chaos::inject_errors,
        ))
}

/// The students, with the view counter (incremented once by this request).
#[utoipa::path(
    get,
    path = "/",
    tag = "students",
    responses(
        (status = 200, description = "The students; `views` is absent when Redis is unavailable", body = [Student]),
        (status = 500, description = "Injected failure (chaos endpoints only) or query error", body = ErrorBody),
        (status = 503, description = "PostgreSQL is unavailable or not migrated yet", body = ErrorBody),
    )
)]
pub async fn list_students(State(state): State<AppState>) -> Result<Json<Vec<Student>>, ApiError> {
    let rows = state.db.list_students().await?;
    // Counted only once the list is there: a failed request is not a view.
    let views = match state.views.increment().await {
        Ok(views) => Some(views),
        Err(error) => {
            // Per request at debug only: the breaker logs the outage once, and the
            // counter below measures it.
            tracing::debug!(%error, "serving without views");
            metrics::cache_degraded();
            None
        }
    };
    Ok(Json(
        rows.into_iter()
            .map(|row| Student {
                id: row.id,
                nom: row.nom,
                promo: row.promo,
                views,
            })
            .collect(),
    ))
}

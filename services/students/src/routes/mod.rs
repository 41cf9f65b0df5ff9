//! The routes, one module per resource, merged here.

pub mod chaos;
pub mod health;
pub mod students;
pub mod version;

use axum::Router;

use crate::state::AppState;

/// Every API route; the chaos routes only when `chaos` is true.
pub fn router(state: AppState, chaos: bool) -> Router {
    let mut router = Router::new()
        .merge(students::router(&state))
        .merge(version::router(&state))
        .merge(health::router())
        .merge(telemetry::docs::router(crate::openapi::document(chaos)));
    if chaos {
        router = router.merge(chaos::router());
    }
    router.with_state(state)
}

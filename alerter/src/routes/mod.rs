//! The routes, one module per resource, merged here.

mod health;
mod webhook;

use axum::Router;

pub use webhook::Accepted;

use crate::state::AppState;

/// Every API route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(webhook::router())
        .merge(health::router())
        .with_state(state)
}

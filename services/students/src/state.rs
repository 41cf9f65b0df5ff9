//! What handlers share.

use std::sync::Arc;

use crate::cache::ViewCounter;
use crate::db::Database;
use telemetry::chaos::ErrorInjection;

/// The application state, cloned into every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The students in PostgreSQL.
    pub db: Database,
    /// The view counter in Redis.
    pub views: ViewCounter,
    /// The current chaos error injection.
    pub chaos: Arc<ErrorInjection>,
}

//! What handlers share.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::auth::ApiKeys;
use crate::chaos::ErrorInjection;
use crate::queue_name::QueueName;
use crate::store::TicketStore;

/// The application state, cloned into every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The queue's tickets in Redis.
    pub store: TicketStore,
    /// The queue's name.
    pub queue: QueueName,
    /// Keys accepted on the ticket routes.
    pub keys: ApiKeys,
    /// The current chaos error injection.
    pub chaos: Arc<ErrorInjection>,
}

impl FromRef<AppState> for ApiKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

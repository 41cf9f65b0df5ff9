//! What handlers share.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use telemetry::chaos::ErrorInjection;

use crate::auth::ApiKeys;
use crate::metrics::QueueMetrics;
use crate::queue_name::QueueName;
use crate::store::TicketStore;

/// The application state: one pointer, since axum clones it for every request
/// and every stateful middleware.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// What the state holds.
#[derive(Debug)]
pub struct Shared {
    /// The queue's tickets in Redis.
    pub store: TicketStore,
    /// The queue's name.
    pub queue: QueueName,
    /// Keys accepted on the ticket routes.
    pub keys: ApiKeys,
    /// The current chaos error injection.
    pub chaos: Arc<ErrorInjection>,
    /// The queue's counters and wait histogram.
    pub metrics: QueueMetrics,
}

impl AppState {
    /// Wraps the shared state.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for ApiKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

//! What handlers share.

use std::sync::Arc;

use crate::auth::WebhookToken;
use crate::delivery::ChannelHealth;
use crate::outbox::Outbox;
use crate::outbox::intake::Intake;
use crate::routing::Routing;

/// The application state, cloned into every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The accepted bearer token.
    pub token: WebhookToken,
    /// Stores accepted webhooks.
    pub intake: Intake,
    /// The outbox, for readiness.
    pub outbox: Outbox,
    /// Which channels a notification goes to.
    pub routing: Arc<Routing>,
    /// Configured channels and how their last attempt went.
    pub health: Arc<ChannelHealth>,
    /// The configured channel names.
    pub channels: Arc<[crate::channels::ChannelName]>,
    /// Largest body accepted, in bytes.
    pub max_body_bytes: usize,
}

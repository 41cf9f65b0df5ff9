//! What the worker tells `/healthcheck` and itself: the last error per channel,
//! and the wakers that new webhooks ring.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use crate::channels::ChannelName;

/// Wakes a channel's loop when a webhook for it is stored.
#[derive(Debug, Default)]
pub struct Wakers(HashMap<ChannelName, Notify>);

impl Wakers {
    /// One waker per channel.
    pub fn new(channels: &[ChannelName]) -> Arc<Self> {
        Arc::new(Self(channels.iter().map(|c| (*c, Notify::new())).collect()))
    }

    /// Wakes the loops of `channels`.
    pub fn wake(&self, channels: &[ChannelName]) {
        for channel in channels {
            if let Some(notify) = self.0.get(channel) {
                notify.notify_one();
            }
        }
    }

    /// Resolves when `channel` is woken (never for an unknown channel).
    pub async fn woken(&self, channel: ChannelName) {
        match self.0.get(&channel) {
            Some(notify) => notify.notified().await,
            None => std::future::pending().await,
        }
    }
}

/// The last attempt's error per channel, for `/healthcheck`.
#[derive(Debug, Default)]
pub struct ChannelHealth(Mutex<HashMap<ChannelName, Option<String>>>);

impl ChannelHealth {
    /// `Err(last error)` when the channel's last attempt failed.
    pub fn status(&self, channel: ChannelName) -> Result<(), String> {
        let states = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match states.get(&channel) {
            Some(Some(error)) => Err(error.clone()),
            _ => Ok(()),
        }
    }

    /// Records the last attempt's outcome.
    pub(super) fn record(&self, channel: ChannelName, error: Option<String>) {
        let mut states = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        states.insert(channel, error);
    }
}

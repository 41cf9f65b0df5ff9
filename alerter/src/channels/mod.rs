//! The delivery channels: e-mail over SMTP (`email`) and Matrix over the
//! client-server API (`matrix`). A channel sends one delivery and says how it
//! failed; retrying, backing off and giving up are the worker's business.

pub mod email;
pub mod matrix;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use email::EmailChannel;
pub use matrix::MatrixChannel;

use crate::outbox::queue::Claimed;

/// A channel's name, as used in metrics labels, the outbox and the routing file.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ChannelName {
    /// E-mail over SMTP.
    Email,
    /// A Matrix room.
    Matrix,
}

impl ChannelName {
    /// Every channel.
    pub const ALL: [Self; 2] = [Self::Email, Self::Matrix];

    /// `email` or `matrix`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Matrix => "matrix",
        }
    }
}

impl std::fmt::Display for ChannelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone)]
pub struct SendFailure {
    /// What went wrong, for logs and the outbox row.
    pub message: String,
    /// The server asked to wait this long before retrying (Matrix 429).
    pub retry_after: Option<Duration>,
    /// Matrix events of a split notification sent so far, so a retry goes on from there.
    pub parts_done: i64,
    /// Retrying the same message cannot help by itself (it is retried anyway, since
    /// the cause is often configuration an operator fixes); logged as an error.
    pub permanent: bool,
}

impl SendFailure {
    /// A failure worth retrying.
    pub fn temporary(message: impl Into<String>, parts_done: i64) -> Self {
        Self {
            message: message.into(),
            retry_after: None,
            parts_done,
            permanent: false,
        }
    }
}

/// A configured channel.
#[derive(Debug, Clone)]
pub enum Channel {
    /// E-mail.
    Email(Arc<EmailChannel>),
    /// Matrix.
    Matrix(Arc<MatrixChannel>),
}

impl Channel {
    /// Its name.
    pub fn name(&self) -> ChannelName {
        match self {
            Self::Email(_) => ChannelName::Email,
            Self::Matrix(_) => ChannelName::Matrix,
        }
    }

    /// Sends one delivery.
    pub async fn send(&self, delivery: &Claimed) -> Result<(), SendFailure> {
        match self {
            Self::Email(channel) => channel.send(delivery).await,
            Self::Matrix(channel) => channel.send(delivery).await,
        }
    }
}

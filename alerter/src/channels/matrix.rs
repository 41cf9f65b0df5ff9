//! Matrix: one `m.notice` per notification (several when it is too large for one
//! event), sent with `PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}`.
//!
//! The transaction id is derived from the delivery row and the part number, so a
//! retry after a lost response is recognised by the homeserver and posts nothing
//! twice. `429 M_LIMIT_EXCEEDED` gives its wait (`retry_after_ms` in the body, or
//! the `Retry-After` header), which the worker honours.

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Client, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::SendFailure;
use crate::outbox::queue::Claimed;
use crate::render::links::safe_url;
use crate::render::{MatrixContent, Renderer};

/// Longest error body kept in the outbox and logs.
const MAX_ERROR_CHARS: usize = 300;

/// The Matrix channel.
pub struct MatrixChannel {
    client: Client,
    homeserver: String,
    access_token: SecretString,
    room_id: String,
    renderer: Arc<Renderer>,
}

impl std::fmt::Debug for MatrixChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixChannel")
            .field("homeserver", &self.homeserver)
            .field("room_id", &self.room_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct MatrixError {
    #[serde(default)]
    errcode: String,
    #[serde(default)]
    error: String,
    retry_after_ms: Option<u64>,
}

impl MatrixChannel {
    /// A channel posting in `room_id` on `homeserver`.
    pub fn new(
        homeserver: &str,
        access_token: SecretString,
        room_id: &str,
        timeout: Duration,
        renderer: Arc<Renderer>,
    ) -> anyhow::Result<Self> {
        let homeserver = safe_url(homeserver)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "ALERTER_MATRIX_HOMESERVER must be an http(s) URL, got {homeserver:?}"
                )
            })?
            .trim_end_matches('/')
            .to_owned();
        anyhow::ensure!(
            room_id.starts_with('!'),
            "ALERTER_MATRIX_ROOM_ID must be a room id (`!...`), got {room_id:?}; resolve an alias with the client first"
        );
        let client = Client::builder()
            .timeout(timeout)
            .user_agent(concat!("vigie-alerter/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            homeserver,
            access_token,
            room_id: room_id.to_owned(),
            renderer,
        })
    }

    /// Renders and sends one delivery, from the first part not yet sent.
    pub async fn send(&self, delivery: &Claimed) -> Result<(), SendFailure> {
        let parts = self
            .renderer
            .matrix(&delivery.notification)
            .map_err(|error| SendFailure {
                permanent: true,
                ..SendFailure::temporary(format!("{error:#}"), delivery.parts_done)
            })?;
        let first = usize::try_from(delivery.parts_done).unwrap_or(0);
        for (index, part) in parts.iter().enumerate().skip(first) {
            let txn_id = transaction_id(delivery, index);
            let done = i64::try_from(index).unwrap_or(i64::MAX);
            self.put(part, &txn_id).await.map_err(|mut failure| {
                failure.parts_done = done;
                failure
            })?;
        }
        Ok(())
    }

    async fn put(&self, content: &MatrixContent, txn_id: &str) -> Result<(), SendFailure> {
        let url = format!(
            "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
            self.homeserver,
            utf8_percent_encode(&self.room_id, NON_ALPHANUMERIC),
            utf8_percent_encode(txn_id, NON_ALPHANUMERIC),
        );
        let body = serde_json::json!({
            "msgtype": "m.notice",
            "body": content.body,
            "format": "org.matrix.custom.html",
            "formatted_body": content.formatted_body,
        });
        let response = self
            .client
            .put(url)
            .bearer_auth(self.access_token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|error| {
                let kind = if error.is_timeout() {
                    "timed out"
                } else {
                    "failed"
                };
                SendFailure::temporary(format!("matrix request {kind}: {}", without_url(&error)), 0)
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let header_wait = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.text().await.unwrap_or_default();
        let parsed: Option<MatrixError> = serde_json::from_str(&text).ok();
        let body_wait = parsed
            .as_ref()
            .and_then(|error| error.retry_after_ms)
            .map(Duration::from_millis);
        let detail = match &parsed {
            Some(error) => format!("{} {}", error.errcode, error.error),
            None => text.chars().take(MAX_ERROR_CHARS).collect(),
        };
        let retry_after = if status == StatusCode::TOO_MANY_REQUESTS {
            // Both may be present; waiting for the longer one honours each.
            body_wait.max(header_wait)
        } else {
            header_wait
        };
        Err(SendFailure {
            message: format!("matrix answered {status}: {}", detail.trim()),
            retry_after,
            parts_done: 0,
            permanent: status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS,
        })
    }
}

/// Stable per delivery and part: `vigie.<notification>.<delivery>.<key>.<part>`.
/// The content key keeps ids unique across a recreated database.
fn transaction_id(delivery: &Claimed, part: usize) -> String {
    let key = delivery.dedup_key.get(..16).unwrap_or(&delivery.dedup_key);
    format!(
        "vigie.{}.{}.{key}.{part}",
        delivery.notification_id, delivery.id
    )
}

/// The error without its URL (it is the same for every request, and long).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<send url>");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

//! Looking into the outbox: dead letters (listed, replayed) and row counts, for
//! operators (`alerter dead-letters`) and tests.

use serde::Serialize;

use super::{Outbox, OutboxError, now_ms};
use crate::payload::Notification;

/// A delivery given up on.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    /// Delivery id (what `replay` takes).
    pub id: i64,
    /// Notification id.
    pub notification_id: i64,
    /// `email` or `matrix`.
    pub channel: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the webhook was stored, Unix ms.
    pub created_ms: i64,
    /// When it was given up on, Unix ms.
    pub finished_ms: Option<i64>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// `firing` or `resolved`.
    pub status: String,
    /// The group's alert names.
    pub alertnames: Vec<String>,
}

type DeadRow = (
    i64,
    i64,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    String,
    String,
);

impl Outbox {
    /// Every dead letter, oldest first.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, OutboxError> {
        let rows: Vec<DeadRow> = sqlx::query_as(
            "SELECT d.id, d.notification_id, d.channel, d.attempts, d.created_ms, d.finished_ms, \
             d.last_error, n.status, n.payload \
             FROM deliveries d JOIN notifications n ON n.id = d.notification_id \
             WHERE d.state = 'dead' ORDER BY d.id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    notification_id,
                    channel,
                    attempts,
                    created_ms,
                    finished_ms,
                    last_error,
                    status,
                    payload,
                )| {
                    let mut alertnames: Vec<String> =
                        serde_json::from_str::<Notification>(&payload)
                            .map(|n| {
                                n.alerts
                                    .iter()
                                    .filter_map(|alert| alert.labels.get("alertname").cloned())
                                    .collect()
                            })
                            .unwrap_or_default();
                    alertnames.sort();
                    alertnames.dedup();
                    DeadLetter {
                        id,
                        notification_id,
                        channel,
                        attempts,
                        created_ms,
                        finished_ms,
                        last_error,
                        status,
                        alertnames,
                    }
                },
            )
            .collect())
    }

    /// Makes dead letters pending again (all when `ids` is `None`), with a fresh
    /// maximum age; returns how many.
    pub async fn replay_dead_letters(&self, ids: Option<&[i64]>) -> Result<u64, OutboxError> {
        const REPLAY: &str = "UPDATE deliveries SET state = 'pending', attempts = 0, created_ms = $1, \
             next_attempt_ms = $1, lease_until_ms = 0, finished_ms = NULL WHERE state = 'dead'";
        let now = now_ms();
        let replayed = match ids {
            None => sqlx::query(REPLAY)
                .bind(now)
                .execute(self.writer())
                .await?
                .rows_affected(),
            Some(ids) => {
                let mut replayed = 0;
                for id in ids {
                    replayed += sqlx::query(&format!("{REPLAY} AND id = $2"))
                        .bind(now)
                        .bind(*id)
                        .execute(self.writer())
                        .await?
                        .rows_affected();
                }
                replayed
            }
        };
        Ok(replayed)
    }

    /// Stored notifications.
    pub async fn notification_count(&self) -> Result<i64, OutboxError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications")
            .fetch_one(self.pool())
            .await?;
        Ok(count)
    }

    /// Deliveries of `channel` in `state` (`pending`, `delivered`, `dead`).
    pub async fn delivery_count(&self, channel: &str, state: &str) -> Result<i64, OutboxError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM deliveries WHERE channel = $1 AND state = $2")
                .bind(channel)
                .bind(state)
                .fetch_one(self.pool())
                .await?;
        Ok(count)
    }
}

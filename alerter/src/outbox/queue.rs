//! The delivery worker's side of the outbox: claim due deliveries under a lease
//! (so two workers never send the same row at once, and a row held by a crashed
//! worker comes back when its lease ends), then record each attempt's outcome.
//!
//! A delivery waits while an older one of the same group is pending on its
//! channel, so a group's messages arrive in order (firing before resolved).

use super::{Outbox, OutboxError, now_ms};
use crate::channels::ChannelName;
use crate::payload::Notification;

/// A delivery claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Delivery row id.
    pub id: i64,
    /// Its notification's id.
    pub notification_id: i64,
    /// The notification's dedup key (part of Matrix transaction ids).
    pub dedup_key: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// Matrix events of this notification already sent.
    pub parts_done: i64,
    /// When the webhook was stored, Unix ms.
    pub created_ms: i64,
    /// The notification.
    pub notification: Notification,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Failed; retry at `next_attempt_ms`.
    Failed {
        /// Matrix events sent so far.
        parts_done: i64,
        /// When to retry, Unix ms.
        next_attempt_ms: i64,
        /// Why it failed.
        error: String,
    },
    /// Given up on: a dead letter.
    Dead {
        /// Matrix events sent so far.
        parts_done: i64,
        /// The last error.
        error: String,
    },
}

/// Pending deliveries of one channel, for the gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingStats {
    /// How many.
    pub count: i64,
    /// When the oldest was stored, Unix ms.
    pub oldest_created_ms: Option<i64>,
}

type ClaimRow = (i64, i64, String, i64, i64, i64, String);

impl Outbox {
    /// Claims up to `limit` due deliveries of `channel` until `lease_until_ms`:
    /// one write takes the leases (so nobody else can take the same rows), one
    /// read fetches their notifications.
    pub async fn claim_due(
        &self,
        channel: ChannelName,
        limit: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<Claimed>, OutboxError> {
        let now = now_ms();
        // The conditions on the row itself are repeated outside the subquery:
        // PostgreSQL re-checks them on a row another worker just updated.
        let taken: Vec<(i64,)> = sqlx::query_as(
            "UPDATE deliveries SET lease_until_ms = $1 \
             WHERE state = 'pending' AND lease_until_ms <= $2 AND id IN ( \
                 SELECT d.id FROM deliveries d \
                 WHERE d.state = 'pending' AND d.channel = $3 AND d.next_attempt_ms <= $2 AND d.lease_until_ms <= $2 \
                 AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.channel = d.channel \
                     AND o.group_key = d.group_key AND o.state = 'pending' AND o.id < d.id) \
                 ORDER BY d.next_attempt_ms, d.id LIMIT $4) \
             RETURNING id",
        )
        .bind(lease_until_ms)
        .bind(now)
        .bind(channel.as_str())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.writer())
        .await?;
        if taken.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=taken.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT d.id, d.notification_id, n.dedup_key, d.attempts, d.parts_done, d.created_ms, n.payload \
             FROM deliveries d JOIN notifications n ON n.id = d.notification_id \
             WHERE d.id IN ({}) ORDER BY d.next_attempt_ms, d.id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as::<_, ClaimRow>(&sql);
        for (id,) in &taken {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.into_iter()
            .map(
                |(id, notification_id, dedup_key, attempts, parts_done, created_ms, payload)| {
                    let notification: Notification =
                        serde_json::from_str(&payload).map_err(|error| {
                            OutboxError::Corrupt(format!("notification {notification_id}: {error}"))
                        })?;
                    Ok(Claimed {
                        id,
                        notification_id,
                        dedup_key,
                        attempts,
                        parts_done,
                        created_ms,
                        notification,
                    })
                },
            )
            .collect()
    }

    /// When the next delivery of `channel` may be attempted (Unix ms), if any is pending.
    pub async fn next_due_ms(&self, channel: ChannelName) -> Result<Option<i64>, OutboxError> {
        let (next,): (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(CASE WHEN d.lease_until_ms > d.next_attempt_ms THEN d.lease_until_ms ELSE d.next_attempt_ms END) \
             FROM deliveries d WHERE d.state = 'pending' AND d.channel = $1 \
             AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.channel = d.channel \
                 AND o.group_key = d.group_key AND o.state = 'pending' AND o.id < d.id)",
        )
        .bind(channel.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(next)
    }

    /// Records the outcomes of several attempts in one transaction.
    pub async fn record_outcomes(&self, outcomes: &[(i64, Outcome)]) -> Result<(), OutboxError> {
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        for (id, outcome) in outcomes {
            let query = match outcome {
                Outcome::Delivered => sqlx::query(
                    "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, lease_until_ms = 0, \
                     finished_ms = $1, last_error = NULL WHERE id = $2",
                )
                .bind(now)
                .bind(*id),
                Outcome::Failed { parts_done, next_attempt_ms, error } => sqlx::query(
                    "UPDATE deliveries SET attempts = attempts + 1, parts_done = $1, next_attempt_ms = $2, \
                     lease_until_ms = 0, last_error = $3 WHERE id = $4",
                )
                .bind(*parts_done)
                .bind(*next_attempt_ms)
                .bind(error.clone())
                .bind(*id),
                Outcome::Dead { parts_done, error } => sqlx::query(
                    "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, parts_done = $1, \
                     lease_until_ms = 0, finished_ms = $2, last_error = $3 WHERE id = $4",
                )
                .bind(*parts_done)
                .bind(now)
                .bind(error.clone())
                .bind(*id),
            };
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pending deliveries per channel.
    pub async fn pending_stats(&self) -> Result<Vec<(String, PendingStats)>, OutboxError> {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT channel, COUNT(*), MIN(created_ms) FROM deliveries \
             WHERE state = 'pending' GROUP BY channel",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(channel, count, oldest_created_ms)| {
                (
                    channel,
                    PendingStats {
                        count,
                        oldest_created_ms,
                    },
                )
            })
            .collect())
    }
}

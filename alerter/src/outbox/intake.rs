//! Storing accepted webhooks. One writer task commits them in batches: requests
//! that arrive while a commit is running share the next one, so a single fsync
//! makes many webhooks durable. Each request gets its answer only after the
//! commit that holds it, and every request of a failed commit gets the error.
//!
//! Deduplication happens in the same transaction: the `dedup` row of a content
//! is inserted, or moved forward only when the stored one is older than the
//! window, so two identical webhooks can never both be stored within it.

use std::time::Duration;

use telemetry::db::{DbSystem, time_operation};
use tokio::sync::{mpsc, oneshot};

use super::{Backend, Outbox, OutboxError, millis, now_ms};
use crate::channels::ChannelName;
use crate::payload::Notification;

/// Most webhooks committed together.
const MAX_BATCH: usize = 128;
/// Webhooks waiting for the writer before callers wait for room.
const QUEUE_DEPTH: usize = 1024;
/// Longest time one batch commit may take; under the request timeout, so that a
/// database outage is answered with the outbox's 503, which says to retry.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(3);

/// What happened to a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Stored with this id; one delivery per channel is pending.
    New(i64),
    /// Identical to one stored within the dedup window: acknowledged, not stored.
    Duplicate,
}

/// A webhook to store and the channels it goes to.
#[derive(Debug)]
pub struct Submission {
    /// The parsed notification.
    pub notification: Notification,
    /// Its dedup key.
    pub dedup_key: String,
    /// The channels that will deliver it.
    pub channels: Vec<ChannelName>,
}

type Reply = oneshot::Sender<Result<Stored, String>>;

/// The handle requests store through; cheap to clone.
#[derive(Debug, Clone)]
pub struct Intake {
    sender: mpsc::Sender<(Submission, Reply)>,
}

impl Intake {
    /// Starts the writer task; it stops once every handle is dropped.
    pub fn spawn(
        outbox: Outbox,
        dedup_window: Duration,
        on_commit: impl Fn(&[ChannelName]) + Send + 'static,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        let task = tokio::spawn(write_loop(outbox, dedup_window, receiver, on_commit));
        (Self { sender }, task)
    }

    /// Stores `submission` durably, or says it is a duplicate.
    pub async fn store(&self, submission: Submission) -> Result<Stored, OutboxError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((submission, reply))
            .await
            .map_err(|_| OutboxError::Stopped)?;
        match answer.await {
            Ok(Ok(stored)) => Ok(stored),
            Ok(Err(message)) => Err(OutboxError::Corrupt(message)),
            Err(_) => Err(OutboxError::Stopped),
        }
    }
}

async fn write_loop(
    outbox: Outbox,
    dedup_window: Duration,
    mut receiver: mpsc::Receiver<(Submission, Reply)>,
    on_commit: impl Fn(&[ChannelName]),
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (submissions, replies): (Vec<Submission>, Vec<Reply>) = batch.drain(..).unzip();
        let system = match outbox.backend() {
            Backend::Sqlite => DbSystem::Sqlite,
            Backend::Postgres => DbSystem::Postgresql,
        };
        let result = time_operation(system, "store_webhooks", async {
            tokio::time::timeout(
                COMMIT_TIMEOUT,
                store_batch(&outbox, &submissions, dedup_window),
            )
            .await
            .map_err(|_| OutboxError::Timeout(COMMIT_TIMEOUT))?
        })
        .await;
        match result {
            Ok(outcomes) => {
                let mut woken: Vec<ChannelName> = Vec::new();
                for (submission, outcome) in submissions.iter().zip(&outcomes) {
                    if matches!(outcome, Stored::New(_)) {
                        woken.extend(&submission.channels);
                    }
                }
                woken.sort_unstable();
                woken.dedup();
                on_commit(&woken);
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // The caller may have gone (client timeout); the row is stored anyway.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                tracing::error!(%error, webhooks = replies.len(), "cannot store webhooks");
                for reply in replies {
                    let _ = reply.send(Err(error.to_string()));
                }
            }
        }
    }
}

async fn store_batch(
    outbox: &Outbox,
    submissions: &[Submission],
    dedup_window: Duration,
) -> Result<Vec<Stored>, OutboxError> {
    let now = now_ms();
    let window_start = now - millis(dedup_window);
    let mut tx = outbox.writer().begin().await?;
    let mut outcomes = Vec::with_capacity(submissions.len());
    for submission in submissions {
        // The first statement writes, so SQLite takes the write lock at once and
        // waits for it (busy_timeout) instead of failing on a lock upgrade.
        let claimed: Option<(String,)> = sqlx::query_as(
            "INSERT INTO dedup (dedup_key, last_stored_ms) VALUES ($1, $2) \
             ON CONFLICT (dedup_key) DO UPDATE SET last_stored_ms = excluded.last_stored_ms \
             WHERE dedup.last_stored_ms < $3 \
             RETURNING dedup_key",
        )
        .bind(&submission.dedup_key)
        .bind(now)
        .bind(window_start)
        .fetch_optional(&mut *tx)
        .await?;
        if claimed.is_none() {
            outcomes.push(Stored::Duplicate);
            continue;
        }
        let payload = serde_json::to_string(&submission.notification)
            .map_err(|error| OutboxError::Corrupt(error.to_string()))?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO notifications (dedup_key, received_ms, receiver, group_key, status, payload) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&submission.dedup_key)
        .bind(now)
        .bind(&submission.notification.receiver)
        .bind(&submission.notification.group_key)
        .bind(submission.notification.status.as_str())
        .bind(payload)
        .fetch_one(&mut *tx)
        .await?;
        for channel in &submission.channels {
            sqlx::query(
                "INSERT INTO deliveries (notification_id, channel, group_key, state, created_ms, next_attempt_ms) \
                 VALUES ($1, $2, $3, 'pending', $4, $4)",
            )
            .bind(id)
            .bind(channel.as_str())
            .bind(&submission.notification.group_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        outcomes.push(Stored::New(id));
    }
    tx.commit().await?;
    Ok(outcomes)
}

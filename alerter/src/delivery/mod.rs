//! The delivery worker: one loop per channel, so that a Matrix outage never delays
//! or repeats an e-mail. Each loop claims due deliveries (several at once), sends
//! them with a timeout, and records the outcome: delivered, retry later with
//! backoff, or dead letter once the maximum age is passed.
//!
//! New webhooks wake the loops at once; otherwise a loop sleeps until its next
//! delivery is due, and looks again at least every [`POLL_INTERVAL`] in case
//! someone else (a replay, another replica) changed the outbox.

pub mod backoff;
mod health;
mod recorder;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use backoff::RetryPolicy;
pub use health::{ChannelHealth, Wakers};
use recorder::Recorder;

use crate::channels::{Channel, ChannelName, SendFailure};
use crate::metrics::{self, DeliveryOutcome};
use crate::outbox::queue::{Claimed, Outcome};
use crate::outbox::{Outbox, millis, now_ms};

/// Longest sleep between two looks at the outbox.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The worker's settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Backoff and maximum age.
    pub policy: RetryPolicy,
    /// Longest time one attempt may take.
    pub send_timeout: Duration,
    /// Deliveries attempted at once per channel.
    pub concurrency: usize,
}

/// The delivery worker.
#[derive(Debug, Clone)]
pub struct Worker {
    outbox: Outbox,
    settings: WorkerSettings,
    wakers: Arc<Wakers>,
    health: Arc<ChannelHealth>,
    /// Deliveries with an attempt running or an outcome not yet recorded: never
    /// started twice by this process, even when their lease ends meanwhile.
    busy: Arc<Mutex<HashSet<i64>>>,
}

impl Worker {
    /// A worker over `outbox`.
    pub fn new(
        outbox: Outbox,
        settings: WorkerSettings,
        wakers: Arc<Wakers>,
        health: Arc<ChannelHealth>,
    ) -> Self {
        Self {
            outbox,
            settings,
            wakers,
            health,
            busy: Arc::default(),
        }
    }

    /// Runs one loop per channel until `shutdown`, then lets attempts in flight
    /// finish (each is bounded by the send timeout) and records their outcomes,
    /// so none is sent twice.
    pub async fn run(self, channels: Vec<Channel>, shutdown: CancellationToken) {
        let (recorder, recording) = Recorder::spawn(self.outbox.clone(), shutdown.clone());
        let mut loops = JoinSet::new();
        for channel in channels {
            loops.spawn(
                self.clone()
                    .channel_loop(channel, recorder.clone(), shutdown.clone()),
            );
        }
        drop(recorder);
        while loops.join_next().await.is_some() {}
        let _ = recording.await;
        tracing::info!("delivery worker stopped");
    }

    async fn channel_loop(self, channel: Channel, recorder: Recorder, shutdown: CancellationToken) {
        let name = channel.name();
        let mut in_flight: JoinSet<()> = JoinSet::new();
        // The lease outlives any attempt, so a row is never sent by two workers;
        // after a crash, the row comes back when the lease ends.
        let lease = self.settings.send_timeout * 2 + Duration::from_secs(5);
        let mut db_failures: u32 = 0;
        loop {
            let free = self.settings.concurrency.saturating_sub(in_flight.len());
            let mut wait = POLL_INTERVAL;
            if free > 0 {
                match self
                    .outbox
                    .claim_due(name, free, now_ms() + millis(lease))
                    .await
                {
                    Ok(claimed) => {
                        db_failures = 0;
                        let full = claimed.len() == free;
                        for delivery in claimed {
                            if !self.start(delivery.id) {
                                continue;
                            }
                            in_flight.spawn(self.clone().attempt(
                                channel.clone(),
                                delivery,
                                recorder.clone(),
                            ));
                        }
                        // When full, there may be more due: look again once a slot frees up.
                        wait = if full {
                            Duration::ZERO
                        } else {
                            self.until_next_due(name).await
                        };
                    }
                    Err(error) => {
                        db_failures += 1;
                        tracing::error!(channel = %name, %error, "cannot read the outbox");
                        wait = Duration::from_millis(100 * u64::from(db_failures.min(50)));
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                () = self.wakers.woken(name) => {}
                () = tokio::time::sleep(wait), if !wait.is_zero() || in_flight.is_empty() => {}
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    /// How long until the next pending delivery of `channel` is due, at most the poll interval.
    async fn until_next_due(&self, channel: ChannelName) -> Duration {
        match self.outbox.next_due_ms(channel).await {
            Ok(Some(due)) => {
                let ms = u64::try_from((due - now_ms()).max(10)).unwrap_or(10);
                Duration::from_millis(ms).min(POLL_INTERVAL)
            }
            _ => POLL_INTERVAL,
        }
    }

    /// Marks `id` busy; false when it already was.
    fn start(&self, id: i64) -> bool {
        self.busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id)
    }

    async fn attempt(self, channel: Channel, delivery: Claimed, recorder: Recorder) {
        let name = channel.name();
        let start = Instant::now();
        let timeout = self.settings.send_timeout;
        let result = match tokio::time::timeout(timeout, channel.send(&delivery)).await {
            Ok(result) => result,
            Err(_) => Err(SendFailure::temporary(
                format!("no answer within {} ms", timeout.as_millis()),
                delivery.parts_done,
            )),
        };
        let elapsed = start.elapsed();
        let outcome = match result {
            Ok(()) => {
                self.health.record(name, None);
                metrics::attempt(name, DeliveryOutcome::Delivered, elapsed);
                tracing::info!(
                    channel = %name,
                    delivery = delivery.id,
                    notification = delivery.notification_id,
                    attempts = delivery.attempts + 1,
                    "notification delivered"
                );
                Outcome::Delivered
            }
            Err(failure) => self.failed(name, &delivery, failure, elapsed),
        };
        recorder.record(delivery.id, outcome).await;
        self.busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&delivery.id);
    }

    fn failed(
        &self,
        name: ChannelName,
        delivery: &Claimed,
        failure: SendFailure,
        elapsed: Duration,
    ) -> Outcome {
        self.health.record(name, Some(failure.message.clone()));
        let failures = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
        let age = Duration::from_millis(u64::try_from(now_ms() - delivery.created_ms).unwrap_or(0));
        if self.settings.policy.expired(age) {
            metrics::attempt(name, DeliveryOutcome::DeadLetter, elapsed);
            tracing::error!(
                channel = %name,
                delivery = delivery.id,
                notification = delivery.notification_id,
                attempts = failures,
                age_seconds = age.as_secs(),
                error = %failure.message,
                "giving up on a notification: it is now a dead letter (see `alerter dead-letters list`)"
            );
            return Outcome::Dead {
                parts_done: failure.parts_done,
                error: failure.message,
            };
        }
        metrics::attempt(name, DeliveryOutcome::Failed, elapsed);
        let delay = self.settings.policy.delay(failures, failure.retry_after);
        let retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        if failure.permanent {
            tracing::error!(channel = %name, delivery = delivery.id, attempts = failures, retry_in_ms,
                error = %failure.message, "delivery refused; retrying in case the configuration is fixed");
        } else {
            tracing::warn!(channel = %name, delivery = delivery.id, attempts = failures, retry_in_ms,
                error = %failure.message, "delivery failed; will retry");
        }
        Outcome::Failed {
            parts_done: failure.parts_done,
            next_attempt_ms: now_ms() + millis(delay),
            error: failure.message,
        }
    }
}

//! Recording attempt outcomes. Like webhooks, outcomes are written in batches by
//! one task: deliveries finishing together share a commit (one fsync), which
//! keeps the worker from crowding the webhooks out of SQLite's single writer.
//!
//! An attempt waits until its outcome is committed. When the database is down
//! the batch is retried until it is taken, since a lost "delivered" would send
//! the notification again; after shutdown it gives up after a few tries and
//! says so.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::outbox::Outbox;
use crate::outbox::queue::Outcome;

/// Most outcomes committed together.
const MAX_BATCH: usize = 256;
/// Tries left after shutdown before a batch is given up.
const TRIES_AFTER_SHUTDOWN: u32 = 5;

type Request = (i64, Outcome, oneshot::Sender<()>);

/// The handle attempts record through; cheap to clone.
#[derive(Debug, Clone)]
pub struct Recorder {
    sender: mpsc::Sender<Request>,
}

impl Recorder {
    /// Starts the recording task; it stops once every handle is dropped.
    pub fn spawn(
        outbox: Outbox,
        shutdown: CancellationToken,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        let task = tokio::spawn(record_loop(outbox, receiver, shutdown));
        (Self { sender }, task)
    }

    /// Records `outcome` for delivery `id`; returns once committed (or given up).
    pub async fn record(&self, id: i64, outcome: Outcome) {
        let (done, committed) = oneshot::channel();
        if self.sender.send((id, outcome, done)).await.is_ok() {
            let _ = committed.await;
        }
    }
}

async fn record_loop(
    outbox: Outbox,
    mut receiver: mpsc::Receiver<Request>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes: Vec<(i64, Outcome)> = batch
            .iter()
            .map(|(id, outcome, _)| (*id, outcome.clone()))
            .collect();
        let mut tries: u32 = 0;
        let mut after_shutdown: u32 = 0;
        while let Err(error) = outbox.record_outcomes(&outcomes).await {
            tries += 1;
            if shutdown.is_cancelled() {
                after_shutdown += 1;
                if after_shutdown >= TRIES_AFTER_SHUTDOWN {
                    tracing::error!(%error, deliveries = outcomes.len(),
                        "stopping without recording these delivery outcomes; they may be sent again");
                    break;
                }
            }
            tracing::error!(%error, tries, deliveries = outcomes.len(), "cannot record delivery outcomes; retrying");
            tokio::time::sleep((Duration::from_millis(200) * tries).min(Duration::from_secs(5)))
                .await;
        }
        for (_, _, done) in batch.drain(..) {
            let _ = done.send(());
        }
    }
}

//! The queue's own metrics, described once here. Size and oldest age are read from
//! Redis at scrape time, so every replica of a queue reports the same value.

use std::sync::Arc;

use metrics::{
    Counter, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge,
    histogram,
};
use telemetry::metrics::{CollectFuture, ScrapeCollector};

use crate::queue_name::QueueName;
use crate::store::TicketStore;

/// `queue_tickets_waiting{queue}`
pub const TICKETS_WAITING: &str = "queue_tickets_waiting";
/// `queue_oldest_ticket_age_seconds{queue}`
pub const OLDEST_TICKET_AGE: &str = "queue_oldest_ticket_age_seconds";
/// `queue_tickets_issued_total{queue}`
pub const TICKETS_ISSUED: &str = "queue_tickets_issued_total";
/// `queue_tickets_called_total{queue}`
pub const TICKETS_CALLED: &str = "queue_tickets_called_total";
/// `queue_ticket_wait_seconds{queue}`
pub const TICKET_WAIT: &str = "queue_ticket_wait_seconds";

/// Bounds for ticket waits: from a quick call to an afternoon in line.
pub const WAIT_BUCKETS: &[f64] = &[
    0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// Bucket bounds for this service's own histograms, given to the recorder.
pub const BUCKETS: &[(&str, &[f64])] = &[(TICKET_WAIT, WAIT_BUCKETS)];

/// Describes the queue metrics, once per process.
pub fn describe() {
    describe_gauge!(
        TICKETS_WAITING,
        Unit::Count,
        "Tickets waiting in the queue, read from Redis at scrape time."
    );
    describe_gauge!(
        OLDEST_TICKET_AGE,
        Unit::Seconds,
        "Age of the oldest waiting ticket (0 when the queue is empty), read from Redis at scrape time."
    );
    describe_counter!(
        TICKETS_ISSUED,
        Unit::Count,
        "Tickets issued by this process."
    );
    describe_counter!(
        TICKETS_CALLED,
        Unit::Count,
        "Tickets called by this process (empty calls excluded)."
    );
    describe_histogram!(
        TICKET_WAIT,
        Unit::Seconds,
        "Time tickets waited between issue and call."
    );
}

/// The queue's counters and wait histogram, registered once: recording through a
/// kept handle costs an atomic add, not a label lookup per request.
#[derive(Debug)]
pub struct QueueMetrics {
    issued: Counter,
    called: Counter,
    wait: Histogram,
}

impl QueueMetrics {
    /// Registers the series of `queue`, starting the counters at zero so that
    /// `rate()` works from the first scrape.
    pub fn register(queue: &QueueName) -> Self {
        let label = queue.to_string();
        let metrics = Self {
            issued: counter!(TICKETS_ISSUED, "queue" => label.clone()),
            called: counter!(TICKETS_CALLED, "queue" => label.clone()),
            wait: histogram!(TICKET_WAIT, "queue" => label),
        };
        metrics.issued.increment(0);
        metrics.called.increment(0);
        metrics
    }

    /// Counts an issued ticket.
    pub fn ticket_issued(&self) {
        self.issued.increment(1);
    }

    /// Counts a called ticket and records its wait when known.
    pub fn ticket_called(&self, waited_seconds: Option<f64>) {
        self.called.increment(1);
        if let Some(waited) = waited_seconds {
            self.wait.record(waited);
        }
    }
}

/// Refreshes the size and oldest-age gauges from Redis before each scrape.
#[derive(Debug)]
pub struct QueueStatsCollector {
    store: TicketStore,
    queue: QueueName,
}

impl QueueStatsCollector {
    /// A collector for `queue`.
    pub fn new(store: TicketStore, queue: QueueName) -> Arc<Self> {
        Arc::new(Self { store, queue })
    }
}

impl ScrapeCollector for QueueStatsCollector {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async move {
            match self.store.stats().await {
                Ok(stats) => {
                    let label = self.queue.to_string();
                    gauge!(TICKETS_WAITING, "queue" => label.clone()).set(stats.waiting as f64);
                    gauge!(OLDEST_TICKET_AGE, "queue" => label).set(stats.oldest_age.as_secs_f64());
                }
                // The gauges keep their last value; readiness and the DB error
                // metrics already say that Redis is down.
                Err(error) => tracing::debug!(%error, "queue stats unavailable for this scrape"),
            }
        })
    }
}

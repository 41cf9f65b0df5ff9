//! The alerter's own metrics, described once here. The outbox gauges are read from
//! the database at scrape time, so they are right even after a restart.

use std::sync::Arc;
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use telemetry::metrics::{CollectFuture, ScrapeCollector};

use crate::channels::ChannelName;
use crate::outbox::{Outbox, now_ms};

/// `alerter_webhooks_received_total{outcome}`
pub const WEBHOOKS_RECEIVED: &str = "alerter_webhooks_received_total";
/// `alerter_notifications_total{channel,outcome}`
pub const NOTIFICATIONS: &str = "alerter_notifications_total";
/// `alerter_delivery_duration_seconds{channel}`
pub const DELIVERY_DURATION: &str = "alerter_delivery_duration_seconds";
/// `alerter_outbox_pending{channel}`
pub const OUTBOX_PENDING: &str = "alerter_outbox_pending";
/// `alerter_outbox_oldest_pending_seconds{channel}`
pub const OUTBOX_OLDEST: &str = "alerter_outbox_oldest_pending_seconds";

/// Delivery attempt bounds: from a local SMTP catcher to a send timeout.
pub const DELIVERY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0,
];

/// Bucket bounds for this service's own histograms, given to the recorder.
pub const BUCKETS: &[(&str, &[f64])] = &[(DELIVERY_DURATION, DELIVERY_BUCKETS)];

/// What became of a webhook (`outcome` of `alerter_webhooks_received_total`).
pub const WEBHOOK_OUTCOMES: &[&str] = &[
    "stored",
    "duplicate",
    "unauthorized",
    "bad_request",
    "too_large",
    "unsupported_media_type",
    "unavailable",
];

/// What became of a delivery attempt (`outcome` of `alerter_notifications_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Delivered.
    Delivered,
    /// Failed; it will be retried.
    Failed,
    /// Failed for longer than the maximum age: given up on.
    DeadLetter,
}

impl DeliveryOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::DeadLetter => "dead_letter",
        }
    }
}

/// Describes the metrics and starts every series at zero for the configured
/// channels, so that `rate()` and the absence of failures are visible from the start.
pub fn describe(channels: &[ChannelName]) {
    describe_counter!(
        WEBHOOKS_RECEIVED,
        Unit::Count,
        "Webhooks received, by outcome (stored, duplicate, or why they were refused)."
    );
    describe_counter!(
        NOTIFICATIONS,
        Unit::Count,
        "Delivery attempts by channel and outcome: delivered, failed (will be retried), dead_letter (given up)."
    );
    describe_histogram!(
        DELIVERY_DURATION,
        Unit::Seconds,
        "Duration of delivery attempts, successful or not, by channel."
    );
    describe_gauge!(
        OUTBOX_PENDING,
        Unit::Count,
        "Deliveries waiting in the outbox, by channel, read from the database at scrape time."
    );
    describe_gauge!(
        OUTBOX_OLDEST,
        Unit::Seconds,
        "Age of the oldest pending delivery (0 when none), by channel, read at scrape time."
    );
    for outcome in WEBHOOK_OUTCOMES {
        counter!(WEBHOOKS_RECEIVED, "outcome" => *outcome).increment(0);
    }
    for channel in channels {
        for outcome in [
            DeliveryOutcome::Delivered,
            DeliveryOutcome::Failed,
            DeliveryOutcome::DeadLetter,
        ] {
            counter!(NOTIFICATIONS, "channel" => channel.as_str(), "outcome" => outcome.as_str())
                .increment(0);
        }
        gauge!(OUTBOX_PENDING, "channel" => channel.as_str()).set(0.0);
        gauge!(OUTBOX_OLDEST, "channel" => channel.as_str()).set(0.0);
    }
}

/// Counts a webhook.
pub fn webhook(outcome: &'static str) {
    counter!(WEBHOOKS_RECEIVED, "outcome" => outcome).increment(1);
}

/// Counts a delivery attempt and records its duration.
pub fn attempt(channel: ChannelName, outcome: DeliveryOutcome, duration: Duration) {
    counter!(NOTIFICATIONS, "channel" => channel.as_str(), "outcome" => outcome.as_str())
        .increment(1);
    histogram!(DELIVERY_DURATION, "channel" => channel.as_str()).record(duration.as_secs_f64());
}

/// Refreshes the outbox gauges from the database before each scrape.
#[derive(Debug)]
pub struct OutboxCollector {
    outbox: Outbox,
    channels: Vec<ChannelName>,
}

impl OutboxCollector {
    /// A collector for the configured `channels`.
    pub fn new(outbox: Outbox, channels: Vec<ChannelName>) -> Arc<Self> {
        Arc::new(Self { outbox, channels })
    }
}

impl ScrapeCollector for OutboxCollector {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async move {
            let stats =
                tokio::time::timeout(Duration::from_secs(2), self.outbox.pending_stats()).await;
            let stats = match stats {
                Ok(Ok(stats)) => stats,
                Ok(Err(error)) => {
                    tracing::warn!(%error, "outbox stats unavailable for this scrape");
                    return;
                }
                Err(_) => {
                    tracing::warn!("outbox stats timed out for this scrape");
                    return;
                }
            };
            let now = now_ms();
            for channel in &self.channels {
                let found = stats.iter().find(|(name, _)| name == channel.as_str());
                let (count, oldest_age) = match found {
                    Some((_, stats)) => (
                        stats.count,
                        stats
                            .oldest_created_ms
                            .map_or(0.0, |created| (now - created).max(0) as f64 / 1000.0),
                    ),
                    None => (0, 0.0),
                };
                gauge!(OUTBOX_PENDING, "channel" => channel.as_str()).set(count as f64);
                gauge!(OUTBOX_OLDEST, "channel" => channel.as_str()).set(oldest_age);
            }
        })
    }
}

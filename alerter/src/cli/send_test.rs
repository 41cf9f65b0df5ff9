//! `alerter send-test --channel email|matrix`: render a sample alert through the
//! configured templates and send it now, bypassing the outbox, to prove the
//! channel works end to end.

use std::time::Duration;

use anyhow::Context;

use crate::channels::{Channel, ChannelName};
use crate::config::Config;
use crate::outbox::now_ms;
use crate::outbox::queue::Claimed;
use crate::payload::Notification;
use crate::settings::Settings;

/// The sample alert `send-test` and `check-config` render.
pub fn sample_notification() -> Notification {
    let body = serde_json::json!({
        "version": "4",
        "receiver": "alerter-test",
        "status": "firing",
        "groupKey": "{}:{alertname=\"AlerterTest\"}",
        "groupLabels": {"alertname": "AlerterTest"},
        "commonLabels": {"alertname": "AlerterTest", "severity": "info", "service": "alerter"},
        "commonAnnotations": {},
        "externalURL": "",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "AlerterTest", "severity": "info", "service": "alerter"},
            "annotations": {
                "summary": "Test notification from the Vigie alerter",
                "description": "Sent by `alerter send-test`: if you read this, the channel works."
            },
            "startsAt": jiff::Timestamp::now().to_string(),
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": "0000000000000000"
        }]
    });
    Notification::parse(body.to_string().as_bytes()).expect("the sample notification is valid")
}

/// Sends the sample on `channel`; returns what to print.
pub async fn send_test(config: &Config, channel: ChannelName) -> anyhow::Result<String> {
    let settings = Settings::resolve(config)?;
    let target: &Channel = settings
        .channels
        .iter()
        .find(|c| c.name() == channel)
        .with_context(|| format!("the {channel} channel is not configured"))?;
    let now = now_ms();
    // Unique ids: each run is a new message, never taken for a retry of an earlier one.
    let delivery = Claimed {
        id: now,
        notification_id: 0,
        dedup_key: format!("{:016x}", fastrand::u64(..)),
        attempts: 0,
        parts_done: 0,
        created_ms: now,
        notification: sample_notification(),
    };
    let timeout = config.send_timeout() + Duration::from_secs(1);
    match tokio::time::timeout(timeout, target.send(&delivery)).await {
        Ok(Ok(())) => Ok(format!("test notification sent on {channel}")),
        Ok(Err(failure)) => anyhow::bail!("{channel} delivery failed: {}", failure.message),
        Err(_) => anyhow::bail!(
            "{channel} delivery timed out after {} ms",
            timeout.as_millis()
        ),
    }
}

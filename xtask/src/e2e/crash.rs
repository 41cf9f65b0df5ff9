//! Step 4: the alerter is killed with a notification pending during an SMTP
//! outage; once both are back, it is delivered once on each channel.

use std::time::Duration;

use anyhow::ensure;
use serde_json::json;

use super::STEP_TIMEOUT;
use super::alert_path::wait_email;
use super::observe::{self, eventually};
use crate::native::Running;

/// Kills the alerter with a notification stored but undelivered, then checks
/// the delivery count on each channel.
pub async fn nothing_lost_when_the_alerter_crashes(
    stack: &Running,
    client: &reqwest::Client,
) -> anyhow::Result<()> {
    let layout = stack.layout();
    tokio::task::block_in_place(|| stack.stop("mail-catcher"))?;
    let probe = "E2eOutageProbe";
    let alert = json!([{
        "labels": {"alertname": probe, "severity": "critical", "platform": "prod", "service": "e2e"},
        "annotations": {"summary": "delivered exactly once despite a crash", "runbook_url": "https://example.invalid/runbook"}
    }]);
    let response = client
        .post("http://127.0.0.1:9093/api/v2/alerts")
        .json(&alert)
        .send()
        .await?;
    ensure!(
        response.status().is_success(),
        "Alertmanager refused the probe alert: {}",
        response.status()
    );
    eventually(
        "the probe stored and waiting for SMTP",
        STEP_TIMEOUT,
        async || {
            let pending =
                observe::alerter_metric(client, "alerter_outbox_pending{channel=\"email\"}")
                    .await?;
            let matrix = observe::matrix_messages(layout)?;
            let posted = matrix.iter().any(|m| {
                m["content"]["body"]
                    .as_str()
                    .is_some_and(|b| b.contains(probe))
            });
            Ok((pending >= 1.0 && posted).then_some(()))
        },
    )
    .await?;
    tokio::task::block_in_place(|| -> anyhow::Result<()> {
        stack.kill("alerter")?;
        stack.start("mail-catcher")?;
        stack.start("alerter")
    })?;
    wait_email(layout, "FIRING", probe).await?;
    // Time for a duplicate to show up, if one were coming.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let emails = observe::emails(layout)?
        .into_iter()
        .filter(|e| e.subject.contains(probe))
        .count();
    let messages = observe::matrix_messages(layout)?
        .into_iter()
        .filter(|m| {
            m["content"]["body"]
                .as_str()
                .is_some_and(|b| b.contains(probe))
        })
        .count();
    ensure!(
        emails == 1 && messages == 1,
        "exactly once per channel, got {emails} e-mail(s) and {messages} Matrix message(s)"
    );
    println!(
        "e2e: step 4: alerter killed during an SMTP outage: 1 e-mail and 1 Matrix message after restart, as sent"
    );
    Ok(())
}

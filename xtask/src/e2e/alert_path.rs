//! Steps 2 and 3: a 5xx spike on the rubis queue only becomes HighErrorRate for
//! rubis in Prometheus and Alertmanager, then an e-mail and a Matrix message with
//! the right subject, labels and links; removing it sends RESOLVED to both.

use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

use anyhow::ensure;
use serde_json::Value;

use super::STEP_TIMEOUT;
use super::observe::{self, Email, eventually};
use crate::load::{self, Counters};
use crate::native::Layout;

/// Step 2 and 3: a 5xx spike on rubis only fires HighErrorRate for rubis, which
/// reaches the mailbox and the Matrix room; removing it sends RESOLVED to both.
pub async fn error_spike_is_delivered(
    layout: &Layout,
    client: &reqwest::Client,
    counters: &Counters,
    traffic_start: Instant,
) -> anyhow::Result<()> {
    load::set_rubis_errors(layout, 0.5, 600).await?;
    let spike_set = Instant::now();
    let first_5xx = eventually(
        "the first 5xx on rubis",
        Duration::from_secs(30),
        async || {
            let ms = counters.first_rubis_5xx_ms.load(Ordering::SeqCst);
            Ok((ms > 0).then(|| traffic_start + Duration::from_millis(ms)))
        },
    )
    .await?;

    eventually(
        "HighErrorRate firing for queue-rubis in Prometheus",
        STEP_TIMEOUT,
        async || {
            let alerts = observe::alerts(client, "HighErrorRate").await?;
            Ok(alerts
                .iter()
                .any(|a| a["labels"]["service"] == "queue-rubis" && a["state"] == "firing")
                .then_some(()))
        },
    )
    .await?;
    let fired = first_5xx.elapsed();
    for alert in observe::alerts(client, "HighErrorRate").await? {
        ensure!(
            alert["labels"]["service"] == "queue-rubis",
            "the other queues stay healthy, yet: {alert}"
        );
    }
    eventually("HighErrorRate in Alertmanager", STEP_TIMEOUT, async || {
        let routed = observe::alertmanager_alerts(client, "HighErrorRate").await?;
        Ok(routed
            .iter()
            .any(|a| a["labels"]["service"] == "queue-rubis")
            .then_some(()))
    })
    .await?;

    let email = wait_email(layout, "FIRING", "HighErrorRate").await?;
    let to_email = first_5xx.elapsed();
    check_email(&email, "FIRING")?;
    let message = wait_matrix(layout, "FIRING", "HighErrorRate").await?;
    let to_matrix = first_5xx.elapsed();
    check_matrix(&message)?;
    println!(
        "e2e: step 2: first 5xx {:.1?} after the spike was set; from the first 5xx: firing in Prometheus {fired:.1?}, \
         e-mail {to_email:.1?}, Matrix {to_matrix:.1?}",
        first_5xx.duration_since(spike_set.min(first_5xx))
    );

    load::set_rubis_errors(layout, 0.0, 1).await?;
    let healed = Instant::now();
    let resolved = wait_email(layout, "RESOLVED", "HighErrorRate").await?;
    let resolved_email = healed.elapsed();
    ensure!(
        resolved.text.contains("Ended:"),
        "the RESOLVED e-mail says when it ended:\n{}",
        resolved.text
    );
    wait_matrix(layout, "RESOLVED", "HighErrorRate").await?;
    println!(
        "e2e: step 3: fault removed; RESOLVED e-mail {resolved_email:.1?}, Matrix {:.1?} later \
         (the 1 m rate window must first forget the errors)",
        healed.elapsed()
    );
    Ok(())
}

pub async fn wait_email(layout: &Layout, status: &str, alertname: &str) -> anyhow::Result<Email> {
    let tag = format!("[{status}:");
    eventually(
        &format!("a {status} e-mail for {alertname}"),
        STEP_TIMEOUT,
        async || {
            Ok(observe::emails(layout)?
                .into_iter()
                .find(|email| email.subject.starts_with(&tag) && email.subject.contains(alertname)))
        },
    )
    .await
}

pub async fn wait_matrix(layout: &Layout, status: &str, alertname: &str) -> anyhow::Result<Value> {
    eventually(
        &format!("a {status} Matrix message for {alertname}"),
        STEP_TIMEOUT,
        async || {
            Ok(observe::matrix_messages(layout)?.into_iter().find(|event| {
                let body = event["content"]["body"].as_str().unwrap_or_default();
                body.contains(status) && body.contains(alertname)
            }))
        },
    )
    .await
}

fn check_email(email: &Email, status: &str) -> anyhow::Result<()> {
    ensure!(
        email.subject.contains("queue-rubis") && email.subject.contains("prod"),
        "subject: {}",
        email.subject
    );
    for expected in [
        "service = queue-rubis",
        "platform = prod",
        "severity = critical",
        "http://localhost:9090/",
        "docs/runbooks.md#higherrorrate",
        "http://localhost:9093/#/silences/new",
    ] {
        ensure!(
            email.text.contains(expected),
            "the {status} e-mail lacks `{expected}`:\n{}",
            email.text
        );
    }
    // The templates escape `/` in attributes too (`&#x2f;`), which browsers decode.
    let html = email.html.replace("&#x2f;", "/");
    ensure!(
        html.contains("<a href=\"http://localhost:9090/"),
        "the HTML part links to Prometheus:\n{}",
        email.html
    );
    Ok(())
}

fn check_matrix(message: &Value) -> anyhow::Result<()> {
    let content = &message["content"];
    ensure!(content["msgtype"] == "m.notice", "an m.notice: {message}");
    ensure!(
        content["format"] == "org.matrix.custom.html",
        "with an HTML body: {message}"
    );
    let html = content["formatted_body"].as_str().unwrap_or_default();
    ensure!(
        html.contains("queue-rubis") && html.contains("runbooks.md#higherrorrate"),
        "labels and links: {html}"
    );
    Ok(())
}

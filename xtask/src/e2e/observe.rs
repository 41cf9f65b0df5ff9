//! What the end-to-end test reads from the running stack: Prometheus targets,
//! alerts and queries, Alertmanager's alerts, the alerter's metrics, the e-mails
//! the SMTP catcher kept and the messages of the Matrix room.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use mail_parser::MessageParser;
use serde_json::Value;

use crate::native::{self, Layout};

/// Polls `probe` every 250 ms until it returns `Some`, at most `timeout`.
pub async fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last_error = Some(error),
        }
        if start.elapsed() > timeout {
            let reason = last_error
                .map(|error| format!(" (last error: {error:#})"))
                .unwrap_or_default();
            bail!("timed out after {timeout:?} waiting for {what}{reason}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A JSON GET.
pub async fn get_json(client: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("GET {url}: not JSON"))?;
    anyhow::ensure!(status.is_success(), "GET {url}: {status} {body}");
    Ok(body)
}

/// Prometheus's `/api/v1/<path>` data.
pub async fn prometheus(client: &reqwest::Client, path: &str) -> anyhow::Result<Value> {
    let body = get_json(client, &format!("http://127.0.0.1:9090/api/v1/{path}")).await?;
    Ok(body["data"].clone())
}

/// The result vector of an instant query.
pub async fn query(client: &reqwest::Client, expr: &str) -> anyhow::Result<Vec<Value>> {
    let url =
        reqwest::Url::parse_with_params("http://127.0.0.1:9090/api/v1/query", [("query", expr)])?;
    let body = get_json(client, url.as_str()).await?;
    Ok(body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Prometheus's alerts named `name`, with their labels and state.
pub async fn alerts(client: &reqwest::Client, name: &str) -> anyhow::Result<Vec<Value>> {
    let data = prometheus(client, "alerts").await?;
    Ok(data["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|alert| alert["labels"]["alertname"] == name)
        .cloned()
        .collect())
}

/// Alertmanager's active alerts named `name`.
pub async fn alertmanager_alerts(
    client: &reqwest::Client,
    name: &str,
) -> anyhow::Result<Vec<Value>> {
    let url = reqwest::Url::parse_with_params(
        "http://127.0.0.1:9093/api/v2/alerts",
        [("filter", format!("alertname=\"{name}\""))],
    )?;
    Ok(get_json(client, url.as_str())
        .await?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// A sample of the alerter's own metrics (`name{labels}` as written).
pub async fn alerter_metric(client: &reqwest::Client, series: &str) -> anyhow::Result<f64> {
    let text = client
        .get("http://127.0.0.1:9300/metrics")
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0))
}

/// An e-mail the SMTP catcher kept.
#[derive(Debug, Clone)]
pub struct Email {
    /// Decoded subject.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Every e-mail in the catcher's Maildir, oldest first.
pub fn emails(layout: &Layout) -> anyhow::Result<Vec<Email>> {
    let dir = layout.mail().join("new");
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.flatten().map(|entry| entry.path()).collect(),
        Err(_) => return Ok(Vec::new()),
    };
    // Maildir names start with the delivery time.
    files.sort();
    files.iter().map(|path| parse_email(path)).collect()
}

fn parse_email(path: &Path) -> anyhow::Result<Email> {
    let raw = std::fs::read(path)?;
    let message = MessageParser::default()
        .parse(&raw)
        .with_context(|| format!("unreadable e-mail {}", path.display()))?;
    Ok(Email {
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message
            .body_text(0)
            .map(|text| text.into_owned())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|html| html.into_owned())
            .unwrap_or_default(),
    })
}

/// The `m.room.message` events of the alerter's room, oldest first.
pub fn matrix_messages(layout: &Layout) -> anyhow::Result<Vec<Value>> {
    let room = native::matrix_room(layout)?;
    let token = std::fs::read_to_string(&room.token_file)?;
    let room_id: String =
        percent_encoding::utf8_percent_encode(&room.room_id, percent_encoding::NON_ALPHANUMERIC)
            .collect();
    let path = format!("/_matrix/client/v3/rooms/{room_id}/messages?dir=b&limit=1000");
    let (status, reply) = native::matrix_call("GET", &path, Some(token.trim()))?;
    anyhow::ensure!(status == 200, "reading the room failed ({status}): {reply}");
    let mut events: Vec<Value> = reply["chunk"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|event| event["type"] == "m.room.message")
        .cloned()
        .collect();
    events.reverse();
    Ok(events)
}

//! What templates see: the notification with times made readable, links checked
//! and counted, so that templates stay simple and cannot produce unsafe links.

use jiff::Timestamp;
use serde::Serialize;

use super::links::{self, LinkSettings};
use crate::payload::{Alert, KeyValues, Notification, Status};

/// The template context of one message (or one part of a split Matrix message).
#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    /// `firing` or `resolved`.
    pub status: &'static str,
    /// Alerts with the group's status (the `N` of `[FIRING:N]`).
    pub count: usize,
    /// Firing alerts in the group.
    pub firing: usize,
    /// Resolved alerts in the group.
    pub resolved: usize,
    /// The group's `alertname`, or `alerts` when it has none.
    pub alertname: String,
    /// The group's severity, when known.
    pub severity: Option<String>,
    /// The Alertmanager receiver.
    pub receiver: String,
    /// Labels the group is formed by.
    pub group_labels: KeyValues,
    /// Labels every alert has.
    pub common_labels: KeyValues,
    /// Annotations every alert has.
    pub common_annotations: KeyValues,
    /// Alerts left out by Alertmanager (`max_alerts`).
    pub truncated_alerts: u64,
    /// The alerts of this message.
    pub alerts: Vec<AlertView>,
    /// This part's number, from 1.
    pub part: usize,
    /// How many parts the notification was split into (1 for most).
    pub parts: usize,
}

/// One alert, ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    /// `firing` or `resolved`.
    pub status: &'static str,
    /// The alert's `alertname`.
    pub alertname: String,
    /// Every label, sorted by name.
    pub labels: KeyValues,
    /// Every annotation, sorted by name.
    pub annotations: KeyValues,
    /// Annotation `summary`.
    pub summary: Option<String>,
    /// Annotation `description`.
    pub description: Option<String>,
    /// Start time, `YYYY-MM-DD HH:MM:SS UTC`.
    pub starts_at: String,
    /// End time when the alert is resolved.
    pub ends_at: Option<String>,
    /// Link to the rule's expression.
    pub generator_url: Option<String>,
    /// Annotation `runbook_url`, when a web link.
    pub runbook_url: Option<String>,
    /// Annotation `dashboard_url` (or `dashboard`), when a web link.
    pub dashboard_url: Option<String>,
    /// Alertmanager silence link pre-filled with the alert's labels.
    pub silence_url: Option<String>,
    /// Alertmanager's fingerprint.
    pub fingerprint: String,
}

impl NotificationView {
    /// The view of `alerts` (a subset of `notification`'s when split).
    pub fn new(
        notification: &Notification,
        alerts: &[Alert],
        links: &LinkSettings,
        part: (usize, usize),
    ) -> Self {
        let alertname = notification
            .group_labels
            .get("alertname")
            .or_else(|| notification.common_labels.get("alertname"))
            .or_else(|| notification.alerts.first()?.labels.get("alertname"))
            .cloned()
            .unwrap_or_else(|| "alerts".to_owned());
        Self {
            status: notification.status.as_str(),
            count: notification.count(notification.status),
            firing: notification.count(Status::Firing),
            resolved: notification.count(Status::Resolved),
            alertname,
            severity: notification.severity(),
            receiver: notification.receiver.clone(),
            group_labels: notification.group_labels.clone(),
            common_labels: notification.common_labels.clone(),
            common_annotations: notification.common_annotations.clone(),
            truncated_alerts: notification.truncated_alerts,
            alerts: alerts
                .iter()
                .map(|alert| AlertView::new(alert, &notification.external_url, links))
                .collect(),
            part: part.0,
            parts: part.1,
        }
    }
}

impl AlertView {
    fn new(alert: &Alert, external_url: &str, links: &LinkSettings) -> Self {
        let annotation = |name: &str| alert.annotations.get(name).cloned();
        let link = |name: &str| {
            alert
                .annotations
                .get(name)
                .and_then(|url| links::safe_url(url))
        };
        Self {
            status: alert.status.as_str(),
            alertname: alert.labels.get("alertname").cloned().unwrap_or_default(),
            labels: alert.labels.clone(),
            annotations: alert.annotations.clone(),
            summary: annotation("summary"),
            description: annotation("description"),
            starts_at: display_time(&alert.starts_at).unwrap_or_else(|| alert.starts_at.clone()),
            ends_at: (alert.status == Status::Resolved)
                .then(|| display_time(&alert.ends_at))
                .flatten(),
            generator_url: links::generator_url(&alert.generator_url, links),
            runbook_url: link("runbook_url"),
            dashboard_url: link("dashboard_url").or_else(|| link("dashboard")),
            silence_url: links::silence_url(&alert.labels, external_url, links),
            fingerprint: alert.fingerprint.clone(),
        }
    }
}

/// `2026-11-21 22:30:58 UTC`; none for the zero time Alertmanager sends while firing.
fn display_time(raw: &str) -> Option<String> {
    let timestamp: Timestamp = raw.parse().ok()?;
    // Alertmanager's "no end" is year 1; nothing real happened before 1970.
    if timestamp <= Timestamp::UNIX_EPOCH {
        return None;
    }
    Some(timestamp.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zero_end_time_is_not_shown() {
        assert_eq!(display_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(
            display_time("2026-11-21T22:30:58.821009494Z").as_deref(),
            Some("2026-11-21 22:30:58 UTC")
        );
        assert_eq!(display_time("not a time"), None);
    }
}

//! The Alertmanager webhook payload (version 4), read leniently: unknown fields are
//! ignored, optional ones default, `endsAt` may be `0001-01-01T00:00:00Z` while an
//! alert fires, `generatorURL` may be empty. What cannot be delivered meaningfully
//! (no alerts, an unknown status) is refused with the reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Labels or annotations, sorted by name so that rendering and hashing are stable.
pub type KeyValues = BTreeMap<String, String>;

/// `firing` or `resolved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// At least one alert of the group fires.
    Firing,
    /// Every alert of the group is resolved.
    Resolved,
}

impl Status {
    /// `firing` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// One webhook: a group of alerts for one receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Payload version; Alertmanager sends `"4"`.
    #[serde(default)]
    pub version: Option<String>,
    /// The Alertmanager receiver name.
    #[serde(default)]
    pub receiver: String,
    /// Status of the group.
    pub status: Status,
    /// The alerts of the group.
    pub alerts: Vec<Alert>,
    /// Labels the group is formed by.
    #[serde(default)]
    pub group_labels: KeyValues,
    /// Labels every alert of the group has.
    #[serde(default)]
    pub common_labels: KeyValues,
    /// Annotations every alert of the group has.
    #[serde(default)]
    pub common_annotations: KeyValues,
    /// Alertmanager's own URL.
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    /// Identifies the group in Alertmanager.
    #[serde(default)]
    pub group_key: String,
    /// Alerts Alertmanager left out because of `max_alerts`.
    #[serde(default)]
    pub truncated_alerts: u64,
}

/// One alert of the group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// `firing` or `resolved`.
    pub status: Status,
    /// Identifying labels.
    #[serde(default)]
    pub labels: KeyValues,
    /// Annotations (`summary`, `description`, `runbook_url`, ...).
    #[serde(default)]
    pub annotations: KeyValues,
    /// RFC 3339 start time.
    #[serde(default)]
    pub starts_at: String,
    /// RFC 3339 end time; `0001-01-01T00:00:00Z` while firing.
    #[serde(default)]
    pub ends_at: String,
    /// Link to the rule's expression in Prometheus; may be empty.
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    /// Alertmanager's fingerprint of the labels; computed when missing.
    #[serde(default)]
    pub fingerprint: String,
}

/// Why a payload is refused (400): retrying the same body can never succeed.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON, or not the webhook's shape.
    #[error("malformed webhook payload: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A version other than 4.
    #[error("unsupported webhook payload version {0:?}: the alerter reads version \"4\"")]
    Version(String),
    /// Nothing to deliver.
    #[error("the webhook payload has no alerts")]
    NoAlerts,
}

impl Notification {
    /// Parses and checks a webhook body.
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        let mut notification: Self = serde_json::from_slice(body)?;
        if let Some(version) = &notification.version
            && version != "4"
        {
            return Err(PayloadError::Version(version.clone()));
        }
        if notification.alerts.is_empty() {
            return Err(PayloadError::NoAlerts);
        }
        for alert in &mut notification.alerts {
            if alert.fingerprint.is_empty() {
                alert.fingerprint = label_fingerprint(&alert.labels);
            }
        }
        Ok(notification)
    }

    /// What makes two webhooks the same notification: receiver, group key, status,
    /// and each alert's fingerprint, status and timestamps. Alertmanager re-sends
    /// exactly this after a failed or slow delivery.
    pub fn dedup_key(&self) -> String {
        let mut alerts: Vec<String> = self
            .alerts
            .iter()
            .map(|alert| {
                format!(
                    "{}\u{1f}{}\u{1f}{}\u{1f}{}",
                    alert.fingerprint,
                    alert.status.as_str(),
                    alert.starts_at,
                    alert.ends_at
                )
            })
            .collect();
        alerts.sort();
        let mut hasher = Sha256::new();
        for part in [&self.receiver, &self.group_key, self.status.as_str()] {
            hasher.update(part.as_bytes());
            hasher.update([0x1e]);
        }
        for alert in alerts {
            hasher.update(alert.as_bytes());
            hasher.update([0x1e]);
        }
        hex(&hasher.finalize())
    }

    /// Alerts with the given status.
    pub fn count(&self, status: Status) -> usize {
        self.alerts.iter().filter(|a| a.status == status).count()
    }

    /// The group's severity: the common label, else the most severe of its alerts.
    pub fn severity(&self) -> Option<String> {
        if let Some(severity) = self.common_labels.get("severity") {
            return Some(severity.clone());
        }
        self.alerts
            .iter()
            .filter_map(|alert| alert.labels.get("severity"))
            .max_by_key(|severity| severity_rank(severity))
            .cloned()
    }
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" | "page" => 4,
        "warning" => 3,
        "info" => 2,
        "none" => 1,
        _ => 0,
    }
}

/// A stable fingerprint of a label set, for senders that omit Alertmanager's.
fn label_fingerprint(labels: &KeyValues) -> String {
    let mut hasher = Sha256::new();
    for (name, value) in labels {
        hasher.update(name.as_bytes());
        hasher.update([0xff]);
        hasher.update(value.as_bytes());
        hasher.update([0xff]);
    }
    hex(&hasher.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../tests/fixtures/alertmanager-0.25-webhook.json");

    #[test]
    fn reads_a_real_alertmanager_body() {
        let notification = Notification::parse(FIXTURE.as_bytes()).unwrap();
        assert_eq!(notification.status, Status::Firing);
        assert_eq!(notification.alerts.len(), 1);
        let alert = &notification.alerts[0];
        assert_eq!(alert.ends_at, "0001-01-01T00:00:00Z");
        assert_eq!(alert.generator_url, "");
        assert_eq!(alert.fingerprint, "1f1b0530cfb6ce85");
        assert_eq!(notification.truncated_alerts, 0);
        assert_eq!(notification.severity().as_deref(), Some("page"));
    }

    #[test]
    fn refuses_what_can_never_be_delivered() {
        let no_alerts = r#"{"status":"firing","alerts":[]}"#;
        assert!(matches!(
            Notification::parse(no_alerts.as_bytes()),
            Err(PayloadError::NoAlerts)
        ));
        let version = r#"{"version":"3","status":"firing","alerts":[{"status":"firing"}]}"#;
        assert!(matches!(
            Notification::parse(version.as_bytes()),
            Err(PayloadError::Version(_))
        ));
        let status = r#"{"status":"burning","alerts":[]}"#;
        let error = Notification::parse(status.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("unknown variant"), "{error}");
    }

    #[test]
    fn dedup_key_ignores_order_and_unrelated_fields_but_not_timestamps() {
        let base = Notification::parse(FIXTURE.as_bytes()).unwrap();
        let mut reordered = base.clone();
        reordered.common_annotations.insert("x".into(), "y".into());
        assert_eq!(base.dedup_key(), reordered.dedup_key());
        let mut later = base.clone();
        later.alerts[0].starts_at = "2026-11-21T22:40:00Z".into();
        assert_ne!(base.dedup_key(), later.dedup_key());
        let mut resolved = base.clone();
        resolved.status = Status::Resolved;
        assert_ne!(base.dedup_key(), resolved.dedup_key());
    }

    #[test]
    fn a_missing_fingerprint_is_computed_from_the_labels() {
        let body = r#"{"status":"firing","alerts":[{"status":"firing","labels":{"a":"1"}}]}"#;
        let notification = Notification::parse(body.as_bytes()).unwrap();
        assert_eq!(notification.alerts[0].fingerprint.len(), 16);
    }
}

//! Rendering: escaping, header safety, links, splitting, overrides.

use super::*;
use crate::payload::Notification;

fn notification(alerts: usize, description: &str) -> Notification {
    let alerts: Vec<serde_json::Value> = (0..alerts)
        .map(|i| {
            serde_json::json!({
                "status": "firing",
                "labels": {"alertname": "HighErrorRate", "instance": format!("i{i}"), "severity": "critical",
                           "platform": "prod", "queue": "rubis"},
                "annotations": {"summary": "errors", "description": description,
                                "runbook_url": "https://runbooks.example/x#high"},
                "startsAt": "2026-11-21T22:30:58Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
                "fingerprint": format!("{i:016x}"),
            })
        })
        .collect();
    let body = serde_json::json!({
        "version": "4", "status": "firing", "receiver": "alerter", "alerts": alerts,
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "platform": "prod", "queue": "rubis"},
        "externalURL": "http://alertmanager:9093", "groupKey": "g",
    });
    Notification::parse(body.to_string().as_bytes()).unwrap()
}

fn renderer() -> Renderer {
    Renderer::load(None, LinkSettings::default()).unwrap()
}

#[test]
fn subject_follows_the_house_format() {
    let email = renderer().email(&notification(2, "d")).unwrap();
    assert_eq!(
        email.subject,
        "[FIRING:2] HighErrorRate · queue rubis · prod"
    );
}

#[test]
fn labels_are_escaped_in_html_and_cannot_break_headers() {
    let mut evil = notification(1, "<script>alert(1)</script>");
    evil.alerts[0]
        .labels
        .insert("service".into(), "<img src=x onerror=alert(1)>".into());
    evil.common_labels
        .insert("platform".into(), "prod\r\nBcc: victim@example.org".into());
    let email = renderer().email(&evil).unwrap();
    assert!(!email.html.contains("<script>"), "{}", email.html);
    assert!(!email.html.contains("<img"), "{}", email.html);
    assert!(email.html.contains("&lt;script&gt;"));
    assert!(
        email.text.contains("<script>alert(1)</script>"),
        "text is text"
    );
    assert!(!email.subject.contains('\r') && !email.subject.contains('\n'));
    assert!(
        email.subject.ends_with("prod Bcc: victim@example.org"),
        "{}",
        email.subject
    );
    let matrix = renderer().matrix(&evil).unwrap();
    assert!(!matrix[0].formatted_body.contains("<script>"));
    assert!(!matrix[0].formatted_body.contains("<img"));
}

#[test]
fn links_are_rendered_and_unsafe_ones_dropped() {
    let mut notification = notification(1, "d");
    notification.alerts[0]
        .annotations
        .insert("dashboard_url".into(), "javascript:alert(1)".into());
    let email = renderer().email(&notification).unwrap();
    assert!(
        email
            .text
            .contains("Runbook: https://runbooks.example/x#high")
    );
    assert!(
        email
            .text
            .contains("Source: http://prometheus:9090/graph?g0.expr=up")
    );
    assert!(
        email
            .text
            .contains("Silence: http://alertmanager:9093/#/silences/new?filter=")
    );
    assert!(!email.text.contains("Dashboard:"));
    assert!(!email.html.contains("javascript:"));
    assert!(
        email
            .html
            .contains("<a href=\"https:&#x2f;&#x2f;runbooks.example&#x2f;x#high\">Runbook</a>"),
        "{}",
        email.html
    );
}

#[test]
fn large_groups_are_split_into_events_that_fit() {
    let big = notification(300, &"x".repeat(600));
    let parts = renderer().matrix(&big).unwrap();
    assert!(parts.len() > 1, "{} part(s)", parts.len());
    for (index, part) in parts.iter().enumerate() {
        assert!(split::fits_for_test(part), "part {index} is too large");
        assert!(
            part.body
                .contains(&format!("[part {}/{}]", index + 1, parts.len()))
        );
    }
    let shown: usize = parts
        .iter()
        .map(|part| part.body.matches("[FIRING] HighErrorRate").count())
        .sum();
    assert_eq!(shown, 300, "every alert is in exactly one part");

    let huge = notification(1, &"y".repeat(200_000));
    let parts = renderer().matrix(&huge).unwrap();
    assert_eq!(parts.len(), 1);
    assert!(split::fits_for_test(&parts[0]));
    assert!(parts[0].body.contains("(cut)"));
}

#[test]
fn templates_can_be_overridden_by_file_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("email_subject.txt"),
        "ALERT {{ alertname }} {{ count }}",
    )
    .unwrap();
    let renderer = Renderer::load(Some(dir.path()), LinkSettings::default()).unwrap();
    let email = renderer.email(&notification(3, "d")).unwrap();
    assert_eq!(email.subject, "ALERT HighErrorRate 3");
    assert!(
        email.text.contains("FIRING: HighErrorRate"),
        "other templates keep their default"
    );

    std::fs::write(dir.path().join("matrix.html"), "{% if %}").unwrap();
    let error = Renderer::load(Some(dir.path()), LinkSettings::default()).unwrap_err();
    assert!(
        format!("{error:#}").contains("matrix.html does not compile"),
        "{error:#}"
    );
}

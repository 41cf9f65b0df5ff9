//! E-mail against a real SMTP server (aiosmtpd): firing and resolved messages
//! with the expected subject, text and HTML parts and links, and hostile labels
//! rendered harmlessly.

use std::time::Duration;

use serde_json::json;
use testkit::SmtpServer;

use crate::helpers::{alert, group, spawn_app, test_config, with_email};
use crate::mime::Email;

fn hostile(status: &str) -> serde_json::Value {
    let labels = json!({
        "alertname": "HighErrorRate", "severity": "critical",
        "platform": "prod\r\nBcc: attacker@evil.test", "service": "<script>alert('svc')</script>",
        "queue": "rubis", "instance": "queue-rubis:9464",
    });
    let annotations = json!({
        "summary": "Error ratio above 5% on <b>rubis</b>",
        "description": "<script>document.location='https://evil.test'</script>",
        "runbook_url": "https://vigie.test/runbooks#higherrorrate",
        "dashboard_url": "https://grafana.vigie.test/d/queue?var-queue=rubis",
    });
    group(
        status,
        "HighErrorRate",
        vec![alert(status, labels, annotations)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firing_and_resolved_arrive_as_the_expected_messages() {
    let smtp = SmtpServer::start();
    let (mut config, dir) = test_config();
    with_email(&mut config, &smtp);
    config.alertmanager_url = Some("https://alertmanager.vigie.test".to_owned());
    let app = spawn_app(config, dir).await;

    assert_eq!(app.post_webhook(&hostile("firing")).await.status(), 200);
    let raw = tokio::task::block_in_place(|| smtp.wait_for_messages(1, Duration::from_secs(20)));
    assert_eq!(app.post_webhook(&hostile("resolved")).await.status(), 200);
    let raw = tokio::task::block_in_place(|| {
        let _ = raw;
        smtp.wait_for_messages(2, Duration::from_secs(20))
    });
    let firing = Email::parse(&raw[0]);
    let resolved = Email::parse(&raw[1]);

    // Header injection: the CRLF became a space inside the subject; no header was added.
    assert_eq!(
        firing.subject,
        "[FIRING:1] HighErrorRate · queue rubis · prod Bcc: attacker@evil.test"
    );
    assert!(firing.header("bcc").is_none(), "{:?}", firing.headers);
    assert_eq!(
        firing.header("to").as_deref(),
        Some("ops@vigie.test, oncall@vigie.test")
    );
    assert!(
        firing
            .header("from")
            .is_some_and(|from| from.contains("alerts@vigie.test"))
    );
    assert!(
        firing
            .header("message-id")
            .is_some_and(|id| id.starts_with("<alerter."))
    );
    assert!(
        firing
            .header("content-type")
            .is_some_and(|t| t.starts_with("multipart/alternative")),
        "{:?}",
        firing.headers
    );

    // The text part: status, severity, labels, summary, description, times, links.
    let text = &firing.text;
    for expected in [
        "FIRING: HighErrorRate (1 firing, 0 resolved, severity critical)",
        "Summary: Error ratio above 5% on <b>rubis</b>",
        "queue = rubis",
        "service = <script>alert('svc')</script>",
        "Started: 2026-11-21 22:30:58 UTC",
        "Source: http://prometheus:9090/graph?g0.expr=rate%28errors%5B5m%5D%29",
        "Runbook: https://vigie.test/runbooks#higherrorrate",
        "Dashboard: https://grafana.vigie.test/d/queue?var-queue=rubis",
        "Silence: https://alertmanager.vigie.test/#/silences/new?filter=%7Balertname%3D%22HighErrorRate%22",
    ] {
        assert!(
            text.contains(expected),
            "text part lacks {expected:?}:\n{text}"
        );
    }
    assert!(!text.contains("Ended:"), "a firing alert has no end");

    // The HTML part: every label and annotation escaped, links present.
    let html = &firing.html;
    assert!(
        !html.contains("<script") && !html.contains("<b>rubis"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(&#x27;svc&#x27;)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("Error ratio above 5% on &lt;b&gt;rubis&lt;&#x2f;b&gt;"),
        "{html}"
    );
    for link in ["Runbook</a>", "Dashboard</a>", "Silence</a>", "Source</a>"] {
        assert!(html.contains(link), "HTML part lacks {link}:\n{html}");
    }

    assert_eq!(
        resolved.subject,
        "[RESOLVED:1] HighErrorRate · queue rubis · prod Bcc: attacker@evil.test"
    );
    assert!(
        resolved
            .text
            .contains("RESOLVED: HighErrorRate (0 firing, 1 resolved"),
        "{}",
        resolved.text
    );
    assert!(
        resolved.text.contains("Ended: 2026-11-21 22:45:03 UTC"),
        "{}",
        resolved.text
    );
    assert!(resolved.html.contains("Ended: 2026-11-21 22:45:03 UTC"));
    assert_ne!(firing.header("message-id"), resolved.header("message-id"));
    app.stop().await;
}

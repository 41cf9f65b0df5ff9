//! Bad input: every refusal has the right status and a JSON reason, is counted,
//! and stores nothing.

use serde_json::Value;
use testkit::SmtpServer;
use testkit::exposition::{find, parse};

use crate::helpers::{TOKEN, high_error_rate, spawn_app, test_config, with_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_store_nothing_and_say_why() {
    let smtp = SmtpServer::start();
    let (mut config, dir) = test_config();
    with_email(&mut config, &smtp);
    config.max_body_bytes = 4096;
    let app = spawn_app(config, dir).await;
    let valid = high_error_rate("firing", &["a"]).to_string();
    let url = app.url("/webhook");
    let send = |token: Option<&str>, content_type: Option<&str>, body: String| {
        let mut request = app.client.post(&url).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        async move {
            let response = request.send().await.expect("sent");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("a JSON error body");
            (
                status,
                body["error"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    let json = Some("application/json");

    let (status, error) = send(None, json, valid.clone()).await;
    assert_eq!(
        (status, error.contains("missing token")),
        (401, true),
        "{error}"
    );
    let (status, error) = send(Some("wrong-token-0123456789abcdef"), json, valid.clone()).await;
    assert_eq!((status, error.as_str()), (401, "invalid token"));
    let (status, error) = send(Some(TOKEN), json, "{\"status\": \"firing\", ".to_owned()).await;
    assert_eq!(status, 400);
    assert!(
        error.contains("malformed webhook payload") && error.contains("line 1"),
        "{error}"
    );
    let (status, error) = send(
        Some(TOKEN),
        json,
        r#"{"status":"firing","alerts":[]}"#.to_owned(),
    )
    .await;
    assert_eq!(
        (status, error.as_str()),
        (400, "the webhook payload has no alerts")
    );
    let (status, error) = send(Some(TOKEN), json, r#"{"status":"firing"}"#.to_owned()).await;
    assert!(
        status == 400 && error.contains("missing field `alerts`"),
        "{status} {error}"
    );
    let oversized = high_error_rate("firing", &["x".repeat(5000).as_str()]).to_string();
    let (status, error) = send(Some(TOKEN), json, oversized).await;
    assert_eq!(
        (status, error.as_str()),
        (413, "the webhook body is larger than 4096 bytes")
    );
    let (status, error) = send(Some(TOKEN), Some("text/plain"), valid.clone()).await;
    assert_eq!(status, 415, "{error}");
    let (status, _) = send(Some(TOKEN), None, valid.clone()).await;
    assert_eq!(status, 415);

    assert_eq!(
        app.outbox.notification_count().await.unwrap(),
        0,
        "nothing stored"
    );
    let samples = parse(&app.scrape().await);
    let count = |outcome: &str| {
        find(
            &samples,
            "alerter_webhooks_received_total",
            &[("outcome", outcome)],
        )
        .first()
        .map_or(-1.0, |sample| sample.value)
    };
    assert_eq!(
        [
            count("unauthorized"),
            count("bad_request"),
            count("too_large"),
            count("unsupported_media_type"),
            count("stored")
        ],
        [2.0, 3.0, 1.0, 2.0, 0.0]
    );

    // The same valid body, properly sent, is stored: nothing above was a false refusal.
    let (status, _) = send(Some(TOKEN), Some("application/json; charset=utf-8"), valid).await;
    assert_eq!(status, 200);
    assert_eq!(app.outbox.notification_count().await.unwrap(), 1);
    app.stop().await;
}

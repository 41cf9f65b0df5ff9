//! The scrape: promtool-clean, with every contract metric and its labels, and the
//! outbox gauges read from the database.

use std::time::Duration;

use testkit::SmtpServer;
use testkit::exposition::{find, parse};

use crate::helpers::{high_error_rate, spawn_app, test_config, with_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_is_clean_and_complete() {
    let mut smtp = SmtpServer::start();
    let (mut config, dir) = test_config();
    with_email(&mut config, &smtp);
    let app = spawn_app(config, dir).await;
    app.post_webhook(&high_error_rate("firing", &["a"])).await;
    app.wait_for_state("email", "delivered", 1, Duration::from_secs(20))
        .await;

    // A second one stays pending while the SMTP server is down.
    tokio::task::block_in_place(|| smtp.stop());
    app.post_webhook(&high_error_rate("resolved", &["a"])).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let text = app.scrape().await;
    if let Err(report) = testkit::check_metrics(&text) {
        panic!("promtool check metrics is not clean:\n{report}\n--- scrape ---\n{text}");
    }
    let samples = parse(&text);
    let value = |name: &str, labels: &[(&str, &str)]| {
        let found = find(&samples, name, labels);
        assert_eq!(found.len(), 1, "{name} {labels:?} in:\n{text}");
        found[0].value
    };
    assert_eq!(
        value("alerter_webhooks_received_total", &[("outcome", "stored")]),
        2.0
    );
    assert_eq!(
        value(
            "alerter_notifications_total",
            &[("channel", "email"), ("outcome", "delivered")]
        ),
        1.0
    );
    assert!(
        value(
            "alerter_notifications_total",
            &[("channel", "email"), ("outcome", "failed")]
        ) >= 1.0
    );
    assert_eq!(
        value(
            "alerter_notifications_total",
            &[("channel", "email"), ("outcome", "dead_letter")]
        ),
        0.0
    );
    assert!(
        value(
            "alerter_delivery_duration_seconds_count",
            &[("channel", "email")]
        ) >= 2.0
    );
    assert_eq!(
        value("alerter_outbox_pending", &[("channel", "email")]),
        1.0
    );
    let oldest = value(
        "alerter_outbox_oldest_pending_seconds",
        &[("channel", "email")],
    );
    assert!((1.0..30.0).contains(&oldest), "{oldest}");
    assert_eq!(value("vigie_build_info", &[("app", "alerter")]), 1.0);
    assert!(
        !find(
            &samples,
            "http_server_request_duration_seconds_bucket",
            &[("http_route", "/webhook")]
        )
        .is_empty()
    );
    assert!(text.contains("# HELP alerter_outbox_pending "));

    // Delivered once the server is back; the gauges follow.
    tokio::task::block_in_place(|| smtp.restart());
    app.wait_for_state("email", "delivered", 2, Duration::from_secs(20))
        .await;
    let samples = parse(&app.scrape().await);
    let pending = find(&samples, "alerter_outbox_pending", &[("channel", "email")]);
    assert_eq!(pending[0].value, 0.0);
    app.stop().await;
}

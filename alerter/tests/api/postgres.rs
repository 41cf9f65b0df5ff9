//! The outbox on PostgreSQL: same behaviour as SQLite (store, dedup, deliver), and
//! 503 while the database is unreachable, so that Alertmanager retries.

use std::time::Duration;

use testkit::{SmtpServer, TcpProxy, TestDatabase};

use crate::helpers::{TOKEN, high_error_rate, spawn_app_with, with_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_works_on_postgres() {
    let database = tokio::task::block_in_place(TestDatabase::create);
    let smtp = SmtpServer::start();
    let mut config = alerter::Config::for_test(&database.url(), TOKEN);
    with_email(&mut config, &smtp);
    let app = spawn_app_with(config).await;
    let firing = high_error_rate("firing", &["a"]);
    let mut replies = Vec::new();
    for body in [&firing, &firing, &high_error_rate("resolved", &["a"])] {
        let reply: serde_json::Value = app.post_webhook(body).await.json().await.unwrap();
        replies.push(reply["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(replies, ["stored", "duplicate", "stored"]);
    app.wait_for_state("email", "delivered", 2, Duration::from_secs(20))
        .await;
    assert_eq!(smtp.wait_for_messages(2, Duration::from_secs(5)).len(), 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_get_503_while_the_database_is_down_and_nothing_is_lost() {
    let database = tokio::task::block_in_place(TestDatabase::create);
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], database.port()));
    let mut proxy = tokio::task::block_in_place(|| TcpProxy::start(target));
    let smtp = SmtpServer::start();
    let mut config = alerter::Config::for_test(&database.url_via("127.0.0.1", proxy.port()), TOKEN);
    with_email(&mut config, &smtp);
    let app = spawn_app_with(config).await;
    assert_eq!(
        app.post_webhook(&high_error_rate("firing", &["a"]))
            .await
            .status(),
        200
    );

    tokio::task::block_in_place(|| proxy.stop());
    let refused = app.post_webhook(&high_error_rate("firing", &["b"])).await;
    assert_eq!(refused.status(), 503, "Alertmanager will retry");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("retry"), "{body}");

    // Alertmanager's retry, once the database is back, is stored and delivered.
    tokio::task::block_in_place(|| proxy.resume());
    let start = std::time::Instant::now();
    loop {
        let status = app
            .post_webhook(&high_error_rate("firing", &["b"]))
            .await
            .status();
        if status == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still {status} after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.wait_for_state("email", "delivered", 2, Duration::from_secs(20))
        .await;
    assert_eq!(app.outbox.notification_count().await.unwrap(), 2);
    app.stop().await;
}

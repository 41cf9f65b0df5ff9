//! Idempotency: Alertmanager's re-sends are acknowledged and not delivered again;
//! reminders after the dedup window are.

use std::time::Duration;

use crate::helpers::{
    high_error_rate, spawn_app, synapse_room, test_config, with_email, with_matrix,
};
use testkit::SmtpServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_webhook_five_times_yields_one_message_per_channel() {
    let smtp = SmtpServer::start();
    let (synapse, user, room) = tokio::task::block_in_place(synapse_room);
    let (mut config, dir) = test_config();
    with_email(&mut config, &smtp);
    with_matrix(&mut config, &synapse.url(), &user, &room);
    let app = spawn_app(config, dir).await;

    let body = high_error_rate("firing", &["a", "b"]);
    let mut statuses = Vec::new();
    let mut replies = Vec::new();
    for _ in 0..5 {
        let response = app.post_webhook(&body).await;
        statuses.push(response.status().as_u16());
        let reply: serde_json::Value = response.json().await.unwrap();
        replies.push(reply["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(statuses, [200; 5], "every copy is acknowledged");
    assert_eq!(
        replies,
        ["stored", "duplicate", "duplicate", "duplicate", "duplicate"]
    );

    app.wait_for_state("email", "delivered", 1, Duration::from_secs(20))
        .await;
    app.wait_for_state("matrix", "delivered", 1, Duration::from_secs(20))
        .await;
    // Give a wrongly queued copy every chance to show up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1);
    let events = tokio::task::block_in_place(|| synapse.messages(&user, &room));
    assert_eq!(events.len(), 1, "{events:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_after_the_window_is_delivered_but_a_changed_group_is_new_at_once() {
    let smtp = SmtpServer::start();
    let (mut config, dir) = test_config();
    with_email(&mut config, &smtp);
    config.dedup_window_seconds = 1;
    let app = spawn_app(config, dir).await;
    let firing = high_error_rate("firing", &["a"]);
    let status = |response: reqwest::Response| async move {
        let reply: serde_json::Value = response.json().await.unwrap();
        reply["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status(app.post_webhook(&firing).await).await, "stored");
    assert_eq!(status(app.post_webhook(&firing).await).await, "duplicate");
    // Same group, one more alert: a different notification.
    let grown = high_error_rate("firing", &["a", "b"]);
    assert_eq!(status(app.post_webhook(&grown).await).await, "stored");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        status(app.post_webhook(&firing).await).await,
        "stored",
        "a reminder"
    );
    app.wait_for_state("email", "delivered", 3, Duration::from_secs(20))
        .await;
    assert_eq!(smtp.wait_for_messages(3, Duration::from_secs(5)).len(), 3);
    app.stop().await;
}

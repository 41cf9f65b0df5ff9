//! Failure injection on the Matrix channel: rate limits honoured, server errors
//! backed off, hangs timed out, lost responses retried without a second event,
//! and deliveries failing past the maximum age turned into visible dead letters,
//! while e-mail goes on undisturbed.

use std::time::Duration;

use testkit::SmtpServer;
use testkit::exposition::{find, parse};

use crate::helpers::{
    TestApp, high_error_rate, spawn_app, synapse_room, test_config, with_email, with_matrix,
};
use crate::mock_matrix::{Behaviour, MockMatrix, gaps};

async fn app_with_mock(mock: &MockMatrix, configure: impl FnOnce(&mut alerter::Config)) -> TestApp {
    let (mut config, dir) = test_config();
    config.matrix_homeserver = Some(mock.url());
    config.matrix_access_token = Some("syt_mock_token".to_owned().into());
    config.matrix_room_id = Some("!room:localhost".to_owned());
    config.retry_initial_ms = 50;
    configure(&mut config);
    spawn_app(config, dir).await
}

fn counter(samples: &[testkit::exposition::Sample], channel: &str, outcome: &str) -> f64 {
    find(
        samples,
        "alerter_notifications_total",
        &[("channel", channel), ("outcome", outcome)],
    )
    .first()
    .map_or(-1.0, |sample| sample.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_honoured_from_the_body_and_the_header() {
    let mock = MockMatrix::start(
        vec![
            Behaviour::RateLimited {
                retry_after_ms: Some(1500),
                header_seconds: None,
            },
            Behaviour::RateLimited {
                retry_after_ms: None,
                header_seconds: Some(2),
            },
        ],
        None,
    )
    .await;
    let app = app_with_mock(&mock, |_| {}).await;
    assert_eq!(
        app.post_webhook(&high_error_rate("firing", &["a"]))
            .await
            .status(),
        200
    );
    let seen = mock.wait_for_requests(3, Duration::from_secs(20)).await;
    app.wait_for_state("matrix", "delivered", 1, Duration::from_secs(5))
        .await;
    let gaps = gaps(&seen);
    assert!(
        gaps[0] >= Duration::from_millis(1500),
        "retry_after_ms honoured: {gaps:?}"
    );
    assert!(
        gaps[1] >= Duration::from_secs(2),
        "Retry-After honoured: {gaps:?}"
    );
    assert!(
        gaps.iter().all(|gap| *gap < Duration::from_secs(5)),
        "and not much more: {gaps:?}"
    );
    assert!(
        seen.iter().all(|s| s.txn_id == seen[0].txn_id),
        "one transaction id: {seen:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_back_off_exponentially() {
    let script = vec![Behaviour::ServerError; 4];
    let mock = MockMatrix::start(script, None).await;
    let app = app_with_mock(&mock, |config| config.retry_initial_ms = 200).await;
    assert_eq!(
        app.post_webhook(&high_error_rate("firing", &["a"]))
            .await
            .status(),
        200
    );
    let seen = mock.wait_for_requests(5, Duration::from_secs(20)).await;
    app.wait_for_state("matrix", "delivered", 1, Duration::from_secs(5))
        .await;
    let gaps = gaps(&seen);
    // Equal jitter: at least half of 200, 400, 800, 1600 ms.
    for (index, gap) in gaps.iter().enumerate() {
        let floor = Duration::from_millis(100 << index);
        assert!(
            *gap >= floor,
            "gap {index} is {gap:?}, below {floor:?}: {gaps:?}"
        );
    }
    assert!(gaps[3] > gaps[0], "the delay grows: {gaps:?}");
    let samples = parse(&app.scrape().await);
    assert_eq!(counter(&samples, "matrix", "failed"), 4.0);
    assert_eq!(counter(&samples, "matrix", "delivered"), 1.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_times_out_and_is_retried() {
    let mock = MockMatrix::start(vec![Behaviour::Hang], None).await;
    let app = app_with_mock(&mock, |config| config.send_timeout_ms = 500).await;
    assert_eq!(
        app.post_webhook(&high_error_rate("firing", &["a"]))
            .await
            .status(),
        200
    );
    let seen = mock.wait_for_requests(2, Duration::from_secs(20)).await;
    app.wait_for_state("matrix", "delivered", 1, Duration::from_secs(5))
        .await;
    assert!(
        gaps(&seen)[0] >= Duration::from_millis(500),
        "{:?}",
        gaps(&seen)
    );
    let samples = parse(&app.scrape().await);
    assert_eq!(counter(&samples, "matrix", "failed"), 1.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_lost_response_posts_one_event() {
    let (synapse, user, room) = tokio::task::block_in_place(synapse_room);
    let mock = MockMatrix::start(vec![Behaviour::ForwardThenHang], Some(synapse.url())).await;
    let (mut config, dir) = test_config();
    with_matrix(&mut config, &mock.url(), &user, &room);
    config.send_timeout_ms = 1000;
    config.retry_initial_ms = 50;
    let app = spawn_app(config, dir).await;
    assert_eq!(
        app.post_webhook(&high_error_rate("firing", &["a"]))
            .await
            .status(),
        200
    );
    let seen = mock.wait_for_requests(2, Duration::from_secs(20)).await;
    app.wait_for_state("matrix", "delivered", 1, Duration::from_secs(10))
        .await;
    assert_eq!(
        seen[0].txn_id, seen[1].txn_id,
        "the retry reuses the transaction id"
    );
    let events = tokio::task::block_in_place(|| synapse.messages(&user, &room));
    assert_eq!(
        events.len(),
        1,
        "Synapse posted the event once: {events:#?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_failing_past_the_max_age_become_visible_dead_letters() {
    let smtp = SmtpServer::start();
    let mock = MockMatrix::start(Vec::new(), None).await;
    mock.set_fallback(Behaviour::ServerError);
    let app = app_with_mock(&mock, |config| {
        with_email(config, &smtp);
        config.max_age_seconds = 1;
        config.retry_initial_ms = 200;
    })
    .await;
    assert_eq!(
        app.post_webhook(&high_error_rate("firing", &["a"]))
            .await
            .status(),
        200
    );

    // E-mail does not wait for Matrix.
    app.wait_for_state("email", "delivered", 1, Duration::from_secs(5))
        .await;
    app.wait_for_state("matrix", "dead", 1, Duration::from_secs(20))
        .await;
    let letters = app.outbox.dead_letters().await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].channel, "matrix");
    assert_eq!(letters[0].alertnames, ["HighErrorRate"]);
    assert!(
        letters[0].last_error.as_deref().unwrap().contains("500"),
        "{letters:?}"
    );
    let samples = parse(&app.scrape().await);
    assert_eq!(counter(&samples, "matrix", "dead_letter"), 1.0);
    assert!(counter(&samples, "matrix", "failed") >= 1.0);

    // Replayed once the homeserver is back: delivered, and e-mail is not sent again.
    mock.set_fallback(Behaviour::Ok);
    assert_eq!(app.outbox.replay_dead_letters(None).await.unwrap(), 1);
    app.wait_for_state("matrix", "delivered", 1, Duration::from_secs(10))
        .await;
    assert_eq!(smtp.messages().len(), 1);
    app.stop().await;
}

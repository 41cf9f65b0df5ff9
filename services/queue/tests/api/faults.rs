//! Redis down (killed) or hung (SIGSTOP): ticket routes answer 503 JSON within
//! the configured timeouts, and the same process recovers when Redis returns.
//!
//! The bounds are loose on purpose: they prove that nothing hangs, not how fast
//! the service fails (that is the benchmark's business).

use std::time::{Duration, Instant};

use testkit::RedisServer;

use crate::helpers::{TestApp, json, spawn_app_with, test_config};

/// Connect plus response timeout, as configured below.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// A generous margin for a loaded CI machine.
const MARGIN: Duration = Duration::from_millis(1_500);

async fn app_with_short_timeouts(redis: &RedisServer) -> TestApp {
    let mut config = test_config(redis);
    config.redis_connect_timeout_ms = 250;
    config.redis_response_timeout_ms = 250;
    spawn_app_with(config).await
}

/// Every ticket route, several times and concurrently: 503 JSON, within the bound.
async fn assert_unavailable_quickly(app: &TestApp) {
    let mut requests = tokio::task::JoinSet::new();
    for round in 0..4 {
        for (method, path) in [
            ("POST", "/get_ticket"),
            ("POST", "/call_ticket"),
            ("GET", "/list_tickets"),
        ] {
            let request = app
                .client
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                    app.url(path),
                )
                .bearer_auth(crate::helpers::API_KEY);
            requests.spawn(async move {
                let start = Instant::now();
                let (status, body) = json(request.send().await.expect("sent")).await;
                (round, path, status, body, start.elapsed())
            });
        }
    }
    while let Some(result) = requests.join_next().await {
        let (round, path, status, body, elapsed) = result.expect("request task");
        assert_eq!(status, 503, "round {round} {path}: {body}");
        assert!(
            body["error"]
                .as_str()
                .expect("error")
                .starts_with("redis is unavailable"),
            "{body}"
        );
        assert!(
            elapsed < REDIS_TIMEOUT + MARGIN,
            "round {round} {path} took {elapsed:?}"
        );
    }
    let (status, health) = json(app.get_anonymous("/healthcheck").await).await;
    assert_eq!(status, 503);
    assert_eq!(health["checks"]["redis"]["status"], "down");
    assert_eq!(
        app.get_anonymous("/livez").await.status(),
        200,
        "liveness ignores Redis"
    );
}

/// Polls until a ticket can be issued again; returns how long it took.
async fn wait_for_recovery(app: &TestApp) -> Duration {
    let start = Instant::now();
    loop {
        if app.post("/get_ticket").await.status() == 201 {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no recovery within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_then_restarted() {
    let mut redis = RedisServer::start();
    let app = app_with_short_timeouts(&redis).await;
    assert_eq!(app.post("/get_ticket").await.status(), 201);

    redis.kill();
    assert_unavailable_quickly(&app).await;

    tokio::task::block_in_place(|| redis.restart());
    let recovery = wait_for_recovery(&app).await;
    println!("recovered {recovery:?} after Redis restarted");
    assert_eq!(app.get_anonymous("/healthcheck").await.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_hung_then_resumed() {
    let redis = RedisServer::start();
    let app = app_with_short_timeouts(&redis).await;
    assert_eq!(app.post("/get_ticket").await.status(), 201);

    redis.pause();
    assert_unavailable_quickly(&app).await;

    redis.resume();
    let recovery = wait_for_recovery(&app).await;
    println!("recovered {recovery:?} after Redis resumed");
    assert_eq!(app.get_anonymous("/healthcheck").await.status(), 200);
    app.stop().await;
}

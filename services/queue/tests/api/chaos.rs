//! The chaos routes: absent by default, an error spike on demand when enabled.

use testkit::RedisServer;

use crate::helpers::{json, spawn_app, spawn_app_with, test_config};

#[tokio::test]
async fn chaos_routes_do_not_exist_by_default() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    assert_eq!(app.get("/traceback").await.status(), 404);
    assert_eq!(
        app.post("/chaos/errors?ratio=1&seconds=60").await.status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn an_error_spike_fails_ticket_requests_until_it_ends() {
    let redis = RedisServer::start();
    let mut config = test_config(&redis);
    config.chaos_endpoints = true;
    let app = spawn_app_with(config).await;

    let anonymous = app
        .client
        .post(app.url("/chaos/errors?ratio=1&seconds=60"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401, "chaos needs the key too");

    let (status, spike) = json(app.post("/chaos/errors?ratio=1&seconds=60").await).await;
    assert_eq!(status, 200);
    assert_eq!(spike, serde_json::json!({"ratio": 1.0, "seconds": 60}));
    for path in ["/get_ticket", "/call_ticket"] {
        let (status, body) = json(app.post(path).await).await;
        assert_eq!(status, 500, "{path}");
        assert_eq!(body["error"], "injected failure (chaos)");
    }
    assert_eq!(
        app.get("/healthcheck").await.status(),
        200,
        "only ticket routes fail"
    );

    let (status, _) = json(app.post("/chaos/errors?ratio=0").await).await;
    assert_eq!(status, 200);
    assert_eq!(app.post("/get_ticket").await.status(), 201);
    app.stop().await;
}

#[tokio::test]
async fn invalid_spikes_are_refused() {
    let redis = RedisServer::start();
    let mut config = test_config(&redis);
    config.chaos_endpoints = true;
    let app = spawn_app_with(config).await;
    for query in [
        "ratio=1.5",
        "ratio=-0.1",
        "ratio=abc",
        "",
        "ratio=0.5&seconds=0",
        "ratio=0.5&seconds=999999",
    ] {
        let (status, body) = json(app.post(&format!("/chaos/errors?{query}")).await).await;
        assert_eq!(status, 400, "{query}");
        assert!(body["error"].is_string(), "{query}");
    }
    app.stop().await;
}

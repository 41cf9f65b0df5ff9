//! The chaos routes: absent by default, an error spike on demand when enabled.

use crate::helpers::{Backends, json, spawn_app, spawn_app_with};

#[tokio::test]
async fn chaos_routes_do_not_exist_by_default() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;
    assert_eq!(app.get("/traceback").await.status(), 404);
    assert_eq!(app.post("/chaos/errors?ratio=1").await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn an_error_spike_fails_api_requests_until_it_ends() {
    let backends = Backends::start();
    let mut config = backends.config();
    config.chaos_endpoints = true;
    let app = spawn_app_with(config).await;
    app.wait_ready(std::time::Duration::from_secs(10)).await;

    let (status, spike) = json(app.post("/chaos/errors?ratio=1&seconds=60").await).await;
    assert_eq!(status, 200);
    assert_eq!(spike, serde_json::json!({"ratio": 1.0, "seconds": 60}));
    for path in ["/", "/version"] {
        let (status, body) = json(app.get(path).await).await;
        assert_eq!(status, 500, "{path}");
        assert_eq!(body["error"], "injected failure (chaos)");
    }
    assert_eq!(
        app.get("/healthcheck").await.status(),
        200,
        "probes are spared"
    );

    for query in [
        "ratio=1.5",
        "ratio=-1",
        "ratio=x",
        "",
        "ratio=1&seconds=0",
        "ratio=1&seconds=99999",
    ] {
        let (status, body) = json(app.post(&format!("/chaos/errors?{query}")).await).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"].is_string());
    }

    let (status, _) = json(app.post("/chaos/errors?ratio=0").await).await;
    assert_eq!(status, 200);
    assert_eq!(app.get("/").await.status(), 200);
    app.stop().await;
}

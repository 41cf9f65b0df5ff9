//! Bad requests get JSON errors with the right status.

use testkit::RedisServer;

use crate::helpers::{json, spawn_app};

#[tokio::test]
async fn unknown_routes_answer_404_json() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    for path in [
        "/nope",
        "/get_ticket/extra",
        "/metrics",
        "/rubis/get_ticket",
    ] {
        let (status, body) = json(app.get(path).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], format!("no route for {path}"));
    }
    app.stop().await;
}

#[tokio::test]
async fn wrong_methods_answer_405_json() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    let cases = [
        (reqwest::Method::DELETE, "/get_ticket"),
        (reqwest::Method::PUT, "/call_ticket"),
        (reqwest::Method::POST, "/list_tickets"),
        (reqwest::Method::POST, "/healthcheck"),
    ];
    for (method, path) in cases {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(crate::helpers::API_KEY)
            .send()
            .await
            .expect("sent");
        let (status, body) = json(response).await;
        assert_eq!(status, 405, "{method} {path}");
        assert!(body["error"].is_string(), "{method} {path}: {body}");
    }
    app.stop().await;
}

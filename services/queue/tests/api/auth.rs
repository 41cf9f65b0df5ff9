//! Bearer-token authentication on the ticket routes.

use testkit::RedisServer;

use crate::helpers::{API_KEY, json, spawn_app, spawn_app_with, test_config};

const TICKET_ROUTES: [(&str, &str); 5] = [
    ("POST", "/get_ticket"),
    ("GET", "/get_ticket"),
    ("POST", "/call_ticket"),
    ("GET", "/call_ticket"),
    ("GET", "/list_tickets"),
];

#[tokio::test]
async fn ticket_routes_need_a_valid_key() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    for (method, path) in TICKET_ROUTES {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let request = || app.client.request(method.clone(), app.url(path));

        let missing = request().send().await.expect("sent");
        assert_eq!(missing.status(), 401, "{method} {path} without a key");
        assert_eq!(
            missing.headers()["www-authenticate"],
            "Bearer realm=\"vigie\"",
            "{method} {path}"
        );
        let (_, body) = json(missing).await;
        assert!(
            body["error"]
                .as_str()
                .expect("error")
                .contains("missing API key")
        );

        let (status, body) = json(
            request()
                .bearer_auth("wrong-key-0123456789")
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert_eq!(status, 401, "{method} {path} with a wrong key");
        assert_eq!(body["error"], "invalid API key");

        let basic = request()
            .basic_auth("user", Some(API_KEY))
            .send()
            .await
            .expect("sent");
        assert_eq!(basic.status(), 401, "{method} {path} with Basic auth");

        let right = request().bearer_auth(API_KEY).send().await.expect("sent");
        assert!(
            right.status().is_success(),
            "{method} {path} with the key: {}",
            right.status()
        );
    }
    // Refused requests changed nothing.
    let (_, listing) = json(app.get("/list_tickets").await).await;
    assert_eq!(listing["waiting"], 0, "two issued, two called: {listing}");
    app.stop().await;
}

#[tokio::test]
async fn operations_routes_are_open() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    for path in ["/healthcheck", "/livez", "/openapi.json", "/docs/"] {
        assert_eq!(app.get_anonymous(path).await.status(), 200, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn any_of_several_keys_is_accepted() {
    let redis = RedisServer::start();
    let mut config = test_config(&redis);
    config.api_keys = Some(format!("first-key-0123456789,{API_KEY}").into());
    let app = spawn_app_with(config).await;
    for key in ["first-key-0123456789", API_KEY] {
        let response = app
            .client
            .post(app.url("/get_ticket"))
            .bearer_auth(key)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201, "{key}");
    }
    app.stop().await;
}

#[tokio::test]
async fn anonymous_mode_serves_without_a_key_only_when_asked() {
    let redis = RedisServer::start();
    let mut config = test_config(&redis);
    config.api_keys = None;
    let refused = queue_service::Application::build(config.clone())
        .await
        .expect_err("no key: refused");
    assert!(
        format!("{refused:#}").contains("--allow-anonymous"),
        "{refused:#}"
    );

    config.allow_anonymous = true;
    let app = spawn_app_with(config).await;
    let response = app
        .client
        .post(app.url("/get_ticket"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    app.stop().await;
}

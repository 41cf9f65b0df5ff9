//! CORS: the page on http://localhost:8080 may read the API; other origins may not.

use reqwest::Method;

use crate::helpers::{Backends, TestApp, spawn_app, spawn_app_with};

const PAGE_ORIGIN: &str = "http://localhost:8080";

async fn preflight(app: &TestApp, origin: &str, path: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .expect("sent")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("ASCII header"))
}

#[tokio::test]
async fn the_dashboard_origin_passes_preflight_and_reads_answers() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;

    let response = preflight(&app, PAGE_ORIGIN, "/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(PAGE_ORIGIN)
    );
    let methods = header(&response, "access-control-allow-methods").expect("methods");
    assert!(methods.contains("GET"), "{methods}");
    let headers = header(&response, "access-control-allow-headers").expect("headers");
    assert!(headers.contains("content-type"), "{headers}");
    assert_eq!(header(&response, "access-control-max-age"), Some("600"));

    for path in ["/", "/version", "/nope"] {
        let response = app
            .client
            .get(app.url(path))
            .header("Origin", PAGE_ORIGIN)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(PAGE_ORIGIN),
            "{path}: errors carry CORS headers too"
        );
        let vary = header(&response, "vary").unwrap_or_default();
        assert!(
            vary.to_lowercase().contains("origin"),
            "{path}: vary {vary:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn other_origins_get_no_cors_grant() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;
    for origin in [
        "http://evil.example",
        "http://localhost:8081",
        "https://localhost:8080",
    ] {
        let response = preflight(&app, origin, "/").await;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            None,
            "{origin}"
        );
        let response = app
            .client
            .get(app.url("/"))
            .header("Origin", origin)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            response.status(),
            200,
            "the server answers; the browser hides it"
        );
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            None,
            "{origin}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn allowed_origins_are_configurable() {
    let backends = Backends::start();
    let mut config = backends.config();
    config.cors_allowed_origins = students_service::cors::AllowedOrigins::parse(
        "https://dash.example.org, http://localhost:3000",
    )
    .expect("valid");
    let app = spawn_app_with(config).await;
    app.wait_ready(std::time::Duration::from_secs(10)).await;
    for origin in ["https://dash.example.org", "http://localhost:3000"] {
        let response = preflight(&app, origin, "/").await;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(origin)
        );
    }
    let response = preflight(&app, PAGE_ORIGIN, "/").await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    app.stop().await;
}

//! `/openapi.json` is a valid OpenAPI document describing every route, and
//! `/docs` serves Swagger UI that finds it, also behind a path prefix.

use std::collections::BTreeSet;

use testkit::RedisServer;

use crate::helpers::{spawn_app, spawn_app_with, test_config};

async fn openapi(app: &crate::helpers::TestApp) -> (serde_json::Value, oas3::OpenApiV3Spec) {
    let text = app
        .get_anonymous("/openapi.json")
        .await
        .text()
        .await
        .expect("body");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    (value, spec)
}

#[tokio::test]
async fn openapi_documents_every_route_status_and_the_security_scheme() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    let (document, spec) = openapi(&app).await;
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);

    let expected: &[(&str, &str, &[&str])] = &[
        ("/get_ticket", "post", &["201", "401", "500", "503"]),
        ("/get_ticket", "get", &["201", "401", "500", "503"]),
        ("/call_ticket", "post", &["200", "401", "500", "503"]),
        ("/call_ticket", "get", &["200", "401", "500", "503"]),
        ("/list_tickets", "get", &["200", "400", "401", "500", "503"]),
        ("/healthcheck", "get", &["200", "503"]),
        ("/livez", "get", &["200"]),
    ];
    for (path, method, statuses) in expected {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        let documented: BTreeSet<&str> = operation["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            documented,
            statuses.iter().copied().collect(),
            "{method} {path}"
        );
        let secured = operation["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty());
        assert_eq!(secured, path.contains("ticket"), "{method} {path} security");
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(
        document["paths"].get("/traceback").is_none(),
        "chaos routes are hidden when disabled"
    );

    // Every schema reference resolves.
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let name = reference
            .split('"')
            .next()
            .expect("ref")
            .trim_start_matches("#/components/schemas/");
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "unresolved $ref {name}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn chaos_routes_are_documented_where_they_exist() {
    let redis = RedisServer::start();
    let mut config = test_config(&redis);
    config.chaos_endpoints = true;
    let app = spawn_app_with(config).await;
    let (document, _) = openapi(&app).await;
    assert!(document["paths"]["/traceback"]["get"].is_object());
    assert!(document["paths"]["/chaos/errors"]["post"]["responses"]["400"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn docs_load_their_spec_through_a_relative_url() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let redirect = client.get(app.url("/docs")).send().await.expect("sent");
    assert_eq!(redirect.status(), 303);
    assert_eq!(
        redirect.headers()["location"],
        "docs/",
        "relative, so /rubis/docs -> /rubis/docs/"
    );

    let page = client.get(app.url("/docs/")).send().await.expect("sent");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("swagger-ui"));

    let initializer = app
        .get_anonymous("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("js");
    assert!(
        initializer.contains("\"url\": \"../openapi.json\""),
        "{initializer}"
    );
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js"] {
        assert_eq!(
            app.get_anonymous(asset).await.status(),
            200,
            "{asset} is embedded"
        );
    }

    // What a browser does behind the gateway's /rubis prefix.
    let base = reqwest::Url::parse("http://gateway/rubis/docs").expect("url");
    let page = base.join("docs/").expect("redirect target");
    assert_eq!(page.as_str(), "http://gateway/rubis/docs/");
    assert_eq!(
        page.join("../openapi.json").expect("spec").as_str(),
        "http://gateway/rubis/openapi.json"
    );
    app.stop().await;
}

//! `/openapi.json` is a valid OpenAPI document describing every route, and `/docs`
//! serves the embedded Swagger UI, which finds it through a relative URL.

use std::collections::BTreeSet;

use crate::helpers::{Backends, TestApp, spawn_app, spawn_app_with};

async fn openapi(app: &TestApp) -> serde_json::Value {
    let text = app.get("/openapi.json").await.text().await.expect("body");
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    serde_json::from_str(&text).expect("JSON")
}

#[tokio::test]
async fn openapi_documents_every_route_and_status() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;
    let document = openapi(&app).await;
    let expected: &[(&str, &[&str])] = &[
        ("/", &["200", "500", "503"]),
        ("/version", &["200", "500", "503"]),
        ("/healthcheck", &["200", "503"]),
        ("/livez", &["200"]),
    ];
    for (path, statuses) in expected {
        let documented: BTreeSet<&str> = document["paths"][path]["get"]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("GET {path} is documented"))
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(documented, statuses.iter().copied().collect(), "{path}");
    }
    let student = &document["components"]["schemas"]["Student"];
    let required: BTreeSet<&str> = student["required"]
        .as_array()
        .expect("required")
        .iter()
        .map(|v| v.as_str().expect("name"))
        .collect();
    assert_eq!(
        required,
        BTreeSet::from(["id", "nom", "promo"]),
        "views is optional"
    );
    assert!(
        document["paths"].get("/traceback").is_none(),
        "chaos hidden when disabled"
    );
    for reference in document.to_string().split("\"$ref\":\"").skip(1) {
        let name = reference
            .split('"')
            .next()
            .expect("ref")
            .trim_start_matches("#/components/schemas/");
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "unresolved {name}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn chaos_routes_are_documented_where_they_exist() {
    let backends = Backends::start();
    let mut config = backends.config();
    config.chaos_endpoints = true;
    let app = spawn_app_with(config).await;
    let document = openapi(&app).await;
    assert!(document["paths"]["/traceback"]["get"].is_object());
    assert!(document["paths"]["/chaos/errors"]["post"]["responses"]["400"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn docs_are_served_with_a_relative_spec_url() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect = client.get(app.url("/docs")).send().await.expect("sent");
    assert_eq!(redirect.status(), 303);
    assert_eq!(redirect.headers()["location"], "docs/");
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("swagger-ui"));
    let initializer = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("js");
    assert!(
        initializer.contains("\"url\": \"../openapi.json\""),
        "{initializer}"
    );
    assert_eq!(
        app.get("/docs/swagger-ui-bundle.js").await.status(),
        200,
        "embedded"
    );
    app.stop().await;
}

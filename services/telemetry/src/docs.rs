//! `/openapi.json` and `/docs` (Swagger UI embedded in the binary, so it works
//! offline), the same for every service. The redirect and the spec URL are
//! relative, and the document declares a relative server, so the page, its spec
//! and "Try it out" stay under whatever prefix the page was loaded from
//! (`/rubis/docs/` behind the gateway).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa::Modify;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, ServerBuilder};
use utoipa_swagger_ui::Config;

use crate::http::json_error;

/// The docs routes for `document`.
pub fn router<S: Clone + Send + Sync + 'static>(document: OpenApi) -> Router<S> {
    let document = Arc::new(document);
    // Relative to /<prefix>/docs/, this is /<prefix>/openapi.json.
    let config = Arc::new(Config::from("../openapi.json"));
    let index_config = Arc::clone(&config);
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move { Json(document.as_ref().clone()) }),
        )
        // Relative redirect: /<prefix>/docs -> /<prefix>/docs/ behind a proxy.
        .route("/docs", get(|| async { Redirect::to("docs/") }))
        .route(
            "/docs/",
            get(move || serve_file(String::new(), Arc::clone(&index_config))),
        )
        .route(
            "/docs/{*file}",
            get(move |Path(file): Path<String>| serve_file(file, Arc::clone(&config))),
        )
}

async fn serve_file(file: String, config: Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(file)) => {
            let mut response = (
                [(header::CONTENT_TYPE, file.content_type)],
                file.bytes.into_owned(),
            )
                .into_response();
            if file.gzpipped {
                response.headers_mut().insert(
                    header::CONTENT_ENCODING,
                    header::HeaderValue::from_static("gzip"),
                );
            }
            response
        }
        Ok(None) => json_error(StatusCode::NOT_FOUND, format!("no docs file {file}")),
        Err(error) => {
            tracing::error!(%error, "cannot render Swagger UI");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot render the docs page",
            )
        }
    }
}

/// Declares the `bearer` security scheme that protected routes name.
#[derive(Debug)]
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// A relative server URL: "Try it out" then calls the API under the prefix the
/// document was loaded from.
#[derive(Debug)]
pub struct RelativeServer;

impl Modify for RelativeServer {
    fn modify(&self, openapi: &mut OpenApi) {
        openapi.servers = Some(vec![
            ServerBuilder::new()
                .url(".")
                .description(Some("this instance"))
                .build(),
        ]);
    }
}

/// Sets the version and, where the chaos routes are off, removes them and their tag.
pub fn finish(mut document: OpenApi, version: &str, chaos: bool) -> OpenApi {
    document.info.version = version.to_owned();
    if !chaos {
        document
            .paths
            .paths
            .retain(|path, _| path != "/traceback" && !path.starts_with("/chaos/"));
        if let Some(tags) = document.tags.as_mut() {
            tags.retain(|tag| tag.name != "chaos");
        }
    }
    document
}

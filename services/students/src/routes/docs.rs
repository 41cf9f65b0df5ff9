//! `/openapi.json` and `/docs` (Swagger UI, embedded in the binary so it works
//! offline). The redirect and the spec URL are relative, so the page also works
//! under a prefix behind a reverse proxy.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa_swagger_ui::Config;

use crate::openapi;
use crate::state::AppState;

pub(super) fn router(chaos: bool) -> Router<AppState> {
    let document = Arc::new(openapi::document(chaos));
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
        Ok(None) => {
            telemetry::http::json_error(StatusCode::NOT_FOUND, format!("no docs file {file}"))
        }
        Err(error) => {
            tracing::error!(%error, "cannot render Swagger UI");
            telemetry::http::json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot render the docs page",
            )
        }
    }
}

//! The OpenAPI document, generated from the handlers' annotations so it cannot
//! drift from the routes. The chaos routes appear only where they exist.

use telemetry::docs::RelativeServer;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDocument;

use crate::routes::{chaos, health, students, version};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigie students-service",
        description = "The students of the dashboard, from PostgreSQL, with a global view counter \
                       from Redis. Without Redis the list is still served, without `views`."
    ),
    paths(
        students::list_students,
        version::version,
        health::healthcheck,
        health::livez,
        chaos::traceback,
        chaos::start_error_spike,
    ),
    modifiers(&RelativeServer),
    tags(
        (name = "students", description = "What the dashboard page reads"),
        (name = "operations", description = "Health probes"),
        (name = "chaos", description = "Failure injection, only with CHAOS_ENDPOINTS=true"),
    )
)]
struct ApiDoc;

/// The document served at `/openapi.json`.
pub fn document(chaos: bool) -> OpenApiDocument {
    telemetry::docs::finish(ApiDoc::openapi(), env!("CARGO_PKG_VERSION"), chaos)
}

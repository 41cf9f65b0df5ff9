//! The OpenAPI document, generated from the handlers' annotations so it cannot
//! drift from the routes. The chaos routes appear only where they exist.

use utoipa::openapi::{OpenApi as OpenApiDocument, ServerBuilder};
use utoipa::{Modify, OpenApi};

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

/// A relative server URL: "Try it out" then calls the API under the prefix the
/// document was loaded from.
struct RelativeServer;

impl Modify for RelativeServer {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        openapi.servers = Some(vec![
            ServerBuilder::new()
                .url(".")
                .description(Some("this instance"))
                .build(),
        ]);
    }
}

/// The document served at `/openapi.json`.
pub fn document(chaos: bool) -> OpenApiDocument {
    let mut document = ApiDoc::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
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

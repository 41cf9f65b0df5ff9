//! The OpenAPI document, generated from the handlers' annotations so it cannot
//! drift from the routes. The chaos routes appear only where they exist.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDocument, ServerBuilder};
use utoipa::{Modify, OpenApi};

use crate::routes::{chaos, health, tickets};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigie queue-service",
        description = "A ticket queue: take a number, call the next one, list who waits. \
                       One instance serves one queue; behind the gateway each queue lives under `/<team>/`."
    ),
    paths(
        tickets::get_ticket,
        tickets::call_ticket,
        tickets::list_tickets,
        health::healthcheck,
        health::livez,
        chaos::traceback,
        chaos::start_error_spike,
    ),
    modifiers(&BearerAuth, &RelativeServer),
    tags(
        (name = "tickets", description = "The queue (API key required)"),
        (name = "operations", description = "Health probes"),
        (name = "chaos", description = "Failure injection, only with CHAOS_ENDPOINTS=true"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme the ticket routes require.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// A relative server URL: "Try it out" then calls the API under the prefix the
/// document was loaded from (`/rubis/` behind the gateway).
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

//! The OpenAPI document, generated from the handlers' annotations so it cannot
//! drift from the routes. The chaos routes appear only where they exist.

use telemetry::docs::{BearerAuth, RelativeServer};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDocument;

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

/// The document served at `/openapi.json`.
pub fn document(chaos: bool) -> OpenApiDocument {
    telemetry::docs::finish(ApiDoc::openapi(), env!("CARGO_PKG_VERSION"), chaos)
}

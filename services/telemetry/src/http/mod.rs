//! The HTTP plumbing every service shares, so that they all answer, log, trace and
//! measure the same way: JSON errors for unknown routes, wrong methods, panics and
//! timeouts; a server span per request; the RED metrics; a bounded graceful drain.

mod errors;
mod metrics_layer;
mod trace;

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;

pub use errors::{ErrorBody, json_error};
pub use metrics_layer::{HttpMetricsLayer, UNMATCHED_ROUTE};

use crate::shutdown::DRAIN_TIMEOUT;

/// How a service's router is wrapped.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Record `http_server_*` metrics (switched off only to measure their cost).
    pub record_metrics: bool,
    /// Longest time a request may take before it is answered 503.
    pub request_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            record_metrics: true,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Adds the shared layers and JSON fallbacks to a service's routes.
///
/// Layers go through `Router::layer`, which wraps each route after it matched, so
/// they see the route template (`MatchedPath`) and label by it, never by the raw
/// path; requests that match nothing are labelled `unmatched`.
pub fn finish_router(routes: Router, options: &HttpOptions) -> Router {
    let timeout = options.request_timeout;
    let router = routes
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(CatchPanicLayer::custom(errors::panic_response))
        .layer(axum::middleware::from_fn(move |req, next| {
            errors::with_timeout(timeout, req, next)
        }));
    let router = if options.record_metrics {
        router.layer(HttpMetricsLayer::default())
    } else {
        router
    };
    router.layer(trace::layer())
}

/// Serves `router` until `shutdown` is cancelled, then lets in-flight requests
/// finish for at most [`DRAIN_TIMEOUT`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .into_future();
    let drain_deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(DRAIN_TIMEOUT).await;
    };
    tokio::select! {
        result = server => result,
        () = drain_deadline => {
            tracing::warn!(timeout = ?DRAIN_TIMEOUT, "requests still running after the drain timeout; closing them");
            Ok(())
        }
    }
}

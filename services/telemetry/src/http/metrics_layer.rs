//! RED metrics per request: `http_server_request_duration_seconds` by method, route
//! template and status, and `http_server_active_requests` by method.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{gauge, histogram};

use crate::metrics::{HTTP_ACTIVE_REQUESTS, HTTP_REQUEST_DURATION};

/// The `http_route` of requests that matched no route: one value for all of them,
/// so scanning random paths cannot create a series per path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Middleware recording the request metrics; add it with `Router::layer` so it runs
/// after routing and sees the route template.
pub async fn record_http_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().map_or_else(
        || UNMATCHED_ROUTE.to_owned(),
        |path| path.as_str().to_owned(),
    );
    let _active = ActiveRequest::start(method);
    let response = next.run(req).await;
    histogram!(
        HTTP_REQUEST_DURATION,
        "http_request_method" => method,
        "http_route" => route,
        "http_response_status_code" => response.status().as_str().to_owned(),
    )
    .record(start.elapsed().as_secs_f64());
    response
}

/// Known methods by name, anything else as `_OTHER` (OpenTelemetry's convention),
/// so invented methods cannot create series either.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}

/// Counts a request as active until dropped, also when the client goes away and
/// the handler future is dropped mid-flight.
struct ActiveRequest(&'static str);

impl ActiveRequest {
    fn start(method: &'static str) -> Self {
        gauge!(HTTP_ACTIVE_REQUESTS, "http_request_method" => method).increment(1.0);
        Self(method)
    }
}

impl Drop for ActiveRequest {
    fn drop(&mut self) {
        gauge!(HTTP_ACTIVE_REQUESTS, "http_request_method" => self.0).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        let invented = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&invented), "_OTHER");
    }
}

//! RED metrics per request: `http_server_request_duration_seconds` by method, route
//! template and status, and `http_server_active_requests` by method.
//!
//! Metric handles are created once per label set and kept: recording through a
//! kept handle is an atomic operation, where the `histogram!` macro would build
//! and hash a label set, allocating, on every request. The label sets are
//! bounded: route templates (plus `unmatched`), ten method labels, status codes.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Gauge, Histogram, gauge, histogram};

use crate::metrics::{HTTP_ACTIVE_REQUESTS, HTTP_REQUEST_DURATION};

/// The `http_route` of requests that matched no route: one value for all of them,
/// so scanning random paths cannot create a series per path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Method labels: the known methods, then `_OTHER` (OpenTelemetry's convention),
/// so invented methods cannot create series either.
const METHOD_LABELS: [&str; 10] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT", "_OTHER",
];

type DurationsByRoute = HashMap<Box<str>, Vec<(usize, u16, Histogram)>>;

/// The handles one router records through.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    active: [OnceLock<Gauge>; METHOD_LABELS.len()],
    durations: RwLock<DurationsByRoute>,
}

impl HttpMetrics {
    fn active(&self, method: usize) -> &Gauge {
        self.active[method].get_or_init(
            || gauge!(HTTP_ACTIVE_REQUESTS, "http_request_method" => METHOD_LABELS[method]),
        )
    }

    fn duration(&self, method: usize, route: &str, status: u16) -> Histogram {
        let find = |durations: &DurationsByRoute| {
            durations.get(route).and_then(|entries| {
                entries
                    .iter()
                    .find(|(m, s, _)| *m == method && *s == status)
                    .map(|(_, _, histogram)| histogram.clone())
            })
        };
        if let Some(histogram) = find(
            &self
                .durations
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        ) {
            return histogram;
        }
        let mut durations = self
            .durations
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(histogram) = find(&durations) {
            return histogram;
        }
        let histogram = histogram!(
            HTTP_REQUEST_DURATION,
            "http_request_method" => METHOD_LABELS[method],
            "http_route" => route.to_owned(),
            "http_response_status_code" => status.to_string(),
        );
        durations
            .entry(route.into())
            .or_default()
            .push((method, status, histogram.clone()));
        histogram
    }
}

/// Middleware recording the request metrics; add it with `Router::layer` so it runs
/// after routing and sees the route template.
pub async fn record_http_metrics(
    State(metrics): State<Arc<HttpMetrics>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = method_index(req.method());
    let route = req.extensions().get::<MatchedPath>().cloned();
    let active = metrics.active(method);
    active.increment(1.0);
    let _done = DecrementOnDrop(active);
    let response = next.run(req).await;
    let route = route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    metrics
        .duration(method, route, response.status().as_u16())
        .record(start.elapsed().as_secs_f64());
    response
}

/// Index of the method's label in `METHOD_LABELS`.
fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        Method::HEAD => 4,
        Method::OPTIONS => 5,
        Method::PATCH => 6,
        Method::TRACE => 7,
        Method::CONNECT => 8,
        _ => 9,
    }
}

/// Counts a request as active until dropped, also when the client goes away and
/// the handler future is dropped mid-flight.
struct DecrementOnDrop<'a>(&'a Gauge);

impl Drop for DecrementOnDrop<'_> {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(METHOD_LABELS[method_index(&Method::POST)], "POST");
        let invented = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(METHOD_LABELS[method_index(&invented)], "_OTHER");
    }

    #[test]
    fn handles_are_reused_per_label_set() {
        let metrics = HttpMetrics::default();
        let _ = metrics.duration(1, "/get_ticket", 201);
        let _ = metrics.duration(1, "/get_ticket", 201);
        let _ = metrics.duration(0, "/get_ticket", 401);
        let durations = metrics.durations.read().unwrap();
        assert_eq!(durations.len(), 1);
        assert_eq!(durations["/get_ticket"].len(), 2);
    }
}

//! RED metrics per request: `http_server_request_duration_seconds` by method, route
//! template and status, and `http_server_active_requests` by method.
//!
//! Metric handles are created once per label set and kept: recording through a
//! kept handle is an atomic operation, where the `histogram!` macro would build
//! and hash a label set, allocating, on every request. The label sets are
//! bounded: route templates (plus `unmatched`), ten method labels, status codes.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{Method, Request};
use axum::response::Response;
use metrics::{Gauge, Histogram, gauge, histogram};
use tower::{Layer, Service};

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

/// A tower layer recording the request metrics. Add it with `Router::layer`, so
/// it runs after routing and sees the route template.
///
/// Written as a plain tower service rather than `axum::middleware::from_fn`:
/// that one boxes the inner service and the future on every request, which was
/// a third of this layer's cost.
#[derive(Debug, Clone, Default)]
pub struct HttpMetricsLayer {
    metrics: Arc<HttpMetrics>,
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetricsService {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

/// The service [`HttpMetricsLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct HttpMetricsService<S> {
    inner: S,
    metrics: Arc<HttpMetrics>,
}

impl<S, B> Service<Request<B>> for HttpMetricsService<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = method_index(request.method());
        let route = request.extensions().get::<MatchedPath>().cloned();
        let active = self.metrics.active(method).clone();
        active.increment(1.0);
        ResponseFuture {
            inner: self.inner.call(request),
            record: Some(Record {
                metrics: Arc::clone(&self.metrics),
                method,
                route,
                start: Instant::now(),
            }),
            active: DecrementOnDrop(active),
        }
    }
}

/// What is recorded once the response is ready.
struct Record {
    metrics: Arc<HttpMetrics>,
    method: usize,
    route: Option<MatchedPath>,
    start: Instant,
}

pin_project_lite::pin_project! {
    /// The response future of [`HttpMetricsService`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        record: Option<Record>,
        active: DecrementOnDrop,
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        if let (Ok(response), Some(record)) = (&result, this.record.take()) {
            let route = record
                .route
                .as_ref()
                .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
            record
                .metrics
                .duration(record.method, route, response.status().as_u16())
                .record(record.start.elapsed().as_secs_f64());
        }
        Poll::Ready(result)
    }
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
pub struct DecrementOnDrop(Gauge);

impl std::fmt::Debug for DecrementOnDrop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecrementOnDrop")
    }
}

impl Drop for DecrementOnDrop {
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

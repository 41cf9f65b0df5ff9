//! One server span per request, named and attributed after OpenTelemetry's HTTP
//! conventions (`http.route`, `http.response.status_code`), continuing the caller's
//! trace from `traceparent`, and one log line when the response is ready.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use opentelemetry_http::HeaderExtractor;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub(super) type ServerTraceLayer =
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, ServerSpan, (), LogResponse, (), (), ()>;

pub(super) fn layer() -> ServerTraceLayer {
    TraceLayer::new_for_http()
        .make_span_with(ServerSpan)
        .on_request(())
        .on_response(LogResponse)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// Makes the request's server span.
#[derive(Debug, Clone, Copy)]
pub struct ServerSpan;

impl<B> MakeSpan<B> for ServerSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let method = request.method().as_str();
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let name = match route {
            Some(route) => format!("{method} {route}"),
            None => method.to_owned(),
        };
        let span = tracing::info_span!(
            "http_request",
            otel.name = %name,
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = method,
            http.route = route,
            url.path = request.uri().path(),
            http.response.status_code = Empty,
        );
        let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&HeaderExtractor(request.headers()))
        });
        // Fails only when no OpenTelemetry layer is installed: nothing to continue then.
        let _ = span.set_parent(parent);
        span
    }
}

/// Records the status on the span and logs the request once it is answered.
#[derive(Debug, Clone, Copy)]
pub struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        let status = response.status();
        // As i64: the OpenTelemetry layer exports unsigned integers as strings.
        span.record("http.response.status_code", i64::from(status.as_u16()));
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
        // Microsecond precision is plenty and keeps log lines short.
        let latency_ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0;
        tracing::info!(status = status.as_u16(), latency_ms, "request completed");
    }
}

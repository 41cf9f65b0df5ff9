//! Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, a request produces a server span
//! (exported over OTLP/HTTP to a receiver this test runs) whose trace id is also
//! in the request's JSON log line.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use nix::sys::signal::Signal;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use testkit::{RedisServer, ServiceProcess};

use crate::helpers::API_KEY;

/// An OTLP/HTTP traces receiver: collects every exported span.
async fn start_receiver() -> (String, Arc<Mutex<Vec<Span>>>) {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&spans);
    let router = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| async move {
            let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
            let mut sink = sink.lock().expect("lock");
            for resource in request.resource_spans {
                for scope in resource.scope_spans {
                    sink.extend(scope.spans);
                }
            }
            (
                [("content-type", "application/x-protobuf")],
                Vec::<u8>::new(),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (endpoint, spans)
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(|attribute| attribute.value.as_ref()?.value.as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_traced_and_its_log_line_carries_the_trace_id() {
    let redis = RedisServer::start();
    let (endpoint, spans) = start_receiver().await;
    let url = redis.url();
    let mut service = ServiceProcess::start(
        env!("CARGO_BIN_EXE_queue-service"),
        &[],
        &[
            ("REDIS_URL", url.as_str()),
            ("API_KEYS", API_KEY),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let response = reqwest::Client::new()
        .post(service.url("/get_ticket"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);

    // Shutdown flushes whatever the batch exporter still holds.
    service.signal(Signal::SIGTERM);
    tokio::task::block_in_place(|| service.wait_exit(Duration::from_secs(15)));

    let span = {
        let spans = spans.lock().expect("lock");
        spans
            .iter()
            .find(|span| matches!(attribute(span, "http.route"), Some(Value::StringValue(route)) if route == "/get_ticket"))
            .cloned()
            .unwrap_or_else(|| panic!("no span with http.route=/get_ticket among {} spans", spans.len()))
    };
    assert_eq!(span.kind, SpanKind::Server as i32);
    assert_eq!(span.name, "POST /get_ticket");
    assert_eq!(
        attribute(&span, "http.response.status_code"),
        Some(&Value::IntValue(201))
    );
    assert_eq!(
        attribute(&span, "http.request.method"),
        Some(&Value::StringValue("POST".into()))
    );

    let trace_id = hex(&span.trace_id);
    let logs = service.json_logs();
    let line = logs
        .iter()
        .find(|line| {
            line["message"] == "request completed" && line["span"]["url.path"] == "/get_ticket"
        })
        .unwrap_or_else(|| panic!("no log line for the request: {logs:#?}"));
    assert_eq!(
        line["openTelemetry"]["traceId"],
        trace_id.as_str(),
        "{line}"
    );
    assert_eq!(line["status"], 201);
}

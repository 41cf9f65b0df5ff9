//! The process-wide Prometheus recorder, the metrics every service shares, and the
//! `/metrics` listener (`server`).
//!
//! Histograms are real Prometheus histograms with the contract's bucket bounds;
//! every metric is described once, so each has HELP text.

mod server;

use std::sync::OnceLock;

use metrics::{Unit, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use server::{CollectFuture, MetricsServer, ScrapeCollector};

/// `http_server_request_duration_seconds`: histogram by method, route template and status.
pub const HTTP_REQUEST_DURATION: &str = "http_server_request_duration_seconds";
/// `http_server_active_requests`: gauge by method.
pub const HTTP_ACTIVE_REQUESTS: &str = "http_server_active_requests";
/// `db_client_operation_duration_seconds`: histogram by system, operation and error type.
pub const DB_OPERATION_DURATION: &str = "db_client_operation_duration_seconds";
/// `vigie_build_info`: 1, labelled with the binary name and version.
pub const BUILD_INFO: &str = "vigie_build_info";

/// HTTP latency bucket bounds, in seconds (the contract's).
pub const HTTP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
    7.5, 10.0,
];
/// Database latency bucket bounds, in seconds (the contract's).
pub const DB_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder (once per process; later calls return the same
/// handle) and describes the shared metrics.
///
/// `extra_buckets` gives bucket bounds for a service's own histograms; any other
/// histogram gets the HTTP bounds, so none is ever rendered as a summary.
pub fn install(extra_buckets: &[(&str, &[f64])]) -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            let buckets = [
                (HTTP_REQUEST_DURATION, HTTP_BUCKETS),
                (DB_OPERATION_DURATION, DB_BUCKETS),
            ];
            for (name, bounds) in buckets.into_iter().chain(extra_buckets.iter().copied()) {
                builder = builder
                    .set_buckets_for_metric(Matcher::Full(name.to_owned()), bounds)
                    .expect("bucket bounds are non-empty constants");
            }
            let handle = builder
                .set_buckets(HTTP_BUCKETS)
                .expect("bucket bounds are non-empty constants")
                .install_recorder()
                .expect("the Prometheus recorder is the only one this process installs");
            describe_shared();
            server::describe_process_metrics();
            handle
        })
        .clone()
}

/// Sets `vigie_build_info{app, version} 1`.
pub fn set_build_info(app: &'static str, version: &'static str) {
    gauge!(BUILD_INFO, "app" => app, "version" => version).set(1.0);
}

fn describe_shared() {
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Duration of HTTP server requests, by method, matched route template and status code."
    );
    describe_gauge!(
        HTTP_ACTIVE_REQUESTS,
        Unit::Count,
        "Number of HTTP server requests being processed, by method."
    );
    describe_histogram!(
        DB_OPERATION_DURATION,
        Unit::Seconds,
        "Duration of database client operations, by system, operation and error type (empty on success)."
    );
    describe_gauge!(
        BUILD_INFO,
        "Always 1; labels give the binary name and the version running."
    );
}

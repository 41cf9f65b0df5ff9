//! Logs and traces: one `tracing` subscriber with a text or JSON formatter, filtered
//! by `RUST_LOG`, plus an OpenTelemetry OTLP exporter when an endpoint is set.

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryArgs};

/// Flushes and stops the trace exporter when dropped: keep it alive in `main`.
#[must_use = "dropping the guard stops trace export"]
#[derive(Debug)]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            // Shutdown exports the spans still buffered, so the last requests are not lost.
            if let Err(error) = provider.shutdown() {
                eprintln!("trace exporter shutdown failed: {error}");
            }
        }
    }
}

/// Installs the global subscriber for `service` (the binary name).
///
/// `RUST_LOG` filters (default `info`); `LOG_FORMAT=json` writes JSON lines that carry
/// `openTelemetry.traceId`/`spanId`; `OTEL_EXPORTER_OTLP_ENDPOINT` enables OTLP/HTTP export.
pub fn init(service: &str, args: &TelemetryArgs) -> anyhow::Result<Guard> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new("info"))
        .context("invalid RUST_LOG")?;
    let fmt_layer = match args.log_format {
        LogFormat::Json => {
            let mut layer = json_subscriber::layer()
                .with_current_span(true)
                .with_span_list(false)
                .flatten_event(true);
            layer.inner_layer_mut().with_opentelemetry_ids(true);
            layer.boxed()
        }
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
    };

    let provider = match &args.otel_exporter_otlp_endpoint {
        Some(endpoint) => Some(tracer_provider(service, args, endpoint)?),
        None => None,
    };
    let otel_layer = provider.as_ref().map(|provider| {
        let name = args
            .otel_service_name
            .as_deref()
            .unwrap_or(service)
            .to_owned();
        tracing_opentelemetry::layer().with_tracer(provider.tracer(name))
    });

    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .context("a global tracing subscriber is already installed")?;
    if let Some(endpoint) = &args.otel_exporter_otlp_endpoint {
        tracing::info!(endpoint, "exporting traces over OTLP/HTTP");
    }
    Ok(Guard { provider })
}

fn tracer_provider(
    service: &str,
    args: &TelemetryArgs,
    endpoint: &str,
) -> anyhow::Result<SdkTracerProvider> {
    // The base endpoint names the collector; OTLP/HTTP puts traces under /v1/traces.
    let traces_url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url)
        .build()
        .context("could not build the OTLP trace exporter")?;
    let name = args
        .otel_service_name
        .as_deref()
        .unwrap_or(service)
        .to_owned();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(name).build())
        .build();
    // W3C trace context, so a caller's `traceparent` continues its trace here.
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(provider)
}

/// A subscriber for tests: text, captured by the test harness, once per process.
pub fn init_for_test() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Several tests in one process call this; only the first one installs.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_for_test_is_idempotent() {
        init_for_test();
        init_for_test();
        tracing::info!("still fine");
    }
}

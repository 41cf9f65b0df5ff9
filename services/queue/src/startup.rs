//! Building and running the application: the API and metrics listeners, bound
//! before serving so that tests can start it on port 0 and read the addresses.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use std::sync::Arc;
use telemetry::chaos::ErrorInjection;
use telemetry::http::HttpOptions;
use telemetry::metrics::MetricsServer;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::metrics::{self, QueueMetrics, QueueStatsCollector};
use crate::routes;
use crate::state::{AppState, Shared};
use crate::store::{TicketStore, Timeouts};

/// A built application, listeners bound, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    metrics: MetricsServer,
}

impl Application {
    /// Validates the configuration, prepares Redis and binds both listeners.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let keys = config.api_keys()?;
        let redis_url = config.redis_url()?;
        let store = TicketStore::new(
            &redis_url,
            &config.queue_name,
            Timeouts {
                connect: config.redis_connect_timeout(),
                response: config.redis_response_timeout(),
            },
        )?;

        let handle = telemetry::metrics::install(metrics::BUCKETS);
        telemetry::metrics::set_build_info("queue-service", env!("CARGO_PKG_VERSION"));
        metrics::describe();
        let collector = QueueStatsCollector::new(store.clone(), config.queue_name.clone());
        let metrics = MetricsServer::bind(config.telemetry.metrics_addr, handle, vec![collector])
            .await
            .with_context(|| {
                format!(
                    "cannot listen for metrics on {}",
                    config.telemetry.metrics_addr
                )
            })?;

        let state = AppState::new(Shared {
            store,
            queue: config.queue_name.clone(),
            keys,
            chaos: Arc::new(ErrorInjection::default()),
            metrics: QueueMetrics::register(&config.queue_name),
        });
        let options = HttpOptions {
            record_metrics: !config.no_http_metrics,
            request_timeout: Duration::from_millis(config.request_timeout_ms),
        };
        let router =
            telemetry::http::finish_router(routes::router(state, config.chaos_endpoints), &options);
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen_addr))?;
        tracing::info!(
            queue = %config.queue_name,
            api = %listener.local_addr()?,
            metrics = %metrics.local_addr()?,
            chaos = config.chaos_endpoints,
            "queue-service ready to serve"
        );
        Ok(Self {
            listener,
            router,
            metrics,
        })
    }

    /// The API address actually bound.
    pub fn api_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The metrics address actually bound.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let token = telemetry::shutdown::cancel_on(shutdown);
        let (api, metrics) = tokio::join!(
            telemetry::http::serve(self.listener, self.router, token.clone()),
            self.metrics.serve(token),
        );
        api.context("API server failed")?;
        metrics.context("metrics server failed")?;
        tracing::info!("queue-service stopped");
        Ok(())
    }
}

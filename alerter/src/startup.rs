//! Building and running the application: the outbox, the webhook and metrics
//! listeners (bound before serving, so tests can start it on port 0 and read the
//! addresses), and the delivery worker, joined beside the servers.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use telemetry::http::HttpOptions;
use telemetry::metrics::MetricsServer;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::channels::Channel;
use crate::config::Config;
use crate::delivery::{ChannelHealth, RetryPolicy, Wakers, Worker, WorkerSettings};
use crate::metrics::{self, OutboxCollector};
use crate::outbox::Outbox;
use crate::outbox::intake::Intake;
use crate::routes;
use crate::settings::Settings;
use crate::state::AppState;

/// A built application, listeners bound, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    metrics: MetricsServer,
    worker: Worker,
    channels: Vec<Channel>,
    outbox: Outbox,
    intake_task: JoinHandle<()>,
}

impl Application {
    /// Checks the configuration, opens and migrates the outbox, binds both listeners.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let settings = Settings::resolve(&config)?;
        let outbox = Outbox::connect(&settings.database_url).await?;
        let names = settings.channel_names();

        let handle = telemetry::metrics::install(metrics::BUCKETS);
        telemetry::metrics::set_build_info("alerter", env!("CARGO_PKG_VERSION"));
        metrics::describe(&names);
        let collector = OutboxCollector::new(outbox.clone(), names.clone());
        let metrics = MetricsServer::bind(config.telemetry.metrics_addr, handle, vec![collector])
            .await
            .with_context(|| {
                format!(
                    "cannot listen for metrics on {}",
                    config.telemetry.metrics_addr
                )
            })?;

        let wakers = Wakers::new(&names);
        let health = Arc::new(ChannelHealth::default());
        let (intake, intake_task) = Intake::spawn(outbox.clone(), config.dedup_window(), {
            let wakers = Arc::clone(&wakers);
            move |channels| wakers.wake(channels)
        });
        let worker = Worker::new(
            outbox.clone(),
            WorkerSettings {
                policy: RetryPolicy {
                    initial: Duration::from_millis(config.retry_initial_ms),
                    max: Duration::from_millis(config.retry_max_ms),
                    max_age: config.max_age(),
                },
                send_timeout: config.send_timeout(),
                concurrency: config.channel_concurrency.max(1),
            },
            wakers,
            Arc::clone(&health),
        );

        let state = AppState {
            token: settings.token.clone(),
            intake,
            outbox: outbox.clone(),
            routing: Arc::new(settings.routing.clone()),
            health,
            channels: names.clone().into(),
            max_body_bytes: config.max_body_bytes,
        };
        let options = HttpOptions {
            record_metrics: true,
            request_timeout: Duration::from_millis(config.request_timeout_ms),
        };
        let router = telemetry::http::finish_router(routes::router(state), &options);
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen_addr))?;
        tracing::info!(
            api = %listener.local_addr()?,
            metrics = %metrics.local_addr()?,
            channels = ?names,
            database = ?outbox.backend(),
            "alerter ready to serve"
        );
        Ok(Self {
            listener,
            router,
            metrics,
            worker,
            channels: settings.channels,
            outbox,
            intake_task,
        })
    }

    /// The webhook address actually bound.
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

    /// The outbox, for tests and tools.
    pub fn outbox(&self) -> Outbox {
        self.outbox.clone()
    }

    /// Serves and delivers until `shutdown` resolves; then drains requests, lets
    /// delivery attempts in flight finish, and commits what was accepted.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let token = telemetry::shutdown::cancel_on(shutdown);
        let (api, metrics, ()) = tokio::join!(
            telemetry::http::serve(self.listener, self.router, token.clone()),
            self.metrics.serve(token.clone()),
            self.worker.run(self.channels, token),
        );
        // The router (and its intake handle) is gone: the writer ends after its last batch.
        // Bounded: a connection still open after the drain timeout holds a handle.
        match tokio::time::timeout(Duration::from_secs(10), self.intake_task).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "the outbox writer failed"),
            Err(_) => tracing::warn!("the outbox writer did not stop within 10 s"),
        }
        self.outbox.close().await;
        api.context("webhook server failed")?;
        metrics.context("metrics server failed")?;
        tracing::info!("alerter stopped");
        Ok(())
    }
}

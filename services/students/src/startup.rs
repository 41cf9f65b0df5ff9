//! Building and running the application: the API and metrics listeners, bound
//! before serving so that tests can start it on port 0 and read the addresses,
//! and the migrations, applied in the background so that the process serves (and
//! reports itself unready) while PostgreSQL is not there yet.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use telemetry::http::HttpOptions;
use telemetry::metrics::MetricsServer;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::breaker::CircuitBreaker;
use crate::cache::{Timeouts, ViewCounter};
use crate::config::Config;
use crate::db::Database;
use crate::state::AppState;
use crate::{metrics, migrate, routes};
use telemetry::chaos::ErrorInjection;

/// A built application, listeners bound, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    metrics: MetricsServer,
    db: Database,
}

impl Application {
    /// Validates the configuration, prepares the clients and binds both listeners.
    /// Neither PostgreSQL nor Redis needs to answer yet.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = Database::connect_lazy(&config)?;
        let breaker = CircuitBreaker::new(
            config.redis_breaker_failures,
            Duration::from_millis(config.redis_breaker_open_ms),
        );
        let views = ViewCounter::new(
            &config.redis_url()?,
            Timeouts {
                connect: config.redis_connect_timeout(),
                response: config.redis_response_timeout(),
            },
            Arc::new(breaker),
        )?;

        let handle = telemetry::metrics::install(&[]);
        telemetry::metrics::set_build_info("students-service", env!("CARGO_PKG_VERSION"));
        metrics::describe();
        let metrics = MetricsServer::bind(config.telemetry.metrics_addr, handle, Vec::new())
            .await
            .with_context(|| {
                format!(
                    "cannot listen for metrics on {}",
                    config.telemetry.metrics_addr
                )
            })?;

        let database = db.target().to_owned();
        let redis = views.target().to_owned();
        let state = AppState {
            db: db.clone(),
            views,
            chaos: Arc::new(ErrorInjection::default()),
        };
        let options = HttpOptions {
            record_metrics: !config.no_http_metrics,
            request_timeout: Duration::from_millis(config.request_timeout_ms),
        };
        // CORS outermost: preflights are answered whatever the route's methods, and
        // every answer (404, 503, timeouts) carries the CORS headers, so the page
        // sees the real status instead of an opaque network error. Preflights are
        // therefore not in the HTTP metrics, which measure the API itself.
        let router =
            telemetry::http::finish_router(routes::router(state, config.chaos_endpoints), &options)
                .layer(config.cors_allowed_origins.layer());
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen_addr))?;
        tracing::info!(
            api = %listener.local_addr()?,
            metrics = %metrics.local_addr()?,
            database,
            redis,
            cors_allowed_origins = %config.cors_allowed_origins,
            chaos = config.chaos_endpoints,
            "students-service ready to serve"
        );
        Ok(Self {
            listener,
            router,
            metrics,
            db,
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

    /// Serves until `shutdown` resolves, then drains in-flight requests. Migrations
    /// run beside the servers, retried until they succeed or the process stops.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let token = telemetry::shutdown::cancel_on(shutdown);
        let migrations = {
            let db = self.db.clone();
            let token = token.clone();
            tokio::spawn(async move {
                migrate::apply_until_done(db.pool(), db.migrations(), &token).await;
            })
        };
        let (api, metrics) = tokio::join!(
            telemetry::http::serve(self.listener, self.router, token.clone()),
            self.metrics.serve(token.clone()),
        );
        token.cancel();
        migrations.abort();
        // Bounded: a hung database must not hold the exit.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.db.close()).await;
        api.context("API server failed")?;
        metrics.context("metrics server failed")?;
        tracing::info!("students-service stopped");
        Ok(())
    }
}

/// `students-service migrate`: applies the migrations once, waiting at most `wait`
/// for PostgreSQL to answer.
pub async fn migrate_once(config: &Config, wait: Duration) -> anyhow::Result<()> {
    let db = Database::connect_lazy(config)?;
    tracing::info!(database = db.target(), "applying database migrations");
    let deadline = CancellationToken::new();
    let trigger = deadline.clone();
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        trigger.cancel();
    });
    let applied = migrate::apply_until_done(db.pool(), db.migrations(), &deadline).await;
    db.close().await;
    if applied {
        return Ok(());
    }
    let reason = db
        .migrations()
        .last_error()
        .unwrap_or_else(|| "no attempt finished".to_owned());
    anyhow::bail!(
        "migrations not applied: PostgreSQL at {} did not accept them within {} s: {reason}",
        db.target(),
        wait.as_secs()
    )
}

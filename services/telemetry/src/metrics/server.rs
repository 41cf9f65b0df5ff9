//! The `/metrics` listener: on its own address so the API port (and the gateway in
//! front of it) never exposes it. Gauges that mirror external state are refreshed
//! at scrape time by [`ScrapeCollector`]s, so every replica reports the same value.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How often histograms are drained and idle data cleaned up; the exporter only
/// does it on render otherwise, which would let memory grow between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The future a collector returns.
pub type CollectFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Refreshes some gauges right before each scrape. Implementations bound their own
/// time (a scrape must not hang on a dead dependency) and keep the last value on failure.
pub trait ScrapeCollector: Send + Sync + 'static {
    /// Reads the external state and sets the gauges.
    fn collect(&self) -> CollectFuture<'_>;
}

#[derive(Clone)]
struct ScrapeState {
    handle: PrometheusHandle,
    process: Arc<metrics_process::Collector>,
    collectors: Arc<[Arc<dyn ScrapeCollector>]>,
}

/// A bound `/metrics` listener, ready to serve.
pub struct MetricsServer {
    listener: TcpListener,
    state: ScrapeState,
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

pub(super) fn describe_process_metrics() {
    metrics_process::Collector::default().describe();
}

impl MetricsServer {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(
        addr: SocketAddr,
        handle: PrometheusHandle,
        collectors: Vec<Arc<dyn ScrapeCollector>>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let state = ScrapeState {
            handle,
            process: Arc::new(metrics_process::Collector::default()),
            collectors: collectors.into(),
        };
        Ok(Self { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `/metrics` until `shutdown` is cancelled.
    pub async fn serve(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let upkeep = tokio::spawn({
            let handle = self.state.handle.clone();
            async move {
                let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
                loop {
                    tick.tick().await;
                    handle.run_upkeep();
                }
            }
        });
        let router = Router::new()
            .route("/metrics", get(scrape))
            .with_state(self.state);
        let result = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        upkeep.abort();
        result
    }
}

async fn scrape(State(state): State<ScrapeState>) -> impl IntoResponse {
    state.process.collect();
    collect_all(&state.collectors).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.handle.render(),
    )
}

/// Runs the collectors concurrently, so the slowest one bounds the scrape.
async fn collect_all(collectors: &[Arc<dyn ScrapeCollector>]) {
    let mut set = tokio::task::JoinSet::new();
    for collector in collectors {
        let collector = Arc::clone(collector);
        set.spawn(async move { collector.collect().await });
    }
    while set.join_next().await.is_some() {}
}

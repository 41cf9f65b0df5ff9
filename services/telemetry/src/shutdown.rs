//! Graceful shutdown: SIGTERM (Docker, Kubernetes) and SIGINT (Ctrl-C) both stop
//! accepting new connections and let in-flight requests finish.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How long in-flight requests may take to finish after the signal, kept under
/// Docker's default 10 s stop timeout so the drain ends before a SIGKILL.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(9);

/// Resolves when the process receives SIGTERM or SIGINT.
pub async fn signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// A token cancelled when `shutdown` resolves, to hand to every server and worker
/// of a process so they stop together.
pub fn cancel_on(shutdown: impl Future<Output = ()> + Send + 'static) -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        shutdown.await;
        trigger.cancel();
    });
    token
}

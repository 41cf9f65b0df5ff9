//! The HTTP metrics layer's cost per request, in-process and optimised: the same
//! router (the shared layers around a handler that does nothing) called with and
//! without the layer, in interleaved batches on one thread. `cargo xtask bench
//! queue` runs it beside the loopback measurement, where the layer's cost drowns
//! in the run-to-run noise of a shared machine. Prints one `LAYER_JSON` line.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::post;
use telemetry::http::{HttpOptions, finish_router};
use tower::ServiceExt;

const REQUESTS_PER_BATCH: u32 = 200_000;

fn main() {
    let pairs: usize = std::env::args()
        .skip_while(|arg| arg != "--pairs")
        .nth(1)
        .and_then(|pairs| pairs.parse().ok())
        .unwrap_or(5);
    telemetry::metrics::install(&[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let router = |record_metrics| {
        let routes = Router::new().route("/get_ticket", post(|| async { "ok" }));
        let options = HttpOptions {
            record_metrics,
            request_timeout: Duration::from_secs(5),
        };
        finish_router(routes, &options)
    };
    let (with, without) = (router(true), router(false));
    let (mut with_ns, mut without_ns) = (Vec::new(), Vec::new());
    runtime.block_on(async {
        // Warm-up: the first requests create the metric handles.
        batch(&with, 10_000).await;
        batch(&without, 10_000).await;
        for _ in 0..pairs {
            with_ns.push(batch(&with, REQUESTS_PER_BATCH).await);
            without_ns.push(batch(&without, REQUESTS_PER_BATCH).await);
        }
    });
    println!(
        "LAYER_JSON {{\"with_ns\":{:.1},\"without_ns\":{:.1},\"pairs\":{pairs},\"requests_per_batch\":{REQUESTS_PER_BATCH}}}",
        median(with_ns),
        median(without_ns)
    );
}

async fn batch(router: &Router, requests: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..requests {
        let request = Request::post("/get_ticket")
            .body(Body::empty())
            .expect("a valid request");
        let response = router.clone().oneshot(request).await.expect("infallible");
        assert!(response.status().is_success());
    }
    start.elapsed().as_nanos() as f64 / f64::from(requests)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

//! PostgreSQL unreachable at startup, lost while serving, and hung: the process
//! stays up, answers 503 JSON (never a 500, never a hang), and becomes healthy by
//! itself once the database answers again. The machine's PostgreSQL is never
//! stopped: a proxy in front of it is.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use testkit::{TcpProxy, TestDatabase};

use crate::helpers::{Backends, SEEDED_STUDENTS, TestApp, json, spawn_app_with};

/// Pool acquire and query timeouts in these tests.
const DB_TIMEOUT: Duration = Duration::from_millis(500);
/// What a 503 may take at most: both timeouts, plus a margin for a loaded machine.
const MAX_FAILURE_TIME: Duration = Duration::from_millis(2 * 500 + 2_000);

fn postgres_addr(db: &TestDatabase) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], db.port()))
}

async fn app_through(backends: &Backends, proxy: &TcpProxy) -> TestApp {
    let mut config = backends.config();
    config.database_url = Some(backends.db.url_via("127.0.0.1", proxy.port()).into());
    config.database_acquire_timeout_ms = DB_TIMEOUT.as_millis() as u64;
    config.database_query_timeout_ms = DB_TIMEOUT.as_millis() as u64;
    spawn_app_with(config).await
}

/// `/` and `/version` answer 503 JSON quickly; readiness 503 naming PostgreSQL;
/// liveness 200.
async fn assert_unavailable(app: &TestApp) {
    for path in ["/", "/version", "/", "/version"] {
        let start = Instant::now();
        let (status, body) = json(app.get(path).await).await;
        let elapsed = start.elapsed();
        assert_eq!(status, 503, "{path}: {body}");
        let error = body["error"].as_str().expect("an error message");
        assert!(
            error.starts_with("database is unavailable"),
            "{path}: {error}"
        );
        assert!(elapsed < MAX_FAILURE_TIME, "{path} took {elapsed:?}");
    }
    let (status, health) = json(app.get("/healthcheck").await).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "unavailable");
    assert_eq!(health["checks"]["postgres"]["status"], "down");
    assert!(
        health["checks"]["postgres"]["error"].is_string(),
        "{health}"
    );
    assert_eq!(health["checks"]["redis"]["status"], "up");
    assert_eq!(
        app.get("/livez").await.status(),
        200,
        "liveness ignores PostgreSQL"
    );
}

/// Polls `GET /` until it answers 200 with every student; returns how long it took.
async fn wait_for_students(app: &TestApp) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = json(app.get("/").await).await;
        if status == 200 {
            assert_eq!(body.as_array().expect("array").len(), SEEDED_STUDENTS);
            return start.elapsed();
        }
        assert_eq!(status, 503, "only 503 while recovering: {body}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "not recovered within 5 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_without_postgres_and_heals_when_it_comes_up() {
    let backends = Backends::start();
    // Nothing listens on the proxy's port yet: a wrong port, as far as the service knows.
    let mut proxy = TcpProxy::stopped(postgres_addr(&backends.db));
    let app = app_through(&backends, &proxy).await;

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_unavailable(&app).await;
    let (_, health) = json(app.get("/healthcheck").await).await;
    println!("unready: {health}");
    let reason = health["checks"]["postgres"]["error"]
        .as_str()
        .expect("a reason");
    assert!(
        reason.contains("Connection refused"),
        "the reason is given: {reason}"
    );
    // Let the migration retries reach their longest backoff.
    tokio::time::sleep(Duration::from_secs(3)).await;

    proxy.resume();
    let ready = app.wait_ready(Duration::from_secs(5)).await;
    println!("healthy {ready:?} after PostgreSQL came up");
    assert_eq!(
        backends
            .db
            .psql("SELECT count(*) FROM _sqlx_migrations WHERE success"),
        "2",
        "migrations applied, once"
    );
    wait_for_students(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lost_while_serving_then_back() {
    let backends = Backends::start();
    let mut proxy = TcpProxy::start(postgres_addr(&backends.db));
    let app = app_through(&backends, &proxy).await;
    app.wait_ready(Duration::from_secs(10)).await;
    wait_for_students(&app).await;

    proxy.stop();
    assert_unavailable(&app).await;

    proxy.resume();
    let recovery = wait_for_students(&app).await;
    println!("recovered {recovery:?} after PostgreSQL came back");
    app.wait_ready(Duration::from_secs(5)).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hung_answers_503_instead_of_hanging() {
    let backends = Backends::start();
    let proxy = TcpProxy::start(postgres_addr(&backends.db));
    let app = app_through(&backends, &proxy).await;
    app.wait_ready(Duration::from_secs(10)).await;
    wait_for_students(&app).await;

    proxy.freeze();
    assert_unavailable(&app).await;

    proxy.thaw();
    let recovery = wait_for_students(&app).await;
    println!("recovered {recovery:?} after PostgreSQL answered again");
    app.stop().await;
}

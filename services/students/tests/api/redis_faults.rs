//! Redis killed, hung (SIGSTOP: the case the circuit breaker exists for) and full:
//! 200 consecutive `GET /` all answer 200 without `views`, almost none of them pays
//! the Redis timeout once the breaker is open, the degraded counter counts them,
//! and views come back by themselves once Redis does.
//!
//! The bounds are loose on purpose: they prove that nothing hangs and that the
//! breaker works, not how fast the service is (that is the benchmark's business).

use std::time::{Duration, Instant};

use crate::helpers::{Backends, SEEDED_STUDENTS, TestApp, json, spawn_app_with, views};

/// Redis response (and connect) timeout in these tests: long enough that a request
/// paying it is unmistakable on a loaded machine.
const REDIS_TIMEOUT: Duration = Duration::from_millis(400);
/// How long the breaker stays open before a trial.
const BREAKER_OPEN: Duration = Duration::from_millis(1_000);
const REQUESTS: usize = 200;
/// "A handful": the failures that open the breaker, plus one trial per open period.
const MAX_SLOW: usize = 10;

async fn app_with_breaker(backends: &Backends) -> TestApp {
    let mut config = backends.config();
    config.redis_connect_timeout_ms = REDIS_TIMEOUT.as_millis() as u64;
    config.redis_response_timeout_ms = REDIS_TIMEOUT.as_millis() as u64;
    config.redis_breaker_failures = 3;
    config.redis_breaker_open_ms = BREAKER_OPEN.as_millis() as u64;
    let app = spawn_app_with(config).await;
    app.wait_ready(Duration::from_secs(10)).await;
    let (status, body) = json(app.get("/").await).await;
    assert_eq!(status, 200);
    assert!(views(&body)[0].is_some(), "views while Redis is healthy");
    app
}

/// 200 consecutive requests: all 200 without views, few slow, all counted; the
/// readiness check stays 200 and reports Redis as `redis_health`.
async fn assert_degraded_but_fast(app: &TestApp, redis_health: &str) {
    let degraded_before = app.degraded_total().await;
    let start = Instant::now();
    let mut slow = Vec::new();
    for request in 0..REQUESTS {
        let sent = Instant::now();
        let (status, body) = json(app.get("/").await).await;
        let elapsed = sent.elapsed();
        assert_eq!(status, 200, "request {request}: {body}");
        assert_eq!(
            views(&body),
            vec![None; SEEDED_STUDENTS],
            "request {request}: no views key at all"
        );
        if elapsed > REDIS_TIMEOUT / 2 {
            slow.push((request, elapsed));
        }
    }
    let total = start.elapsed();
    println!("{REQUESTS} degraded requests in {total:?}; slow ones: {slow:?}");
    assert!(
        slow.len() <= MAX_SLOW,
        "{} of {REQUESTS} requests paid the Redis timeout: {slow:?}",
        slow.len()
    );
    // Without the breaker the hung case alone would take 200 x 400 ms = 80 s.
    assert!(total < Duration::from_secs(20), "took {total:?}");
    let counted = app.degraded_total().await - degraded_before;
    assert!(
        counted >= REQUESTS as f64,
        "students_cache_degraded_responses_total grew by {counted}"
    );

    let (status, health) = json(app.get("/healthcheck").await).await;
    assert_eq!(status, 200, "Redis is optional: {health}");
    assert_eq!(health["checks"]["redis"]["status"], redis_health);
}

/// Polls until answers carry views again; returns how long it took.
async fn wait_for_views(app: &TestApp) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = json(app.get("/").await).await;
        assert_eq!(status, 200);
        if views(&body)[0].is_some() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "views did not come back within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_then_restarted() {
    let mut backends = Backends::start();
    let app = app_with_breaker(&backends).await;

    backends.redis.kill();
    assert_degraded_but_fast(&app, "down").await;

    tokio::task::block_in_place(|| backends.redis.restart());
    let recovery = wait_for_views(&app).await;
    println!("views back {recovery:?} after Redis restarted");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_hung_then_resumed() {
    let backends = Backends::start();
    let app = app_with_breaker(&backends).await;

    backends.redis.pause();
    assert_degraded_but_fast(&app, "down").await;

    backends.redis.resume();
    let recovery = wait_for_views(&app).await;
    println!("views back {recovery:?} after Redis resumed");
    let (_, body) = json(app.get("/").await).await;
    assert!(views(&body)[0].is_some());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_full_then_freed() {
    let backends = Backends::start();
    let app = app_with_breaker(&backends).await;

    // noeviction with a 1-byte limit: Redis refuses every write (OOM), reads still work.
    let full = backends
        .redis
        .command(&["CONFIG", "SET", "maxmemory", "1"])
        .expect("reply");
    assert!(full.starts_with("+OK"), "{full}");
    // PING still works on a full Redis: only the counter is refused.
    assert_degraded_but_fast(&app, "up").await;

    backends
        .redis
        .command(&["CONFIG", "SET", "maxmemory", "0"])
        .expect("reply");
    let recovery = wait_for_views(&app).await;
    println!("views back {recovery:?} after Redis was freed");
    app.stop().await;
}

//! The scrape: promtool-clean, every contract metric with its labels, route
//! templates instead of raw paths, queue gauges read from Redis at scrape time.

use std::collections::BTreeSet;

use testkit::RedisServer;
use testkit::exposition::{Sample, find, parse};

use crate::helpers::{json, spawn_app};

fn label_names(samples: &[Sample], name: &str) -> BTreeSet<String> {
    samples
        .iter()
        .filter(|sample| sample.name == name)
        .flat_map(|sample| sample.labels.keys().cloned())
        .collect()
}

fn names(expected: &[&str]) -> BTreeSet<String> {
    expected.iter().map(|name| (*name).to_owned()).collect()
}

#[tokio::test]
async fn scrape_is_clean_and_complete() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    for _ in 0..3 {
        app.post("/get_ticket").await;
    }
    app.post("/call_ticket").await;
    app.get("/list_tickets").await;
    app.get_anonymous("/get_ticket").await; // 401
    app.get("/nope").await; // 404

    let text = app.scrape().await;
    if let Err(report) = testkit::check_metrics(&text) {
        panic!("promtool check metrics is not clean:\n{report}\n--- scrape ---\n{text}");
    }
    let samples = parse(&text);

    let http = "http_server_request_duration_seconds_bucket";
    assert_eq!(
        label_names(&samples, http),
        names(&[
            "http_request_method",
            "http_route",
            "http_response_status_code",
            "le"
        ])
    );
    assert_eq!(
        find(
            &samples,
            "http_server_request_duration_seconds_count",
            &[
                ("http_route", "/get_ticket"),
                ("http_response_status_code", "201")
            ]
        )[0]
        .value,
        3.0
    );
    assert!(
        !find(&samples, http, &[("http_response_status_code", "401")]).is_empty(),
        "refused requests are measured too"
    );
    assert_eq!(
        label_names(&samples, "http_server_active_requests"),
        names(&["http_request_method"])
    );

    let db = "db_client_operation_duration_seconds_bucket";
    assert_eq!(
        label_names(&samples, db),
        names(&["db_operation_name", "db_system_name", "error_type", "le"])
    );
    for operation in ["issue_ticket", "call_ticket", "list_tickets", "queue_stats"] {
        let ok = find(
            &samples,
            db,
            &[
                ("db_system_name", "redis"),
                ("db_operation_name", operation),
                ("error_type", ""),
            ],
        );
        assert!(!ok.is_empty(), "db timing for {operation}");
    }

    let queue = [("queue", "DEFAULT")];
    assert_eq!(
        find(&samples, "queue_tickets_waiting", &queue)[0].value,
        2.0
    );
    assert!(find(&samples, "queue_oldest_ticket_age_seconds", &queue)[0].value >= 0.0);
    assert_eq!(
        find(&samples, "queue_tickets_issued_total", &queue)[0].value,
        3.0
    );
    assert_eq!(
        find(&samples, "queue_tickets_called_total", &queue)[0].value,
        1.0
    );
    assert_eq!(
        find(&samples, "queue_ticket_wait_seconds_count", &queue)[0].value,
        1.0
    );
    assert!(
        !find(&samples, "queue_ticket_wait_seconds_bucket", &queue).is_empty(),
        "a real histogram"
    );

    for process in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert_eq!(find(&samples, process, &[]).len(), 1, "{process}");
    }
    let build = find(&samples, "vigie_build_info", &[("app", "queue-service")]);
    assert_eq!(build[0].value, 1.0);
    assert_eq!(build[0].labels["version"], env!("CARGO_PKG_VERSION"));

    // The target labels belong to Prometheus; exporting them would create exported_* labels.
    for sample in &samples {
        for reserved in ["platform", "service", "instance", "job"] {
            assert!(
                !sample.labels.contains_key(reserved),
                "{} exports `{reserved}`",
                sample.name
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn random_paths_do_not_create_series() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    for i in 0..25 {
        app.get(&format!("/scan/{i}/{}", fastrand::u64(..))).await;
    }
    let samples = parse(&app.scrape().await);
    let routes: BTreeSet<&str> = find(&samples, "http_server_request_duration_seconds_count", &[])
        .iter()
        .map(|sample| sample.labels["http_route"].as_str())
        .collect();
    assert_eq!(
        routes,
        BTreeSet::from(["unmatched"]),
        "one label value for all unknown paths"
    );
    app.stop().await;
}

#[tokio::test]
async fn replicas_report_the_same_queue_size() {
    let redis = RedisServer::start();
    let (first, second) = (spawn_app(&redis).await, spawn_app(&redis).await);
    for _ in 0..4 {
        first.post("/get_ticket").await;
    }
    let (status, _) = json(second.post("/call_ticket").await).await;
    assert_eq!(status, 200);
    for replica in [&first, &second] {
        let samples = parse(&replica.scrape().await);
        assert_eq!(
            find(&samples, "queue_tickets_waiting", &[("queue", "DEFAULT")])[0].value,
            3.0
        );
    }
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn the_api_port_has_no_metrics() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    assert_eq!(app.get_anonymous("/metrics").await.status(), 404);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_failures_are_timed_with_their_error_type() {
    let mut redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    redis.kill();
    assert_eq!(app.post("/get_ticket").await.status(), 503);
    let samples = parse(&app.scrape().await);
    let failed: Vec<&str> = find(
        &samples,
        "db_client_operation_duration_seconds_count",
        &[("db_operation_name", "issue_ticket")],
    )
    .iter()
    .map(|sample| sample.labels["error_type"].as_str())
    .collect();
    assert!(
        failed
            .iter()
            .any(|kind| *kind == "connection" || *kind == "timeout"),
        "{failed:?}"
    );
    app.stop().await;
}

//! The scrape: promtool-clean, every contract metric with its labels, the DB
//! timings of both systems, the degraded counter, route templates only.

use std::collections::BTreeSet;

use testkit::exposition::{Sample, find, parse};

use crate::helpers::{Backends, json, spawn_app};

fn label_names(samples: &[Sample], name: &str) -> BTreeSet<String> {
    samples
        .iter()
        .filter(|sample| sample.name == name)
        .flat_map(|sample| sample.labels.keys().cloned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_is_clean_and_complete() {
    let mut backends = Backends::start();
    let app = spawn_app(&backends).await;
    for _ in 0..3 {
        assert_eq!(app.get("/").await.status(), 200);
    }
    app.get("/version").await;
    app.get("/nope").await;
    backends.redis.kill();
    let (status, _) = json(app.get("/").await).await;
    assert_eq!(status, 200);

    let text = app.scrape().await;
    if let Err(report) = testkit::check_metrics(&text) {
        panic!("promtool check metrics is not clean:\n{report}\n--- scrape ---\n{text}");
    }
    let samples = parse(&text);

    let http_count = "http_server_request_duration_seconds_count";
    assert_eq!(
        label_names(&samples, "http_server_request_duration_seconds_bucket"),
        [
            "http_request_method",
            "http_route",
            "http_response_status_code",
            "le"
        ]
        .map(str::to_owned)
        .into()
    );
    let root = find(
        &samples,
        http_count,
        &[("http_route", "/"), ("http_response_status_code", "200")],
    );
    assert_eq!(root[0].value, 4.0);
    let routes: BTreeSet<&str> = find(&samples, http_count, &[])
        .iter()
        .map(|s| s.labels["http_route"].as_str())
        .collect();
    assert!(
        routes.contains("unmatched") && !routes.contains("/nope"),
        "{routes:?}"
    );

    let db = "db_client_operation_duration_seconds_bucket";
    assert_eq!(
        label_names(&samples, db),
        ["db_operation_name", "db_system_name", "error_type", "le"]
            .map(str::to_owned)
            .into()
    );
    for (system, operation) in [
        ("postgresql", "list_students"),
        ("postgresql", "version"),
        ("postgresql", "ping"),
        ("redis", "incr_views"),
        ("redis", "ping"),
    ] {
        let ok = find(
            &samples,
            db,
            &[
                ("db_system_name", system),
                ("db_operation_name", operation),
                ("error_type", ""),
            ],
        );
        assert!(!ok.is_empty(), "{system} {operation} timed");
    }
    let failed: Vec<&str> = find(
        &samples,
        "db_client_operation_duration_seconds_count",
        &[
            ("db_system_name", "redis"),
            ("db_operation_name", "incr_views"),
        ],
    )
    .iter()
    .map(|s| s.labels["error_type"].as_str())
    .filter(|kind| !kind.is_empty())
    .collect();
    assert!(
        !failed.is_empty(),
        "the failed INCR is timed with its error type"
    );

    let degraded = find(&samples, "students_cache_degraded_responses_total", &[]);
    assert_eq!(degraded.len(), 1);
    assert_eq!(degraded[0].value, 1.0);
    assert!(degraded[0].labels.is_empty(), "no labels");

    for process in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert_eq!(find(&samples, process, &[]).len(), 1, "{process}");
    }
    let build = find(&samples, "vigie_build_info", &[("app", "students-service")]);
    assert_eq!(build[0].value, 1.0);
    for sample in &samples {
        for reserved in ["platform", "service", "instance", "job"] {
            assert!(
                !sample.labels.contains_key(reserved),
                "{} exports {reserved}",
                sample.name
            );
        }
    }
    app.stop().await;
}

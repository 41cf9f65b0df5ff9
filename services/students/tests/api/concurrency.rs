//! The view counter under concurrency: 50 requests at once count exactly 50 views,
//! each request sees its own value, the same in every object of its answer.

use std::collections::BTreeSet;

use crate::helpers::{Backends, SEEDED_STUDENTS, json, spawn_app, views};

const REQUESTS: i64 = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_count_fifty_views() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;
    let (_, body) = json(app.get("/").await).await;
    let before = views(&body)[0].expect("views");

    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..REQUESTS {
        let request = app.client.get(app.url("/"));
        requests.spawn(async move { json(request.send().await.expect("sent")).await });
    }
    let mut seen = BTreeSet::new();
    while let Some(result) = requests.join_next().await {
        let (status, body) = result.expect("request task");
        assert_eq!(status, 200, "{body}");
        let values = views(&body);
        assert_eq!(values.len(), SEEDED_STUDENTS);
        let first = values[0].expect("views present");
        assert!(
            values.iter().all(|v| *v == Some(first)),
            "one value per answer: {values:?}"
        );
        assert!(seen.insert(first), "{first} was handed out twice");
    }
    let expected: BTreeSet<i64> = (before + 1..=before + REQUESTS).collect();
    assert_eq!(seen, expected, "exactly one increment per request");
    let total = (before + REQUESTS).to_string();
    assert_eq!(
        backends.redis.command(&["GET", "students:views"]),
        Some(format!("${}\r\n{total}\r\n", total.len()))
    );
    app.stop().await;
}

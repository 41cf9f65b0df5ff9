//! The queue routes against a real Redis.

use serde_json::Value;
use testkit::RedisServer;

use crate::helpers::{json, spawn_app, spawn_app_with, test_config};

#[tokio::test]
async fn get_ticket_issues_increasing_numbers_with_their_issue_time() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;

    let (status, first) = json(app.post("/get_ticket").await).await;
    assert_eq!(status, 201);
    assert_eq!(first["queue"], "DEFAULT");
    assert_eq!(first["ticket"], 1);
    assert_eq!(first["waiting"], 1);
    let issued_at = first["issued_at"].as_str().expect("issued_at is a string");
    assert!(issued_at.parse::<jiff::Timestamp>().is_ok(), "{issued_at}");

    let (_, second) = json(app.post("/get_ticket").await).await;
    assert_eq!(second["ticket"], 2);
    assert_eq!(second["waiting"], 2);
    app.stop().await;
}

#[tokio::test]
async fn tickets_are_called_first_in_first_out() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    for _ in 0..5 {
        assert_eq!(app.post("/get_ticket").await.status(), 201);
    }
    for (expected, left) in (1..=5).zip((0..5).rev()) {
        let (status, called) = json(app.post("/call_ticket").await).await;
        assert_eq!(status, 200);
        assert_eq!(called["ticket"], expected);
        assert_eq!(called["waiting"], left);
        assert!(called["waited_seconds"].as_f64().expect("waited_seconds") >= 0.0);
    }
    app.stop().await;
}

#[tokio::test]
async fn calling_an_empty_queue_answers_a_null_ticket() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    let (status, called) = json(app.post("/call_ticket").await).await;
    assert_eq!(status, 200);
    assert_eq!(called["ticket"], Value::Null);
    assert_eq!(called["waiting"], 0);
    assert_eq!(called["waited_seconds"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn list_tickets_shows_who_waits_oldest_first() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    let (status, empty) = json(app.get("/list_tickets").await).await;
    assert_eq!(status, 200);
    assert_eq!(empty["waiting"], 0);
    assert_eq!(empty["tickets"], serde_json::json!([]));

    for _ in 0..3 {
        app.post("/get_ticket").await;
    }
    app.post("/call_ticket").await;
    let (_, listing) = json(app.get("/list_tickets").await).await;
    assert_eq!(listing["queue"], "DEFAULT");
    assert_eq!(listing["waiting"], 2);
    let numbers: Vec<u64> = listing["tickets"]
        .as_array()
        .expect("tickets array")
        .iter()
        .map(|ticket| ticket["ticket"].as_u64().expect("number"))
        .collect();
    assert_eq!(numbers, [2, 3]);
    assert!(listing["tickets"][0]["issued_at"].is_string());

    let (_, cut) = json(app.get("/list_tickets?limit=1").await).await;
    assert_eq!(
        cut["waiting"], 2,
        "waiting is the total even when the list is cut"
    );
    assert_eq!(cut["tickets"].as_array().expect("array").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn invalid_list_limits_are_refused_with_a_reason() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    for query in ["limit=0", "limit=10001", "limit=abc", "limit=-1"] {
        let (status, body) = json(app.get(&format!("/list_tickets?{query}")).await).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{query}: {body}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn get_is_accepted_for_clients_of_the_original_application() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    let (status, issued) = json(app.get("/get_ticket").await).await;
    assert_eq!((status, issued["ticket"].as_u64()), (201, Some(1)));
    let (status, called) = json(app.get("/call_ticket").await).await;
    assert_eq!((status, called["ticket"].as_u64()), (200, Some(1)));
    app.stop().await;
}

#[tokio::test]
async fn keys_follow_the_contract_and_legacy_entries_are_served() {
    let redis = RedisServer::start();
    let mut config = test_config(&redis);
    config.queue_name = queue_service::queue_name::QueueName::parse("rubis").expect("valid");
    let app = spawn_app_with(config).await;
    let (_, issued) = json(app.post("/get_ticket").await).await;
    assert_eq!(issued["queue"], "rubis");
    assert!(
        redis
            .command(&["GET", "queue:rubis:seq"])
            .expect("reply")
            .contains("\r\n1\r\n")
    );
    // An entry written by the original application: a bare number, no issue time.
    redis
        .command(&["RPUSH", "queue:rubis:tickets", "99"])
        .expect("reply");

    let (_, listing) = json(app.get("/list_tickets").await).await;
    assert_eq!(listing["tickets"][1]["ticket"], 99);
    assert_eq!(listing["tickets"][1]["issued_at"], Value::Null);
    app.post("/call_ticket").await;
    let (_, legacy) = json(app.post("/call_ticket").await).await;
    assert_eq!(legacy["ticket"], 99);
    assert_eq!(legacy["waited_seconds"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn health_routes_report_redis_and_liveness() {
    let redis = RedisServer::start();
    let app = spawn_app(&redis).await;
    let (status, health) = json(app.get_anonymous("/healthcheck").await).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["checks"]["redis"]["status"], "up");
    let (status, live) = json(app.get_anonymous("/livez").await).await;
    assert_eq!((status, live["status"].as_str()), (200, Some("ok")));
    app.stop().await;
}

//! Two replicas of one queue sharing one Redis: under concurrent clients every
//! issued ticket is called exactly once.

use std::collections::BTreeSet;
use std::sync::Arc;

use testkit::RedisServer;

use crate::helpers::{TestApp, json, spawn_app};

const CLIENTS: usize = 8;
const OPERATIONS: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_sharing_redis_never_lose_or_duplicate_a_ticket() {
    let redis = RedisServer::start();
    let replicas = Arc::new([spawn_app(&redis).await, spawn_app(&redis).await]);

    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let replicas = Arc::clone(&replicas);
        clients.spawn(async move {
            let (mut issued, mut called) = (Vec::new(), Vec::new());
            for _ in 0..OPERATIONS / CLIENTS {
                let replica: &TestApp = &replicas[fastrand::usize(0..2)];
                if fastrand::bool() {
                    let (status, body) = json(replica.post("/get_ticket").await).await;
                    assert_eq!(status, 201, "client {client}: {body}");
                    issued.push(body["ticket"].as_u64().expect("ticket"));
                } else {
                    let (status, body) = json(replica.post("/call_ticket").await).await;
                    assert_eq!(status, 200, "client {client}: {body}");
                    called.extend(body["ticket"].as_u64());
                }
            }
            (issued, called)
        });
    }
    let (mut issued, mut called) = (Vec::new(), Vec::new());
    while let Some(result) = clients.join_next().await {
        let (client_issued, client_called) = result.expect("client task");
        issued.extend(client_issued);
        called.extend(client_called);
    }
    // Call whatever is left, alternating replicas.
    for replica in replicas.iter().cycle() {
        let (_, body) = json(replica.post("/call_ticket").await).await;
        match body["ticket"].as_u64() {
            Some(ticket) => called.push(ticket),
            None => break,
        }
    }

    let issued_set: BTreeSet<u64> = issued.iter().copied().collect();
    let called_set: BTreeSet<u64> = called.iter().copied().collect();
    assert_eq!(
        issued_set.len(),
        issued.len(),
        "a ticket number was issued twice"
    );
    assert_eq!(called_set.len(), called.len(), "a ticket was called twice");
    assert_eq!(issued_set, called_set, "issued and called tickets differ");
    let expected: BTreeSet<u64> = (1..=issued.len() as u64).collect();
    assert_eq!(issued_set, expected, "numbers are consecutive from 1");
    println!(
        "{} tickets issued and called exactly once by {CLIENTS} clients over 2 replicas",
        issued.len()
    );

    let replicas = Arc::into_inner(replicas).expect("clients are done");
    for replica in replicas {
        replica.stop().await;
    }
}

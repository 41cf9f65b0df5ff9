//! A scripted homeserver, only for failures a real Synapse cannot produce on
//! demand: 429 with a wait, 500, a hang, and a lost response (the request is
//! forwarded to a real Synapse, which posts the event, and the answer never comes).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use serde_json::json;

/// What the mock does with one send request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 (forwarded to the real homeserver when there is one).
    Ok,
    /// 429 `M_LIMIT_EXCEEDED`, with `retry_after_ms` and/or a `Retry-After` header.
    RateLimited {
        retry_after_ms: Option<u64>,
        header_seconds: Option<u64>,
    },
    /// 500.
    ServerError,
    /// Never answers.
    Hang,
    /// Forwards to the real homeserver (the event is posted), then never answers.
    ForwardThenHang,
}

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub txn_id: String,
}

#[derive(Clone)]
struct Shared {
    script: Arc<Mutex<VecDeque<Behaviour>>>,
    fallback: Arc<Mutex<Behaviour>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    upstream: Option<String>,
    client: reqwest::Client,
}

/// A running mock homeserver.
pub struct MockMatrix {
    pub addr: SocketAddr,
    shared: Shared,
}

impl MockMatrix {
    /// Starts a mock that plays `script`, then `Ok`; forwards to `upstream` when given.
    pub async fn start(script: Vec<Behaviour>, upstream: Option<String>) -> Self {
        let shared = Shared {
            script: Arc::new(Mutex::new(script.into())),
            fallback: Arc::new(Mutex::new(Behaviour::Ok)),
            seen: Arc::default(),
            upstream,
            client: reqwest::Client::new(),
        };
        let router = Router::new()
            .route(
                "/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}",
                put(send),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("mock server");
        let addr = listener.local_addr().expect("mock server");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the mock does once its script is played.
    pub fn set_fallback(&self, behaviour: Behaviour) {
        *self.shared.fallback.lock().expect("mock state") = behaviour;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("mock state").clone()
    }

    /// Waits until `count` requests were received.
    pub async fn wait_for_requests(&self, count: usize, timeout: Duration) -> Vec<Seen> {
        let start = Instant::now();
        while self.seen().len() < count {
            assert!(
                start.elapsed() < timeout,
                "{} of {count} requests after {timeout:?}",
                self.seen().len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.seen()
    }
}

/// The gaps between consecutive requests.
pub fn gaps(seen: &[Seen]) -> Vec<Duration> {
    seen.windows(2)
        .map(|pair| pair[1].at - pair[0].at)
        .collect()
}

async fn send(
    State(shared): State<Shared>,
    Path((room, txn)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.seen.lock().expect("mock state").push(Seen {
        at: Instant::now(),
        txn_id: txn.clone(),
    });
    let behaviour = shared
        .script
        .lock()
        .expect("mock server")
        .pop_front()
        .unwrap_or_else(|| shared.fallback.lock().expect("mock state").clone());
    match behaviour {
        Behaviour::Ok => match &shared.upstream {
            Some(_) => forward(&shared, &room, &txn, &headers, body).await,
            None => (
                StatusCode::OK,
                axum::Json(json!({"event_id": format!("$mock-{txn}")})),
            )
                .into_response(),
        },
        Behaviour::RateLimited {
            retry_after_ms,
            header_seconds,
        } => {
            let mut body = json!({"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests"});
            if let Some(ms) = retry_after_ms {
                body["retry_after_ms"] = json!(ms);
            }
            let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            if let Some(seconds) = header_seconds {
                response.headers_mut().insert(
                    "retry-after",
                    seconds.to_string().parse().expect("mock server"),
                );
            }
            response
        }
        Behaviour::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"errcode": "M_UNKNOWN", "error": "Internal server error"})),
        )
            .into_response(),
        Behaviour::Hang => std::future::pending().await,
        Behaviour::ForwardThenHang => {
            let response = forward(&shared, &room, &txn, &headers, body).await;
            assert!(
                response.status().is_success(),
                "the real homeserver took the event"
            );
            std::future::pending().await
        }
    }
}

async fn forward(
    shared: &Shared,
    room: &str,
    txn: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let upstream = shared.upstream.as_deref().expect("an upstream homeserver");
    let room = room.replace('!', "%21").replace(':', "%3A");
    let response = shared
        .client
        .put(format!(
            "{upstream}/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"
        ))
        .header(
            "authorization",
            headers.get("authorization").cloned().expect("a token"),
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the real homeserver answers");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("mock server");
    (status, response.text().await.expect("mock server")).into_response()
}

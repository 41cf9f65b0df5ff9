//! `spawn_app`: the real application in-process, with a client that knows its key.

use std::net::SocketAddr;

use queue_service::{Application, Config};
use reqwest::{Client, Response};
use testkit::RedisServer;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The key every test app accepts.
pub const API_KEY: &str = "test-key-0123456789abcdef";

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub client: Client,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

/// Starts the application against `redis` with the default test settings.
pub async fn spawn_app(redis: &RedisServer) -> TestApp {
    spawn_app_with(test_config(redis)).await
}

/// The default test settings against `redis`.
pub fn test_config(redis: &RedisServer) -> Config {
    Config::for_test(&redis.url(), API_KEY)
}

/// Starts the application with `config`.
pub async fn spawn_app_with(config: Config) -> TestApp {
    telemetry::init_for_test();
    let app = Application::build(config)
        .await
        .expect("the application builds");
    let addr = app.api_addr();
    let metrics_addr = app.metrics_addr();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone().cancelled_owned()));
    TestApp {
        addr,
        metrics_addr,
        client: Client::new(),
        shutdown,
        task,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// An authenticated POST.
    pub async fn post(&self, path: &str) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("request sent")
    }

    /// An authenticated GET.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("request sent")
    }

    /// A GET without credentials.
    pub async fn get_anonymous(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// The `/metrics` text.
    pub async fn scrape(&self) -> String {
        let url = format!("http://{}/metrics", self.metrics_addr);
        self.client
            .get(url)
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("scrape body")
    }

    /// Stops the application and waits for it.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task
            .await
            .expect("app task")
            .expect("app stopped cleanly");
    }
}

/// Status and JSON body of a response.
pub async fn json(response: Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

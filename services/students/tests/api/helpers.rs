//! `spawn_app`: the real application in-process, against a fresh database and a
//! private Redis, waited for until ready (migrations applied).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::{Client, Response};
use students_service::{Application, Config};
use testkit::{RedisServer, TestDatabase};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub client: Client,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

/// A fresh database and a private Redis for one test.
pub struct Backends {
    pub db: TestDatabase,
    pub redis: RedisServer,
}

impl Backends {
    pub fn start() -> Self {
        Self {
            db: TestDatabase::create(),
            redis: RedisServer::start(),
        }
    }

    /// The default test settings against these backends.
    pub fn config(&self) -> Config {
        Config::for_test(&self.db.url(), &self.redis.url())
    }
}

/// Starts the application against `backends` and waits until it is ready.
pub async fn spawn_app(backends: &Backends) -> TestApp {
    let app = spawn_app_with(backends.config()).await;
    app.wait_ready(Duration::from_secs(10)).await;
    app
}

/// Starts the application with `config`, without waiting for its dependencies.
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
        client: Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client"),
        shutdown,
        task,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post(&self, path: &str) -> Response {
        self.client
            .post(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Polls `/healthcheck` until it answers 200; returns how long it took.
    pub async fn wait_ready(&self, timeout: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let (status, body) = json(self.get("/healthcheck").await).await;
            if status == 200 {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < timeout,
                "not ready within {timeout:?}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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

    /// `students_cache_degraded_responses_total` right now.
    pub async fn degraded_total(&self) -> f64 {
        let samples = testkit::exposition::parse(&self.scrape().await);
        testkit::exposition::find(&samples, "students_cache_degraded_responses_total", &[])
            .first()
            .map_or(0.0, |sample| sample.value)
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
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("not JSON ({error}), status {status}: {text:?}"));
    (status, body)
}

/// The `views` of every object of a `GET /` answer (`None` where absent).
pub fn views(body: &serde_json::Value) -> Vec<Option<i64>> {
    body.as_array()
        .expect("a JSON array")
        .iter()
        .map(|student| {
            student
                .get("views")
                .map(|v| v.as_i64().expect("views is an integer"))
        })
        .collect()
}

/// The students seeded by the migrations.
pub const SEEDED_STUDENTS: usize = 8;

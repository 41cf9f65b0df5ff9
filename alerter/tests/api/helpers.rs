//! `spawn_app`: the real application in-process on a fresh SQLite outbox, and
//! builders for Alertmanager-shaped webhooks.

use std::net::SocketAddr;
use std::time::Duration;

use alerter::outbox::Outbox;
use alerter::{Application, Config};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use tempfile::TempDir;
use testkit::{MatrixUser, SmtpServer, Synapse};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The token every test app accepts.
pub const TOKEN: &str = "alertmanager-test-token-0123456789";

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub client: Client,
    pub outbox: Outbox,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    _dir: Option<TempDir>,
}

/// Test settings with a fresh SQLite outbox in a temporary directory.
pub fn test_config() -> (Config, TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("outbox.db").display());
    (Config::for_test(&url, TOKEN), dir)
}

/// Sends e-mail to `smtp`.
pub fn with_email(config: &mut Config, smtp: &SmtpServer) {
    config.smtp_url = Some(smtp.url().into());
    config.email_from = Some("Vigie <alerts@vigie.test>".to_owned());
    config.email_to = Some("ops@vigie.test, oncall@vigie.test".to_owned());
}

/// Posts to `room` on the homeserver at `url` as `user`.
pub fn with_matrix(config: &mut Config, url: &str, user: &MatrixUser, room: &str) {
    config.matrix_homeserver = Some(url.to_owned());
    config.matrix_access_token = Some(user.access_token.clone().into());
    config.matrix_room_id = Some(room.to_owned());
}

/// A homeserver, the alerter's account on it and a room.
pub fn synapse_room() -> (Synapse, MatrixUser, String) {
    let synapse = Synapse::start();
    let user = synapse.register("alerter");
    let room = synapse.create_room(&user);
    (synapse, user, room)
}

/// Starts the application with `config` (its outbox directory kept alive).
pub async fn spawn_app(config: Config, dir: TempDir) -> TestApp {
    let mut app = spawn_app_with(config).await;
    app._dir = Some(dir);
    app
}

/// Starts the application with `config`.
pub async fn spawn_app_with(config: Config) -> TestApp {
    telemetry::init_for_test();
    let app = Application::build(config)
        .await
        .expect("the application builds");
    let addr = app.api_addr();
    let metrics_addr = app.metrics_addr();
    let outbox = app.outbox();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone().cancelled_owned()));
    TestApp {
        addr,
        metrics_addr,
        client: Client::new(),
        outbox,
        shutdown,
        task,
        _dir: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Posts `body` as Alertmanager does.
    pub async fn post_webhook(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/webhook"))
            .bearer_auth(TOKEN)
            .json(body)
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

    /// Waits until `channel` has `count` deliveries in `state`.
    pub async fn wait_for_state(&self, channel: &str, state: &str, count: i64, timeout: Duration) {
        let start = std::time::Instant::now();
        loop {
            let now = self
                .outbox
                .delivery_count(channel, state)
                .await
                .expect("count");
            if now >= count {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "{channel}: {now}/{count} {state} after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
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

/// One alert as Alertmanager 0.25 sends it.
pub fn alert(status: &str, labels: Value, annotations: Value) -> Value {
    let resolved = status == "resolved";
    json!({
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": "2026-11-21T22:30:58.821009494Z",
        "endsAt": if resolved { "2026-11-21T22:45:03.1Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus:9090/graph?g0.expr=rate%28errors%5B5m%5D%29",
        "fingerprint": format!("{:016x}", fingerprint(&labels)),
    })
}

/// A `HighErrorRate` group on queue rubis in prod, with one alert per instance.
pub fn high_error_rate(status: &str, instances: &[&str]) -> Value {
    let alerts: Vec<Value> = instances
        .iter()
        .map(|instance| {
            alert(
                status,
                json!({"alertname": "HighErrorRate", "severity": "critical", "platform": "prod",
                       "service": "queue-rubis", "queue": "rubis", "instance": instance}),
                json!({"summary": "Too many errors on queue rubis",
                       "description": "5% of requests fail",
                       "runbook_url": "https://vigie.test/runbooks#higherrorrate",
                       "dashboard_url": "https://grafana.vigie.test/d/queue"}),
            )
        })
        .collect();
    group(status, "HighErrorRate", alerts)
}

/// A webhook body for `alerts`, grouped by `alertname`.
pub fn group(status: &str, alertname: &str, alerts: Vec<Value>) -> Value {
    let common = alerts
        .first()
        .map(|alert| alert["labels"].clone())
        .unwrap_or_else(|| json!({}));
    json!({
        "receiver": "alerter",
        "status": status,
        "alerts": alerts,
        "groupLabels": {"alertname": alertname},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.vigie.test:9093",
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{alertname}\"}}"),
        "truncatedAlerts": 0
    })
}

fn fingerprint(labels: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    labels.to_string().hash(&mut hasher);
    hasher.finish()
}

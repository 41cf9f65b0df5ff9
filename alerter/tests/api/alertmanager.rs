//! A real Alertmanager 0.25 (Debian's `prometheus-alertmanager`) in front of the
//! alerter, configured as `prometheus/alertmanager.yml` does it: bearer token from
//! `credentials_file`, `send_resolved`. Its firing and resolved notifications
//! arrive as e-mails.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use testkit::SmtpServer;

use crate::helpers::{TOKEN, spawn_app, test_config, with_email};
use crate::mime::Email;

struct Alertmanager {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_alertmanager(webhook: &str) -> Alertmanager {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    // As a Docker secret usually is: with a trailing newline.
    std::fs::write(&token, format!("{TOKEN}\n")).expect("token file");
    let config = format!(
        "route:\n  receiver: alerter\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n  - name: alerter\n    webhook_configs:\n      - url: {webhook}\n        send_resolved: true\n\
         \x20       http_config:\n          authorization:\n            type: Bearer\n            credentials_file: {}\n",
        token.display()
    );
    std::fs::write(dir.path().join("am.yml"), config).expect("config");
    let port = testkit::free_port();
    let child = Command::new("prometheus-alertmanager")
        .arg(format!(
            "--config.file={}",
            dir.path().join("am.yml").display()
        ))
        .arg(format!("--storage.path={}", dir.path().display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot run prometheus-alertmanager: install it (`cargo xtask setup` as root)");
    let alertmanager = Alertmanager {
        child,
        port,
        _dir: dir,
    };
    testkit::wait_until("Alertmanager to be ready", Duration::from_secs(20), || {
        matches!(
            testkit::http::json_request(port, "GET", "/-/ready", None, None),
            Ok((200, _))
        )
    });
    alertmanager
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_notifications_arrive_by_email() {
    let smtp = SmtpServer::start();
    let (mut config, dir) = test_config();
    with_email(&mut config, &smtp);
    let app = spawn_app(config, dir).await;
    let webhook = app.url("/webhook");
    let alertmanager = tokio::task::block_in_place(|| start_alertmanager(&webhook));

    let post = |ends_at: Option<String>| {
        let mut alert = json!({
            "labels": {"alertname": "AmProbe", "severity": "critical", "platform": "prod", "service": "queue-rubis"},
            "annotations": {"summary": "sent through Alertmanager"},
        });
        if let Some(ends_at) = ends_at {
            alert["endsAt"] = json!(ends_at);
        }
        let (status, body) = testkit::http::json_request(
            alertmanager.port,
            "POST",
            "/api/v2/alerts",
            None,
            Some(&json!([alert])),
        )
        .expect("Alertmanager answers");
        assert_eq!(status, 200, "{body}");
    };
    tokio::task::block_in_place(|| post(None));
    let raw = tokio::task::block_in_place(|| smtp.wait_for_messages(1, Duration::from_secs(30)));
    let firing = Email::parse(&raw[0]);
    assert_eq!(firing.subject, "[FIRING:1] AmProbe · queue-rubis · prod");
    assert!(
        firing.text.contains("Summary: sent through Alertmanager"),
        "{}",
        firing.text
    );
    assert!(firing.text.contains("Silence: http://"), "{}", firing.text);

    tokio::task::block_in_place(|| post(Some(jiff::Timestamp::now().to_string())));
    let raw = tokio::task::block_in_place(|| smtp.wait_for_messages(2, Duration::from_secs(30)));
    let resolved = Email::parse(&raw[1]);
    assert_eq!(
        resolved.subject,
        "[RESOLVED:1] AmProbe · queue-rubis · prod"
    );
    assert!(resolved.text.contains("Ended: "), "{}", resolved.text);
    app.stop().await;
}

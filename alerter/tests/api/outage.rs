//! The outage the alerter exists for: the SMTP server is down, webhooks keep
//! coming (all acknowledged), the alerter is killed (SIGKILL) and restarted, the
//! SMTP server comes back: every e-mail arrives exactly once, and Matrix was not
//! delayed meanwhile.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::json;
use testkit::{ServiceProcess, SmtpServer};

use crate::helpers::{TOKEN, alert, group, synapse_room};
use crate::mime::Email;

const BINARY: &str = env!("CARGO_BIN_EXE_alerter");
const WEBHOOKS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_and_a_crash_lose_nothing_and_repeat_nothing() {
    let mut smtp = SmtpServer::start();
    smtp.stop();
    let (synapse, user, room) = tokio::task::block_in_place(synapse_room);
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("outbox.db").display());
    let (smtp_url, homeserver) = (smtp.url(), synapse.url());
    let env = [
        ("ALERTER_WEBHOOK_TOKEN", TOKEN),
        ("ALERTER_DATABASE_URL", database.as_str()),
        ("ALERTER_SMTP_URL", smtp_url.as_str()),
        ("ALERTER_EMAIL_FROM", "alerts@vigie.test"),
        ("ALERTER_EMAIL_TO", "ops@vigie.test"),
        ("ALERTER_MATRIX_HOMESERVER", homeserver.as_str()),
        ("ALERTER_MATRIX_ACCESS_TOKEN", user.access_token.as_str()),
        ("ALERTER_MATRIX_ROOM_ID", room.as_str()),
        ("ALERTER_RETRY_INITIAL_MS", "200"),
        ("ALERTER_RETRY_MAX_MS", "1000"),
        ("ALERTER_SEND_TIMEOUT_MS", "2000"),
    ];
    let mut alerter = tokio::task::block_in_place(|| ServiceProcess::start(BINARY, &[], &env));
    let client = reqwest::Client::new();

    let posted = Instant::now();
    for i in 0..WEBHOOKS {
        let name = format!("Outage{i:02}");
        let labels = json!({"alertname": name, "severity": "critical", "platform": "prod"});
        let body = group(
            "firing",
            &name,
            vec![alert("firing", labels, json!({"summary": "outage test"}))],
        );
        let status = client
            .post(alerter.url("/webhook"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("the alerter answers")
            .status();
        assert_eq!(status, 200, "webhook {i} acknowledged while SMTP is down");
    }

    // Matrix delivers everything while e-mail is still failing.
    let events = tokio::task::block_in_place(|| {
        synapse.wait_for_messages(&user, &room, WEBHOOKS, Duration::from_secs(30))
    });
    let matrix_took = posted.elapsed();
    assert!(smtp.messages().is_empty());
    assert!(
        matrix_took < Duration::from_secs(15),
        "Matrix took {matrix_took:?}"
    );

    alerter.signal(Signal::SIGKILL);
    let status = tokio::task::block_in_place(|| alerter.wait_exit(Duration::from_secs(5)));
    assert_eq!(status.code(), None, "killed by a signal: {status}");
    let restarted = tokio::task::block_in_place(|| ServiceProcess::start(BINARY, &[], &env));
    tokio::task::block_in_place(|| smtp.restart());

    let raw =
        tokio::task::block_in_place(|| smtp.wait_for_messages(WEBHOOKS, Duration::from_secs(60)));
    // Anything sent twice would show up within this extra wait.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let raw = if smtp.messages().len() > raw.len() {
        smtp.messages()
    } else {
        raw
    };
    let mut subjects: BTreeMap<String, usize> = BTreeMap::new();
    for message in &raw {
        *subjects.entry(Email::parse(message).subject).or_default() += 1;
    }
    assert_eq!(raw.len(), WEBHOOKS, "exactly once: {subjects:#?}");
    assert_eq!(subjects.len(), WEBHOOKS, "{subjects:#?}");
    assert!(
        subjects.keys().all(|s| s.starts_with("[FIRING:1] Outage")),
        "{subjects:#?}"
    );
    let events_after = tokio::task::block_in_place(|| synapse.messages(&user, &room));
    assert_eq!(
        events_after.len(),
        events.len(),
        "the restart repeated no Matrix message"
    );
    drop(restarted);
}

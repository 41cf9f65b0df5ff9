//! The end-to-end steps, in order, against a running native stack.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use super::observe::{self, Email, eventually};
use super::{STEP_TIMEOUT, browser};
use crate::load::{self, Counters, Mix};
use crate::native::{Layout, Running};

/// The services Prometheus must scrape, each with `platform="prod"`.
const SERVICES: [&str; 9] = [
    "queue-rubis",
    "queue-saphir",
    "queue-emeraude",
    "queue-diamant",
    "students-api",
    "alerter",
    "prometheus",
    "alertmanager",
    "node-exporter",
];

/// Requests per second of the background traffic: about 5/s reach rubis, above
/// HighErrorRate's traffic floor.
const RATE: f64 = 25.0;

pub async fn run(stack: &Running, out: &Path) -> anyhow::Result<()> {
    let layout = stack.layout();
    super::check_generated_rules(layout)?;
    println!("e2e: generated rule files differ from prometheus/rules only by `for`");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;

    let counters = Arc::new(Counters::default());
    let (stop_traffic, traffic_stopped) = tokio::sync::oneshot::channel::<()>();
    let traffic_start = Instant::now();
    let traffic = tokio::spawn(load::generate(
        Mix::new(layout)?,
        RATE,
        Arc::clone(&counters),
        async {
            let _ = traffic_stopped.await;
        },
    ));

    let result = steps(stack, &client, &counters, traffic_start, out).await;
    let _ = stop_traffic.send(());
    let _ = traffic.await;
    println!(
        "e2e: traffic sent {} requests: {} 2xx, {} 4xx, {} 5xx, {} unanswered",
        counters.sent.load(Ordering::Relaxed),
        counters.ok.load(Ordering::Relaxed),
        counters.client_errors.load(Ordering::Relaxed),
        counters.server_errors.load(Ordering::Relaxed),
        counters.failed.load(Ordering::Relaxed),
    );
    result
}

async fn steps(
    stack: &Running,
    client: &reqwest::Client,
    counters: &Counters,
    traffic_start: Instant,
    out: &Path,
) -> anyhow::Result<()> {
    let layout = stack.layout();
    targets_up(client).await?;
    error_spike_is_delivered(layout, client, counters, traffic_start).await?;
    nothing_lost_when_the_alerter_crashes(stack, client).await?;
    browser::dashboard_degrades(stack, out).await?;
    every_panel_has_data(client).await?;
    every_used_metric_is_scraped(client).await?;
    Ok(())
}

/// Step 1: every target up, with exactly the expected labels.
async fn targets_up(client: &reqwest::Client) -> anyhow::Result<()> {
    let start = Instant::now();
    eventually(
        "every Prometheus target up",
        Duration::from_secs(60),
        async || {
            let data = observe::prometheus(client, "targets").await?;
            let targets = data["activeTargets"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut seen = BTreeSet::new();
            for target in &targets {
                let labels = &target["labels"];
                ensure!(
                    labels["platform"] == "prod",
                    "target without platform=prod: {labels}"
                );
                ensure!(
                    labels.get("queue").is_none(),
                    "Prometheus added a queue label: {labels}"
                );
                if target["health"] != "up" {
                    return Ok(None);
                }
                seen.insert(labels["service"].as_str().unwrap_or_default().to_owned());
            }
            let expected: BTreeSet<String> = SERVICES.iter().map(|s| (*s).to_owned()).collect();
            Ok((seen == expected).then_some(()))
        },
    )
    .await?;
    println!(
        "e2e: step 1: the {} targets are up with platform and service labels ({:.1?})",
        SERVICES.len(),
        start.elapsed()
    );
    Ok(())
}

/// Step 2 and 3: a 5xx spike on rubis only fires HighErrorRate for rubis, which
/// reaches the mailbox and the Matrix room; removing it sends RESOLVED to both.
async fn error_spike_is_delivered(
    layout: &Layout,
    client: &reqwest::Client,
    counters: &Counters,
    traffic_start: Instant,
) -> anyhow::Result<()> {
    load::set_rubis_errors(layout, 0.5, 600).await?;
    let spike_set = Instant::now();
    let first_5xx = eventually(
        "the first 5xx on rubis",
        Duration::from_secs(30),
        async || {
            let ms = counters.first_rubis_5xx_ms.load(Ordering::SeqCst);
            Ok((ms > 0).then(|| traffic_start + Duration::from_millis(ms)))
        },
    )
    .await?;

    eventually(
        "HighErrorRate firing for queue-rubis in Prometheus",
        STEP_TIMEOUT,
        async || {
            let alerts = observe::alerts(client, "HighErrorRate").await?;
            Ok(alerts
                .iter()
                .any(|a| a["labels"]["service"] == "queue-rubis" && a["state"] == "firing")
                .then_some(()))
        },
    )
    .await?;
    let fired = first_5xx.elapsed();
    for alert in observe::alerts(client, "HighErrorRate").await? {
        ensure!(
            alert["labels"]["service"] == "queue-rubis",
            "the other queues stay healthy, yet: {alert}"
        );
    }
    eventually("HighErrorRate in Alertmanager", STEP_TIMEOUT, async || {
        let routed = observe::alertmanager_alerts(client, "HighErrorRate").await?;
        Ok(routed
            .iter()
            .any(|a| a["labels"]["service"] == "queue-rubis")
            .then_some(()))
    })
    .await?;

    let email = wait_email(layout, "FIRING", "HighErrorRate").await?;
    let to_email = first_5xx.elapsed();
    check_email(&email, "FIRING")?;
    let message = wait_matrix(layout, "FIRING", "HighErrorRate").await?;
    let to_matrix = first_5xx.elapsed();
    check_matrix(&message)?;
    println!(
        "e2e: step 2: first 5xx {:.1?} after the spike was set; from the first 5xx: firing in Prometheus {fired:.1?}, \
         e-mail {to_email:.1?}, Matrix {to_matrix:.1?}",
        first_5xx.duration_since(spike_set.min(first_5xx))
    );

    load::set_rubis_errors(layout, 0.0, 1).await?;
    let healed = Instant::now();
    let resolved = wait_email(layout, "RESOLVED", "HighErrorRate").await?;
    let resolved_email = healed.elapsed();
    ensure!(
        resolved.text.contains("Ended:"),
        "the RESOLVED e-mail says when it ended:\n{}",
        resolved.text
    );
    wait_matrix(layout, "RESOLVED", "HighErrorRate").await?;
    println!(
        "e2e: step 3: fault removed; RESOLVED e-mail {resolved_email:.1?}, Matrix {:.1?} later \
         (the 1 m rate window must first forget the errors)",
        healed.elapsed()
    );
    Ok(())
}

async fn wait_email(layout: &Layout, status: &str, alertname: &str) -> anyhow::Result<Email> {
    let tag = format!("[{status}:");
    eventually(
        &format!("a {status} e-mail for {alertname}"),
        STEP_TIMEOUT,
        async || {
            Ok(observe::emails(layout)?
                .into_iter()
                .find(|email| email.subject.starts_with(&tag) && email.subject.contains(alertname)))
        },
    )
    .await
}

async fn wait_matrix(layout: &Layout, status: &str, alertname: &str) -> anyhow::Result<Value> {
    eventually(
        &format!("a {status} Matrix message for {alertname}"),
        STEP_TIMEOUT,
        async || {
            Ok(observe::matrix_messages(layout)?.into_iter().find(|event| {
                let body = event["content"]["body"].as_str().unwrap_or_default();
                body.contains(status) && body.contains(alertname)
            }))
        },
    )
    .await
}

fn check_email(email: &Email, status: &str) -> anyhow::Result<()> {
    ensure!(
        email.subject.contains("queue-rubis") && email.subject.contains("prod"),
        "subject: {}",
        email.subject
    );
    for expected in [
        "service = queue-rubis",
        "platform = prod",
        "severity = critical",
        "http://localhost:9090/",
        "docs/runbooks.md#higherrorrate",
        "http://localhost:9093/#/silences/new",
    ] {
        ensure!(
            email.text.contains(expected),
            "the {status} e-mail lacks `{expected}`:\n{}",
            email.text
        );
    }
    // The templates escape `/` in attributes too (`&#x2f;`), which browsers decode.
    let html = email.html.replace("&#x2f;", "/");
    ensure!(
        html.contains("<a href=\"http://localhost:9090/"),
        "the HTML part links to Prometheus:\n{}",
        email.html
    );
    Ok(())
}

fn check_matrix(message: &Value) -> anyhow::Result<()> {
    let content = &message["content"];
    ensure!(content["msgtype"] == "m.notice", "an m.notice: {message}");
    ensure!(
        content["format"] == "org.matrix.custom.html",
        "with an HTML body: {message}"
    );
    let html = content["formatted_body"].as_str().unwrap_or_default();
    ensure!(
        html.contains("queue-rubis") && html.contains("runbooks.md#higherrorrate"),
        "labels and links: {html}"
    );
    Ok(())
}

/// Step 4: the alerter is killed with a notification pending during an SMTP
/// outage; after both come back, it is delivered once on each channel.
async fn nothing_lost_when_the_alerter_crashes(
    stack: &Running,
    client: &reqwest::Client,
) -> anyhow::Result<()> {
    let layout = stack.layout();
    tokio::task::block_in_place(|| stack.stop("mail-catcher"))?;
    let probe = "E2eOutageProbe";
    let alert = json!([{
        "labels": {"alertname": probe, "severity": "critical", "platform": "prod", "service": "e2e"},
        "annotations": {"summary": "delivered exactly once despite a crash", "runbook_url": "https://example.invalid/runbook"}
    }]);
    let response = client
        .post("http://127.0.0.1:9093/api/v2/alerts")
        .json(&alert)
        .send()
        .await?;
    ensure!(
        response.status().is_success(),
        "Alertmanager refused the probe alert: {}",
        response.status()
    );
    eventually(
        "the probe stored and waiting for SMTP",
        STEP_TIMEOUT,
        async || {
            let pending =
                observe::alerter_metric(client, "alerter_outbox_pending{channel=\"email\"}")
                    .await?;
            let matrix = observe::matrix_messages(layout)?;
            let posted = matrix.iter().any(|m| {
                m["content"]["body"]
                    .as_str()
                    .is_some_and(|b| b.contains(probe))
            });
            Ok((pending >= 1.0 && posted).then_some(()))
        },
    )
    .await?;
    tokio::task::block_in_place(|| -> anyhow::Result<()> {
        stack.kill("alerter")?;
        stack.start("mail-catcher")?;
        stack.start("alerter")
    })?;
    wait_email(layout, "FIRING", probe).await?;
    // Time for a duplicate to show up, if one were coming.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let emails = observe::emails(layout)?
        .into_iter()
        .filter(|e| e.subject.contains(probe))
        .count();
    let messages = observe::matrix_messages(layout)?
        .into_iter()
        .filter(|m| {
            m["content"]["body"]
                .as_str()
                .is_some_and(|b| b.contains(probe))
        })
        .count();
    ensure!(
        emails == 1 && messages == 1,
        "exactly once per channel, got {emails} e-mail(s) and {messages} Matrix message(s)"
    );
    println!(
        "e2e: step 4: alerter killed during an SMTP outage: 1 e-mail and 1 Matrix message after restart, as sent"
    );
    Ok(())
}

/// Every metric name the rules and dashboards use is one the live stack exports
/// (cAdvisor's aside, as in step 6): the monitoring check's list, confirmed
/// against the real scrapes.
async fn every_used_metric_is_scraped(client: &reqwest::Client) -> anyhow::Result<()> {
    let scraped: BTreeSet<String> = observe::prometheus(client, "label/__name__/values")
        .await?
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect();
    let used = crate::monitoring::used_metric_names()?;
    // Series Prometheus makes itself, not scraped from anyone.
    let synthetic = [
        "ALERTS",
        "ALERTS_FOR_STATE",
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
    ];
    let missing: Vec<&String> = used
        .iter()
        .filter(|name| {
            !scraped.contains(*name)
                && !synthetic.contains(&name.as_str())
                && !name.starts_with("container_")
        })
        .collect();
    ensure!(
        missing.is_empty(),
        "rules or dashboards use metrics no scrape exports: {missing:?}"
    );
    println!(
        "e2e: step 6: the {} metric names the rules and dashboards use are all in the live scrapes (container_* aside)",
        used.len()
    );
    Ok(())
}

/// Step 6: every panel query of every dashboard returns data, but the cAdvisor ones.
async fn every_panel_has_data(client: &reqwest::Client) -> anyhow::Result<()> {
    let exempt = super::cadvisor_panels()?;
    let panels = super::panels()?;
    let mut empty = Vec::new();
    let mut checked = 0;
    for (at, expr) in &panels {
        if exempt.iter().any(|panel| at.starts_with(panel.as_str())) {
            continue;
        }
        checked += 1;
        let result = observe::query(client, expr)
            .await
            .with_context(|| format!("{at}: {expr}"))?;
        if result.is_empty() {
            empty.push(format!("{at}: {expr}"));
        }
    }
    for panel in &exempt {
        println!("e2e: step 6: exempt (fed by cAdvisor, absent natively): {panel}");
    }
    if !empty.is_empty() {
        bail!(
            "{} of {checked} panel queries returned no data:\n{}",
            empty.len(),
            empty.join("\n")
        );
    }
    println!(
        "e2e: step 6: all {checked} panel queries returned data ({} exempt)",
        exempt.len()
    );
    Ok(())
}

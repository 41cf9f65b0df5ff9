//! The end-to-end steps, in order, against a running native stack, under
//! steady background traffic; step 1 (every target up) is here, the others in
//! their own modules.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::ensure;

use super::observe::{self, eventually};
use super::{alert_path, browser, crash, panels};
use crate::load::{self, Counters, Mix};
use crate::native::Running;

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
    alert_path::error_spike_is_delivered(layout, client, counters, traffic_start).await?;
    crash::nothing_lost_when_the_alerter_crashes(stack, client).await?;
    browser::dashboard_degrades(stack, out).await?;
    panels::every_panel_has_data(client).await?;
    panels::every_used_metric_is_scraped(client).await?;
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

//! Step 6: every panel query of every dashboard returns data from the live
//! Prometheus (but the cAdvisor-fed ones, listed in the repository), and every
//! metric name the rules and dashboards use is in the live scrapes.

use std::collections::BTreeSet;

use anyhow::{Context, bail, ensure};

use super::observe;

/// Every metric name the rules and dashboards use is one the live stack exports
/// (cAdvisor's aside, as in step 6): the monitoring check's list, confirmed
/// against the real scrapes.
pub async fn every_used_metric_is_scraped(client: &reqwest::Client) -> anyhow::Result<()> {
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
pub async fn every_panel_has_data(client: &reqwest::Client) -> anyhow::Result<()> {
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

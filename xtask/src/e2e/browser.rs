//! Step 5: the student dashboard in headless Chromium through nginx, with Redis
//! up, then down ("N/A (Cache HS)"); screenshots under `target/e2e/`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, ensure};

use crate::native::{FRONTEND, Running};

/// The status line the page renders when the API answers (the script holds the
/// same words, so the rendered element is matched whole).
const OPERATIONAL: &str = "class=\"status ok\">✅ Système Opérationnel</div>";

/// Cards rendered with a view count, and cards rendered with "N/A (Cache HS)".
fn cards(dom: &str) -> (usize, usize) {
    let views: Vec<&str> = dom
        .split("<small>Vues: ")
        .skip(1)
        .filter_map(|rest| rest.split_once("</small>"))
        .map(|(value, _)| value)
        .collect();
    let counted = views
        .iter()
        .filter(|value| value.parse::<u64>().is_ok())
        .count();
    let degraded = views
        .iter()
        .filter(|value| **value == "N/A (Cache HS)")
        .count();
    (counted, degraded)
}

/// Loads the page and returns its DOM after its scripts ran; saves a screenshot.
fn render(url: &str, screenshot: &Path) -> anyhow::Result<String> {
    let profile = tempfile::tempdir()?;
    let run = |extra: &[String]| {
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1200,900",
                "--virtual-time-budget=5000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(url)
            .output()
            .context("cannot run chromium (Debian package chromium)")
    };
    let dom = run(&["--dump-dom".to_owned()])?;
    run(&[format!("--screenshot={}", screenshot.display())])?;
    Ok(String::from_utf8_lossy(&dom.stdout).into_owned())
}

pub async fn dashboard_degrades(stack: &Running, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let url = format!("http://localhost:{FRONTEND}/");
    let healthy_shot = out.join("dashboard.png");
    let dom = tokio::task::block_in_place(|| render(&url, &healthy_shot))?;
    ensure!(
        dom.contains(OPERATIONAL),
        "the page says the system works:\n{dom}"
    );
    let (counted, degraded) = cards(&dom);
    ensure!(
        counted > 0 && degraded == 0,
        "every card shows a view count:\n{dom}"
    );

    tokio::task::block_in_place(|| stack.stop("redis"))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let degraded_shot = out.join("dashboard-cache-down.png");
    let degraded = tokio::task::block_in_place(|| render(&url, &degraded_shot));
    // Redis comes back whatever the page showed: the next steps need it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    tokio::task::block_in_place(|| stack.start("redis"))?;
    let dom = degraded?;
    ensure!(
        dom.contains(OPERATIONAL),
        "still operational without Redis:\n{dom}"
    );
    let (counted, degraded) = cards(&dom);
    ensure!(
        counted == 0 && degraded > 0,
        "every card says the cache is down:\n{dom}"
    );
    println!(
        "e2e: step 5: dashboard shows the students, then \"N/A (Cache HS)\" with Redis stopped; screenshots {} and {}",
        healthy_shot.display(),
        degraded_shot.display()
    );
    Ok(())
}

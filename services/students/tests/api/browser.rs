//! The dashboard in a real browser (headless Chromium): nginx on 8080 serves the
//! page, which calls the API on http://localhost:8000 (hard-coded), so this test
//! needs both ports and says so when they are taken. Screenshots of each state go
//! to target/test-artifacts/.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Backends, SEEDED_STUDENTS, spawn_app_with};
use crate::nginx::Nginx;

const PAGE: &str = "http://localhost:8080/";

/// Fails (never skips) when a port the page needs is taken, naming it.
fn require_free_ports() {
    for (port, what) in [
        (
            8000,
            "the students API (the page calls http://localhost:8000)",
        ),
        (8080, "nginx serving the page"),
    ] {
        if let Err(error) = TcpListener::bind(("0.0.0.0", port)) {
            panic!(
                "the browser test needs port {port} free for {what}, but it is taken ({error}). \
                 Stop whatever listens there (`ss -ltnp 'sport = :{port}'`) and run again."
            );
        }
    }
}

fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("cannot create target/test-artifacts");
    dir
}

/// Runs headless Chromium with `extra` arguments on the page; returns its stdout.
fn chromium(extra: &[String]) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1000,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(PAGE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("cannot run chromium ({error}): install Debian's chromium (`cargo xtask setup` as root)")
        });
    let start = Instant::now();
    while child.try_wait().expect("wait for chromium").is_none() {
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("chromium output");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The DOM once the page's first fetches are done, and a screenshot named `name`.
fn look(name: &str) -> String {
    let dom = chromium(&[
        "--dump-dom".to_owned(),
        "--virtual-time-budget=5000".to_owned(),
    ]);
    let shot = artifacts_dir().join(format!("students-dashboard-{name}.png"));
    let _ = std::fs::remove_file(&shot);
    chromium(&[
        format!("--screenshot={}", shot.display()),
        "--virtual-time-budget=5000".to_owned(),
    ]);
    assert!(shot.is_file(), "no screenshot at {}", shot.display());
    println!("screenshot: {}", shot.display());
    dom
}

/// The rendered list: the DOM between `<div id="list">` and the page's script,
/// whose template holds the same markup.
fn rendered_list(dom: &str) -> &str {
    let list = dom.split_once("id=\"list\">").map_or("", |(_, rest)| rest);
    list.split_once("<script").map_or(list, |(list, _)| list)
}

/// The texts after each "Vues: " in the rendered list.
fn view_labels(dom: &str) -> Vec<String> {
    rendered_list(dom)
        .split("Vues: ")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_students_views_and_both_degraded_modes() {
    require_free_ports();
    let mut backends = Backends::start();
    let mut config = backends.config();
    config.listen_addr = "127.0.0.1:8000".parse().expect("address");
    let app = spawn_app_with(config).await;
    app.wait_ready(Duration::from_secs(10)).await;
    let _nginx = tokio::task::block_in_place(|| Nginx::start(None));

    let dom = tokio::task::block_in_place(|| look("healthy"));
    assert!(dom.contains("Système Opérationnel"), "{dom}");
    assert_eq!(
        rendered_list(&dom).matches("class=\"card\"").count(),
        SEEDED_STUDENTS,
        "{dom}"
    );
    assert!(
        dom.contains("<h3>Camille Martin</h3>") && dom.contains("Promo: M2 Info"),
        "{dom}"
    );
    let labels = view_labels(&dom);
    assert_eq!(labels.len(), SEEDED_STUDENTS);
    assert!(
        labels.iter().all(|label| label.parse::<u64>().is_ok()),
        "Vues: <number>: {labels:?}"
    );

    tokio::task::block_in_place(|| backends.redis.kill());
    let dom = tokio::task::block_in_place(|| look("redis-down"));
    assert!(
        dom.contains("Système Opérationnel"),
        "the page still works: {dom}"
    );
    assert_eq!(
        view_labels(&dom),
        vec!["N/A (Cache HS)"; SEEDED_STUDENTS],
        "{dom}"
    );

    app.stop().await;
    let dom = tokio::task::block_in_place(|| look("api-down"));
    assert!(dom.contains("Erreur connexion API"), "{dom}");
}

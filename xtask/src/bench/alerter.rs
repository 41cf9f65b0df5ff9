//! `cargo xtask bench alerter`: the release alerter on a SQLite outbox, e-mailing
//! a real SMTP server (aiosmtpd).
//!
//! 1. Open loop: webhooks at a fixed rate (wrk2-style: each request has its
//!    intended start time and latency counts from it, so a stall is not hidden by
//!    requests that were never sent). Gives the accept latency (2xx means stored
//!    durably) and the delivery latency: accept to arrival at the SMTP server,
//!    matched through the notification id in the Message-ID.
//! 2. Closed loop: wrk with 32 connections, every webhook unique (no dedup):
//!    webhooks stored per second at maximum throughput, deliveries running.
//!
//! oha cannot send a different body per request, which dedup requires; hence the
//! small open-loop client here and wrk with a Lua script for the closed loop.

mod open_loop;

use std::time::Duration;

use anyhow::{Context, bail};
use testkit::{ServiceProcess, SmtpServer};

use super::cpu::{cores, cores_used, load_average};
use super::wrk::{self, Load};
use super::{BenchArgs, verdict};
use crate::{cmd, setup};

const TOKEN: &str = "bench-token-0123456789abcdef";
const CONNECTIONS: u32 = 32;
const WRK_THREADS: u32 = 2;
const OPEN_LOOP_RATE: u32 = 200;
const WARMUP_SECONDS: u64 = 2;
/// Targets from the issue.
const TARGET_RATE: f64 = 1_000.0;
const TARGET_ACCEPT_P99_MS: f64 = 20.0;

/// A webhook like Alertmanager's, unique per `SEQ` (group key, labels, fingerprint).
pub const BODY: &str = r#"{"receiver":"alerter","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"BenchAlert","severity":"critical","platform":"prod","service":"queue-rubis","queue":"rubis","instance":"queue-rubis:9464","seq":"SEQ"},"annotations":{"summary":"Benchmark alert SEQ","description":"Error ratio above 5% on queue rubis","runbook_url":"https://vigie.test/runbooks#higherrorrate"},"startsAt":"2026-11-21T22:30:58.821009494Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=up","fingerprint":"SEQ"}],"groupLabels":{"alertname":"BenchAlert","seq":"SEQ"},"commonLabels":{"alertname":"BenchAlert","seq":"SEQ"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{seq=\"SEQ\"}","truncatedAlerts":0}"#;

fn wrk_script() -> String {
    format!(
        r#"
local body = [==[{BODY}]==]
local headers = {{["Authorization"] = "Bearer {TOKEN}", ["Content-Type"] = "application/json"}}
local n = 0
setup = function(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end
request = function()
  n = n + 1
  local seq = "w" .. tid .. "-" .. n
  return wrk.format("POST", "/webhook", headers, (string.gsub(body, "SEQ", seq)))
end
"#
    )
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    setup::ensure_test_dependencies()?;
    cmd::run("cargo", &["build", "--release", "--quiet", "-p", "alerter"])?;
    let binary = cmd::workspace_root().join("target/release/alerter");
    let binary = binary.to_str().context("non UTF-8 workspace path")?;
    let smtp = SmtpServer::start();
    println!(
        "machine: {} cores, load average {}",
        cores(),
        load_average()
    );

    // 1. Open loop.
    let outbox = tempfile::tempdir()?;
    let alerter = start(binary, &smtp, outbox.path())?;
    let addr = alerter.api_addr;
    println!("warm-up: {WARMUP_SECONDS} s at {OPEN_LOOP_RATE}/s");
    open_loop::run(addr, TOKEN, OPEN_LOOP_RATE, WARMUP_SECONDS, "warm")?;
    wait_for_emails(&smtp, |count| {
        count >= (OPEN_LOOP_RATE as u64 * WARMUP_SECONDS) as usize
    })?;
    let already = smtp.received().len();
    println!(
        "open loop: {OPEN_LOOP_RATE} webhooks/s for {} s, latency from the intended start",
        args.seconds
    );
    let accepted = open_loop::run(addr, TOKEN, OPEN_LOOP_RATE, args.seconds, "open")?;
    let failures = accepted
        .iter()
        .filter(|a| a.notification_id.is_none())
        .count();
    if failures > 0 {
        bail!("{failures} webhooks were not stored in the open-loop run");
    }
    wait_for_emails(&smtp, |count| count >= already + accepted.len())?;
    let mut accept_ms: Vec<f64> = accepted
        .iter()
        .map(|a| a.latency.as_secs_f64() * 1e3)
        .collect();
    let mut delivery_ms = open_loop::delivery_latencies(&accepted, &smtp.received());
    if delivery_ms.len() != accepted.len() {
        bail!(
            "{} of {} deliveries matched",
            delivery_ms.len(),
            accepted.len()
        );
    }
    let accept = Percentiles::of(&mut accept_ms);
    let delivery = Percentiles::of(&mut delivery_ms);
    println!(
        "  accept: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} webhooks)",
        accept.p50,
        accept.p99,
        accept.max,
        accepted.len()
    );
    println!(
        "  delivery to the SMTP server: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        delivery.p50, delivery.p99, delivery.max
    );
    drop(alerter);

    // 2. Closed loop, on a fresh outbox.
    let outbox = tempfile::tempdir()?;
    let alerter = start(binary, &smtp, outbox.path())?;
    let url = format!("http://{}", alerter.api_addr);
    let scratch = tempfile::tempdir()?;
    let script = wrk_script();
    let load = Load {
        url: &url,
        connections: CONNECTIONS,
        threads: WRK_THREADS,
        script: &script,
    };
    wrk::run(&load, WARMUP_SECONDS, scratch.path())?;
    println!(
        "closed loop: wrk, {CONNECTIONS} connections, {WRK_THREADS} threads, {} s, every webhook unique",
        args.seconds
    );
    let smtp_pid = smtp.pid().context("the SMTP server is running")?;
    let (result, used) = cores_used(&[alerter.pid(), smtp_pid], || {
        wrk::run(&load, args.seconds, scratch.path())
    });
    let result = result?;
    if result.non_2xx > 0 || result.socket_errors > 0 {
        bail!(
            "closed loop: {} non-2xx answers, {} socket errors",
            result.non_2xx,
            result.socket_errors
        );
    }
    println!(
        "  {:.0} webhooks/s stored, p50 {:.2} ms, p99 {:.2} ms; CPU: alerter {:.2} cores, aiosmtpd {:.2} cores",
        result.rate(),
        result.p50_ms(),
        result.p99_ms(),
        used[0],
        used[1]
    );
    println!("targets:");
    println!(
        "  >= {TARGET_RATE:.0} webhooks/s at {CONNECTIONS} connections: {:.0} ({})",
        result.rate(),
        verdict(result.rate() >= TARGET_RATE)
    );
    println!(
        "  accept p99 < {TARGET_ACCEPT_P99_MS:.0} ms at {OPEN_LOOP_RATE}/s: {:.2} ms ({})",
        accept.p99,
        verdict(accept.p99 < TARGET_ACCEPT_P99_MS)
    );
    Ok(())
}

fn start(binary: &str, smtp: &SmtpServer, dir: &std::path::Path) -> anyhow::Result<ServiceProcess> {
    let database = format!("sqlite://{}", dir.join("outbox.db").display());
    let url = smtp.url();
    Ok(ServiceProcess::start(
        binary,
        &[],
        &[
            ("ALERTER_WEBHOOK_TOKEN", TOKEN),
            ("ALERTER_DATABASE_URL", database.as_str()),
            ("ALERTER_SMTP_URL", url.as_str()),
            ("ALERTER_EMAIL_FROM", "alerts@vigie.test"),
            ("ALERTER_EMAIL_TO", "ops@vigie.test"),
            // Per-request logs off: the benchmark measures the alerter, not stdout.
            ("RUST_LOG", "warn,alerter::startup=info"),
        ],
    ))
}

fn wait_for_emails(smtp: &SmtpServer, done: impl Fn(usize) -> bool) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    while !done(smtp.received().len()) {
        if start.elapsed() > Duration::from_secs(120) {
            bail!("only {} e-mails arrived after 120 s", smtp.received().len());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

struct Percentiles {
    p50: f64,
    p99: f64,
    max: f64,
}

impl Percentiles {
    fn of(values: &mut [f64]) -> Self {
        values.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let index = ((values.len() as f64 * q).ceil() as usize).saturating_sub(1);
            values.get(index).copied().unwrap_or(f64::NAN)
        };
        Self {
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

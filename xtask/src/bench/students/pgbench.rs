//! PostgreSQL's own ceiling for `GET /`'s SELECT: pgbench with prepared statements,
//! its throughput, and the latency percentiles from its per-transaction logs.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use testkit::TestDatabase;

use super::{CONNECTIONS, LIST_STUDENTS, WRK_THREADS};

/// What pgbench measured. No median: pgbench reads its clock lazily (once per
/// pass of its event loop), so most transactions of a busy run log 0 us; its
/// average (clients / throughput) and the tail are what its figures can say.
pub struct Pgbench {
    /// Transactions per second.
    pub rate: f64,
    /// pgbench's own average latency.
    pub average_ms: f64,
    /// 99th percentile of the logged transaction latencies.
    pub p99_ms: f64,
}

pub fn run(db: &TestDatabase, seconds: u64, scratch: &Path) -> anyhow::Result<Pgbench> {
    let script = scratch.join("select.sql");
    std::fs::write(&script, format!("{LIST_STUDENTS};\n"))?;
    let prefix = scratch.join("pgbench_log");
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-h", "127.0.0.1", "-U", "postgres"])
        .args(["-p", &db.port().to_string()])
        .args([
            "-c",
            &CONNECTIONS.to_string(),
            "-j",
            &WRK_THREADS.to_string(),
        ])
        .args(["-T", &seconds.to_string(), "--log"])
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg("-f")
        .arg(&script)
        .arg(db.name())
        .current_dir(scratch)
        .output()
        .context("cannot run pgbench: install postgresql-client (or `cargo xtask setup`)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let rate = stdout
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .with_context(|| format!("no tps in pgbench's output: {stdout}"))?;
    let average_ms = stdout
        .lines()
        .find_map(|line| line.strip_prefix("latency average = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|ms| ms.parse().ok())
        .with_context(|| format!("no latency average in pgbench's output: {stdout}"))?;
    let mut latencies = transaction_latencies(scratch)?;
    anyhow::ensure!(!latencies.is_empty(), "pgbench logged no transaction");
    latencies.sort_unstable();
    let percentile =
        |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    Ok(Pgbench {
        rate,
        average_ms,
        p99_ms: percentile(0.99),
    })
}

/// Every transaction's latency in microseconds, from pgbench's per-thread logs
/// (`client transaction latency_us script epoch epoch_us` per line).
fn transaction_latencies(scratch: &Path) -> anyhow::Result<Vec<u64>> {
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(scratch)? {
        let path = entry?.path();
        let is_log = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("pgbench_log"));
        if is_log {
            let text = std::fs::read_to_string(&path)?;
            latencies.extend(
                text.lines()
                    .filter_map(|line| line.split_whitespace().nth(2)?.parse::<u64>().ok()),
            );
        }
    }
    Ok(latencies)
}

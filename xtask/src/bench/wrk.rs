//! Running wrk (closed loop: each connection sends its next request when the
//! previous one is answered) with a Lua script, and reading its summary as JSON.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

/// Prints the run's summary as one JSON line wrk's `done` hook writes; appended to
/// every request script so all benchmarks read wrk the same way.
const SUMMARY_HOOK: &str = r#"
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "WRK_JSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d,\"socket_errors\":%d,\"non_2xx\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors, summary.errors.status))
end
"#;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct WrkResult {
    /// Requests completed.
    pub requests: u64,
    /// Length of the run, in microseconds.
    pub duration_us: u64,
    /// Median latency, in microseconds.
    pub p50_us: u64,
    /// 99th percentile latency, in microseconds.
    pub p99_us: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    /// Answers outside 2xx/3xx.
    pub non_2xx: u64,
}

impl WrkResult {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }

    /// Median latency in milliseconds.
    pub fn p50_ms(&self) -> f64 {
        self.p50_us as f64 / 1000.0
    }

    /// 99th percentile latency in milliseconds.
    pub fn p99_ms(&self) -> f64 {
        self.p99_us as f64 / 1000.0
    }

    /// Fails when any request got a socket error or a non-2xx answer: a
    /// benchmark of failing requests measures the failures.
    pub fn ensure_clean(&self, what: &str) -> anyhow::Result<()> {
        if self.socket_errors > 0 || self.non_2xx > 0 {
            bail!(
                "{what}: {} socket errors and {} non-2xx answers out of {} requests",
                self.socket_errors,
                self.non_2xx,
                self.requests
            );
        }
        Ok(())
    }
}

/// A wrk load: URL, connections, threads and the request-building Lua.
#[derive(Debug, Clone)]
pub struct Load<'a> {
    /// Base URL (`http://127.0.0.1:8101`).
    pub url: &'a str,
    /// Concurrent connections.
    pub connections: u32,
    /// wrk threads.
    pub threads: u32,
    /// Lua defining `request = function() ... end` (and anything it needs).
    pub script: &'a str,
}

/// Runs `load` for `seconds` and returns its summary.
pub fn run(load: &Load<'_>, seconds: u64, scratch: &Path) -> anyhow::Result<WrkResult> {
    let script_path = scratch.join("load.lua");
    std::fs::write(&script_path, format!("{}\n{SUMMARY_HOOK}", load.script))?;
    let output = Command::new("wrk")
        .args([
            "-t",
            &load.threads.to_string(),
            "-c",
            &load.connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--timeout",
            "5s",
            "-s",
        ])
        .arg(&script_path)
        .arg(load.url)
        .output()
        .context("cannot run wrk: install it (Debian package wrk, or `cargo xtask setup`)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let json = stdout
        .lines()
        .find_map(|line| line.strip_prefix("WRK_JSON "))
        .with_context(|| format!("wrk printed no summary: {stdout}"))?;
    Ok(serde_json::from_str(json)?)
}

//! Redis's own ceiling for the queue's Lua scripts: redis-benchmark sending the
//! very scripts the service runs, with as many clients as the service's load has
//! connections, beside the service in the same benchmark run.

use anyhow::Context;
use testkit::RedisServer;

use super::cpu::cores_used;
use crate::cmd;

/// Clients redis-benchmark opens, as many as wrk's connections to the service.
const CONNECTIONS: u32 = 64;
/// Requests redis-benchmark sends per script: a few seconds at Redis's pace.
const CEILING_REQUESTS: u32 = 300_000;

/// Redis's throughput for each script alone, and for the service's 1:1:1 mix.
pub struct Ceiling {
    pub issue: f64,
    pub call: f64,
    pub list: f64,
    pub redis_cores: f64,
}

impl Ceiling {
    /// Throughput of the mix: each request costs the average of the three times.
    pub fn mix(&self) -> f64 {
        3.0 / (1.0 / self.issue + 1.0 / self.call + 1.0 / self.list)
    }
}

pub fn measure(redis: &RedisServer, redis_pid: u32) -> anyhow::Result<Ceiling> {
    let root = cmd::workspace_root().join("services/queue/src/scripts");
    let load = |name: &str| -> anyhow::Result<String> {
        let source = std::fs::read_to_string(root.join(name))?;
        let reply = redis
            .command(&["SCRIPT", "LOAD", &source])
            .context("SCRIPT LOAD got no reply")?;
        reply
            .lines()
            .nth(1)
            .map(str::to_owned)
            .with_context(|| format!("unexpected SCRIPT LOAD reply {reply:?}"))
    };
    let (issue, call, list) = (load("issue.lua")?, load("call.lua")?, load("list.lua")?);
    let (seq, tickets) = ("queue:ceiling:seq", "queue:ceiling:tickets");
    // Listing is measured on a queue of 32, about where the service's mix keeps it.
    for ticket in 0..32 {
        redis
            .command(&["RPUSH", tickets, &format!("{ticket}:0")])
            .context("RPUSH")?;
    }
    let port = redis.port().to_string();
    let (rates, cores) = cores_used(&[redis_pid], || -> anyhow::Result<_> {
        let list = redis_benchmark(&port, &["EVALSHA", &list, "1", tickets, "1000"])?;
        let issue = redis_benchmark(&port, &["EVALSHA", &issue, "2", seq, tickets])?;
        let call = redis_benchmark(&port, &["EVALSHA", &call, "1", tickets])?;
        Ok((issue, call, list))
    });
    let (issue, call, list) = rates?;
    println!("  issue {issue:.0}/s, call {call:.0}/s, list {list:.0}/s");
    Ok(Ceiling {
        issue,
        call,
        list,
        redis_cores: cores[0],
    })
}

fn redis_benchmark(port: &str, command: &[&str]) -> anyhow::Result<f64> {
    let output = std::process::Command::new("redis-benchmark")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-c",
            &CONNECTIONS.to_string(),
            "-n",
            &CEILING_REQUESTS.to_string(),
            "-q",
        ])
        .args(command)
        .output()
        .context("cannot run redis-benchmark (Debian package redis-tools)")?;
    // -q output joins progress updates with \r; the last segment is the result.
    let text = String::from_utf8_lossy(&output.stdout).replace('\r', "\n");
    text.lines()
        .rev()
        .find_map(|line| {
            line.split_once(": ")?
                .1
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
        .with_context(|| format!("no rate in redis-benchmark output: {text}"))
}

pub fn redis_pid(redis: &RedisServer) -> anyhow::Result<u32> {
    let info = redis
        .command(&["INFO", "server"])
        .context("INFO got no reply")?;
    info.lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
        .context("INFO has no process_id")
}

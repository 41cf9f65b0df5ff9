//! `cargo xtask bench queue`: queue-service at maximum throughput through wrk, next
//! to Redis's own ceiling for the same scripts (redis-benchmark), and the cost of
//! the HTTP metrics layer from interleaved runs with and without it.

use anyhow::Context;
use testkit::{RedisServer, ServiceProcess};

use super::cpu::cores_used;
use super::wrk::{self, Load, WrkResult};
use super::{BenchArgs, median, redis_ceiling, verdict};
use crate::{cmd, setup};

const CONNECTIONS: u32 = 64;
const WRK_THREADS: u32 = 2;
const API_KEY: &str = "bench-key-0123456789abcdef";
const WARMUP_SECONDS: u64 = 3;

/// The mix every connection cycles through: issue, call, list.
const MIX: &str = r#"
local auth = {["Authorization"] = "Bearer bench-key-0123456789abcdef"}
local calls = {{"POST", "/get_ticket"}, {"POST", "/call_ticket"}, {"GET", "/list_tickets"}}
local n = 0
request = function()
  n = n + 1
  local call = calls[(n % 3) + 1]
  return wrk.format(call[1], call[2], auth)
end
"#;

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    setup::ensure_test_dependencies()?;
    cmd::run(
        "cargo",
        &["build", "--release", "--quiet", "-p", "queue-service"],
    )?;
    let binary = cmd::workspace_root().join("target/release/queue-service");
    let binary = binary.to_str().context("non UTF-8 workspace path")?;
    let scratch = tempfile::tempdir()?;

    let redis = RedisServer::start();
    let redis_pid = redis_ceiling::redis_pid(&redis)?;
    println!(
        "Redis ceiling: redis-benchmark, {CONNECTIONS} clients, the service's own Lua scripts"
    );
    let ceiling = redis_ceiling::measure(&redis, redis_pid)?;

    let instrumented = start_service(binary, &redis, "bench", &[]);
    let bare = start_service(binary, &redis, "bench-bare", &["--no-http-metrics"]);
    let scratch = scratch.path();
    let load = |service: &ServiceProcess| {
        let url = format!("http://{}", service.api_addr);
        move |seconds| {
            let load = Load {
                url: &url,
                connections: CONNECTIONS,
                threads: WRK_THREADS,
                script: MIX,
            };
            wrk::run(&load, seconds, scratch)
        }
    };
    let run_instrumented = load(&instrumented);
    let run_bare = load(&bare);

    println!("warm-up: {WARMUP_SECONDS} s each");
    run_instrumented(WARMUP_SECONDS)?;
    run_bare(WARMUP_SECONDS)?;

    println!(
        "service: wrk, {CONNECTIONS} connections, {WRK_THREADS} threads, {} s, get/call/list in turn",
        args.seconds
    );
    let (headline, cores) = cores_used(&[instrumented.pid(), redis_pid], || {
        run_instrumented(args.seconds)
    });
    let headline = headline?;
    headline.ensure_clean("service run")?;
    println!(
        "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
        headline.rate(),
        headline.p50_ms(),
        headline.p99_ms()
    );

    println!(
        "metrics layer: {} interleaved pairs of {} s runs (ABBA order)",
        args.pairs, args.pair_seconds
    );
    let measure_instrumented =
        || measured(instrumented.pid(), || run_instrumented(args.pair_seconds));
    let measure_bare = || measured(bare.pid(), || run_bare(args.pair_seconds));
    let mut pairs = Vec::new();
    for pair in 0..args.pairs {
        let (with, without) = if pair % 2 == 0 {
            let with = measure_instrumented()?;
            (with, measure_bare()?)
        } else {
            let without = measure_bare()?;
            (measure_instrumented()?, without)
        };
        let pair = Pair::new(with, without);
        println!(
            "  pair {}: with {:.0} req/s ({:.1} us CPU/req), without {:.0} req/s ({:.1} us CPU/req): \
             throughput {:+.1}%, CPU per request {:+.1}%",
            pairs.len() + 1,
            pair.with.result.rate(),
            pair.with.cpu_us_per_request,
            pair.without.result.rate(),
            pair.without.cpu_us_per_request,
            -pair.throughput_cost() * 100.0,
            pair.cpu_cost() * 100.0,
        );
        pairs.push(pair);
    }
    println!(
        "metrics layer in-process (release build): {} interleaved pairs of 200000 requests",
        args.pairs
    );
    let layer = super::layer_cost::measure(args.pairs)?;
    report(&headline, &ceiling, &cores, &pairs, layer);
    Ok(())
}

fn start_service(binary: &str, redis: &RedisServer, queue: &str, args: &[&str]) -> ServiceProcess {
    let url = redis.url();
    ServiceProcess::start(
        binary,
        args,
        &[
            ("REDIS_URL", url.as_str()),
            ("API_KEYS", API_KEY),
            ("QUEUE_NAME", queue),
            // Request logs off: the benchmark measures the service, not stdout.
            ("RUST_LOG", "warn,queue_service=info"),
        ],
    )
}

/// One wrk run and the service CPU it took.
struct Measured {
    result: WrkResult,
    cpu_us_per_request: f64,
}

fn measured(pid: u32, run: impl FnOnce() -> anyhow::Result<WrkResult>) -> anyhow::Result<Measured> {
    let (result, cores) = cores_used(&[pid], run);
    let result = result?;
    result.ensure_clean("benchmark run")?;
    let cpu_us_per_request = cores[0] * 1e6 / result.rate();
    Ok(Measured {
        result,
        cpu_us_per_request,
    })
}

/// Runs with and without the HTTP metrics layer, back to back.
struct Pair {
    with: Measured,
    without: Measured,
}

impl Pair {
    fn new(with: Measured, without: Measured) -> Self {
        Self { with, without }
    }

    /// Throughput lost to the layer (0.03 = 3%).
    fn throughput_cost(&self) -> f64 {
        1.0 - self.with.result.rate() / self.without.result.rate()
    }

    /// Extra service CPU per request due to the layer: steadier than throughput on
    /// a shared machine, since it does not depend on how much CPU was available.
    fn cpu_cost(&self) -> f64 {
        self.with.cpu_us_per_request / self.without.cpu_us_per_request - 1.0
    }
}

fn report(
    headline: &WrkResult,
    ceiling: &redis_ceiling::Ceiling,
    cores: &[f64],
    pairs: &[Pair],
    layer: super::layer_cost::LayerCost,
) {
    let ratio = headline.rate() / ceiling.mix();
    let overhead = median(pairs.iter().map(Pair::throughput_cost).collect());
    let cpu_overhead = median(pairs.iter().map(Pair::cpu_cost).collect());
    let with = median(pairs.iter().map(|pair| pair.with.result.rate()).collect());
    let without = median(
        pairs
            .iter()
            .map(|pair| pair.without.result.rate())
            .collect(),
    );
    println!();
    println!("| measure | value | target |");
    println!("| --- | --- | --- |");
    println!(
        "| Redis ceiling, issue / call / list scripts (req/s) | {:.0} / {:.0} / {:.0} | |",
        ceiling.issue, ceiling.call, ceiling.list
    );
    println!(
        "| Redis ceiling for the 1:1:1 mix (req/s) | {:.0} (redis-server at {:.2} cores) | |",
        ceiling.mix(),
        ceiling.redis_cores
    );
    println!(
        "| queue-service, 64 connections (req/s) | {:.0} | |",
        headline.rate()
    );
    println!(
        "| queue-service p50 / p99 latency (ms) | {:.2} / {:.2} | p99 < 5 ms: {} |",
        headline.p50_ms(),
        headline.p99_ms(),
        verdict(headline.p99_ms() < 5.0)
    );
    println!(
        "| service / Redis ceiling | {:.2} | >= 0.50: {} |",
        ratio,
        verdict(ratio >= 0.5)
    );
    println!(
        "| CPU during the service run: queue-service / redis-server (cores) | {:.2} / {:.2} | |",
        cores[0], cores[1]
    );
    println!(
        "| median req/s with / without HTTP metrics ({} pairs) | {:.0} / {:.0} | |",
        pairs.len(),
        with,
        without
    );
    println!(
        "| median throughput cost of the HTTP metrics layer | {:+.1}% | <= 3%: {} |",
        overhead * 100.0,
        verdict(overhead <= 0.03)
    );
    println!(
        "| median service CPU per request added by the layer | {:+.1}% | |",
        cpu_overhead * 100.0
    );
    let super::layer_cost::LayerCost {
        with_ns,
        without_ns,
    } = layer;
    let request_cpu_ns = pairs
        .iter()
        .map(|pair| pair.with.cpu_us_per_request)
        .sum::<f64>()
        / pairs.len() as f64
        * 1000.0;
    let share = (with_ns - without_ns) / request_cpu_ns;
    println!(
        "| in-process: router with / without the layer (ns per request) | {with_ns:.0} / {without_ns:.0} | |"
    );
    println!(
        "| the layer's cost, as a share of a request's CPU ({:.1} us) | {:.1}% | <= 3%: {} |",
        request_cpu_ns / 1000.0,
        share * 100.0,
        verdict(share <= 0.03)
    );
}

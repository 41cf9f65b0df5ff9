//! `cargo xtask bench students`: `GET /` of the release students-service through
//! wrk (closed loop, 32 connections), healthy and then with Redis hung (SIGSTOP,
//! the circuit breaker's case), beside PostgreSQL's own ceiling for the same
//! SELECT through pgbench (prepared statements, 32 clients), all in one run.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use testkit::{RedisServer, ServiceProcess, TestDatabase};

use self::pgbench::Pgbench;
use super::cpu::cores_used;
use super::cpu::{MachineCpu, cores, load_average};
use super::wrk::{self, Load, WrkResult};
use super::{BenchArgs, verdict};
use crate::{cmd, setup};

mod pgbench;

const CONNECTIONS: u32 = 32;
const WRK_THREADS: u32 = 2;
const WARMUP_SECONDS: u64 = 3;
/// The service's query (`students_service::db::LIST_STUDENTS`; a test there
/// checks that this copy is the same).
const LIST_STUDENTS: &str = "SELECT id, nom, promo FROM students ORDER BY id LIMIT 1000";
const GET_ROOT: &str = r#"request = function() return wrk.format("GET", "/") end"#;

/// The targets of the issue, printed beside the figures.
const TARGET_P99_MS: f64 = 5.0;
const TARGET_SHARE_OF_PGBENCH: f64 = 0.25;
const TARGET_DEGRADED_P99_RATIO: f64 = 2.0;

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    setup::ensure_test_dependencies()?;
    cmd::run(
        "cargo",
        &["build", "--release", "--quiet", "-p", "students-service"],
    )?;
    let binary = cmd::workspace_root().join("target/release/students-service");
    let binary = binary.to_str().context("non UTF-8 workspace path")?;
    let scratch = tempfile::tempdir()?;
    println!(
        "machine: {} cores, load average {}",
        cores(),
        load_average()
    );

    let db = TestDatabase::create();
    let redis = RedisServer::start();
    let service = start_service(binary, &db, &redis);
    wait_ready(service.api_addr)?;
    let url = format!("http://{}", service.api_addr);
    let load = Load {
        url: &url,
        connections: CONNECTIONS,
        threads: WRK_THREADS,
        script: GET_ROOT,
    };
    let run_wrk = |seconds| wrk::run(&load, seconds, scratch.path());

    println!("warm-up: {WARMUP_SECONDS} s");
    run_wrk(WARMUP_SECONDS)?;

    println!(
        "healthy: wrk GET /, {CONNECTIONS} connections, {} s",
        args.seconds
    );
    let (healthy, healthy_cpu) = measure(Some(service.pid()), || run_wrk(args.seconds))?;
    healthy.ensure_clean("healthy run")?;
    print_run(&healthy, &healthy_cpu);
    let body = http_get(service.api_addr, "/")?;
    anyhow::ensure!(
        body.contains("\"views\""),
        "healthy answers carry views: {body}"
    );

    println!("degraded: Redis hung (SIGSTOP), same load");
    redis.pause();
    let degraded = degraded_run(&service, || run_wrk(args.seconds));
    redis.resume();
    let (degraded, degraded_cpu, counted) = degraded?;
    degraded.ensure_clean("degraded run")?;
    print_run(&degraded, &degraded_cpu);
    println!("  students_cache_degraded_responses_total grew by {counted:.0}");

    println!(
        "PostgreSQL ceiling: pgbench, the same SELECT, prepared, {CONNECTIONS} clients, {} s",
        args.seconds
    );
    let (pgbench, pgbench_cpu) = measure(None, || pgbench::run(&db, args.seconds, scratch.path()))?;
    println!(
        "  {:.0} tx/s, average {:.2} ms, p99 {:.2} ms (machine {:.0}% busy)",
        pgbench.rate,
        pgbench.average_ms,
        pgbench.p99_ms,
        pgbench_cpu.machine * 100.0
    );

    report(&healthy, &degraded, &pgbench);
    Ok(())
}

fn start_service(binary: &str, db: &TestDatabase, redis: &RedisServer) -> ServiceProcess {
    let (db_url, redis_url) = (db.url(), redis.url());
    ServiceProcess::start(
        binary,
        &[],
        &[
            ("DATABASE_URL", db_url.as_str()),
            ("REDIS_URL", redis_url.as_str()),
            // Request logs off: the benchmark measures the service, not stdout.
            ("RUST_LOG", "warn,students_service=info"),
        ],
    )
}

/// Where the CPU went during a run.
struct Cpu {
    service: f64,
    machine: f64,
}

/// Runs `work`, measuring the service process `pid` (when given) and the machine.
fn measure<T>(
    pid: Option<u32>,
    work: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<(T, Cpu)> {
    let pids: Vec<u32> = pid.into_iter().collect();
    let before = MachineCpu::read();
    let (result, cores) = cores_used(&pids, work);
    let machine = MachineCpu::read().busy_since(&before);
    let service = cores.first().copied().unwrap_or(f64::NAN);
    Ok((result?, Cpu { service, machine }))
}

/// Opens the breaker before measuring (the first few requests pay the Redis timeout,
/// once), then runs `work`; returns the run, its CPU and the degraded responses counted.
fn degraded_run(
    service: &ServiceProcess,
    work: impl FnOnce() -> anyhow::Result<WrkResult>,
) -> anyhow::Result<(WrkResult, Cpu, f64)> {
    for _ in 0..5 {
        let body = http_get(service.api_addr, "/")?;
        anyhow::ensure!(
            !body.contains("\"views\""),
            "degraded answers have no views: {body}"
        );
    }
    let before = degraded_total(service.metrics_addr)?;
    let (result, cpu) = measure(Some(service.pid()), work)?;
    let counted = degraded_total(service.metrics_addr)? - before;
    Ok((result, cpu, counted))
}

fn degraded_total(metrics: SocketAddr) -> anyhow::Result<f64> {
    let samples = testkit::exposition::parse(&http_get(metrics, "/metrics")?);
    testkit::exposition::find(&samples, "students_cache_degraded_responses_total", &[])
        .first()
        .map(|sample| sample.value)
        .context("no students_cache_degraded_responses_total in the scrape")
}

fn print_run(result: &WrkResult, cpu: &Cpu) {
    println!(
        "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (service {:.2} cores, machine {:.0}% busy)",
        result.rate(),
        result.p50_ms(),
        result.p99_ms(),
        cpu.service,
        cpu.machine * 100.0
    );
}

fn report(healthy: &WrkResult, degraded: &WrkResult, pgbench: &Pgbench) {
    let share = healthy.rate() / pgbench.rate;
    let degraded_ratio = degraded.p99_ms() / healthy.p99_ms();
    println!();
    println!("| run | requests/s | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, run) in [
        ("students-service, healthy", healthy),
        ("students-service, Redis hung", degraded),
    ] {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} |",
            run.rate(),
            run.p50_ms(),
            run.p99_ms()
        );
    }
    println!(
        "| pgbench, same SELECT | {:.0} | (average {:.2}) | {:.2} |",
        pgbench.rate, pgbench.average_ms, pgbench.p99_ms
    );
    println!();
    println!("service / pgbench throughput: {:.1}%", share * 100.0);
    println!("degraded / healthy p99: {degraded_ratio:.2}x");
    println!(
        "targets: healthy p99 < {TARGET_P99_MS} ms: {}; >= {:.0}% of pgbench: {}; degraded p99 <= {TARGET_DEGRADED_P99_RATIO}x healthy: {}",
        verdict(healthy.p99_ms() < TARGET_P99_MS),
        TARGET_SHARE_OF_PGBENCH * 100.0,
        verdict(share >= TARGET_SHARE_OF_PGBENCH),
        verdict(degraded_ratio <= TARGET_DEGRADED_P99_RATIO),
    );
}

/// Polls `/healthcheck` until 200 (migrations applied).
fn wait_ready(api: SocketAddr) -> anyhow::Result<()> {
    let start = Instant::now();
    while http_get(api, "/healthcheck").is_err() {
        if start.elapsed() > Duration::from_secs(30) {
            bail!("students-service not ready within 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// A minimal HTTP/1.0 GET: the body of a 200 answer, an error otherwise.
fn http_get(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").context("no HTTP header")?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_owned())
}

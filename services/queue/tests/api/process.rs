//! The real binary: graceful shutdown on SIGTERM, `/traceback`, the `healthcheck`
//! subcommand, and refusing to start on bad configuration.

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use testkit::{RedisServer, ServiceProcess};

use crate::helpers::API_KEY;

const BINARY: &str = env!("CARGO_BIN_EXE_queue-service");

fn start(redis: &RedisServer, extra: &[(&str, &str)]) -> ServiceProcess {
    let url = redis.url();
    let mut env = vec![("REDIS_URL", url.as_str()), ("API_KEYS", API_KEY)];
    env.extend_from_slice(extra);
    ServiceProcess::start(BINARY, &[], &env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish_then_exits_zero() {
    let redis = RedisServer::start();
    // Answers may take a while: Redis holds writes below.
    let mut service = start(&redis, &[("REDIS_RESPONSE_TIMEOUT_MS", "10000")]);
    let client = reqwest::Client::new();

    // Redis holds every write for 2 s: the requests below stay in flight.
    let paused = redis
        .command(&["CLIENT", "PAUSE", "2000", "WRITE"])
        .expect("reply");
    assert!(paused.starts_with("+OK"), "{paused}");
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let request = client.post(service.url("/get_ticket")).bearer_auth(API_KEY);
        requests.spawn(async move {
            request
                .send()
                .await
                .map(|response| response.status().as_u16())
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    service.signal(Signal::SIGTERM);

    let mut statuses = Vec::new();
    while let Some(result) = requests.join_next().await {
        statuses.push(result.expect("task").expect("in-flight request completed"));
    }
    assert_eq!(statuses, vec![201; 10], "every in-flight request completed");
    let status = tokio::task::block_in_place(|| service.wait_exit(Duration::from_secs(15)));
    assert_eq!(status.code(), Some(0), "graceful exit: {status}");
    assert!(
        service
            .json_logs()
            .iter()
            .any(|line| line["message"] == "SIGTERM received, shutting down"),
        "the shutdown is logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traceback_ends_the_process_with_a_failure_status() {
    let redis = RedisServer::start();
    let mut service = start(&redis, &[("CHAOS_ENDPOINTS", "true")]);
    let response = reqwest::Client::new()
        .get(service.url("/traceback"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .expect("answered before exiting");
    assert_eq!(response.status(), 500);
    let status = tokio::task::block_in_place(|| service.wait_exit(Duration::from_secs(10)));
    assert_eq!(status.code(), Some(telemetry::chaos::TRACEBACK_EXIT_CODE));
}

#[test]
fn chaos_endpoints_false_means_off() {
    let redis = RedisServer::start();
    let service = start(&redis, &[("CHAOS_ENDPOINTS", "false")]);
    let status = reqwest::blocking::Client::new()
        .get(service.url("/traceback"))
        .bearer_auth(API_KEY)
        .send()
        .expect("sent")
        .status();
    assert_eq!(status, 404);
}

#[test]
fn healthcheck_subcommand_exits_zero_when_ready_and_one_when_not() {
    let mut redis = RedisServer::start();
    let service = start(&redis, &[]);
    let probe = |args: &[&str], listen: &str| {
        Command::new(BINARY)
            .args(args)
            .env("LISTEN_ADDR", listen)
            .output()
            .expect("healthcheck ran")
    };
    let listen = service.api_addr.to_string();
    let ready = probe(&["healthcheck"], &listen);
    assert_eq!(
        ready.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ready.stderr)
    );

    let wildcard = format!("0.0.0.0:{}", service.api_addr.port());
    assert_eq!(
        probe(&["healthcheck"], &wildcard).status.code(),
        Some(0),
        "0.0.0.0 is probed on loopback"
    );

    redis.kill();
    let unready = probe(&["healthcheck"], &listen);
    assert_eq!(unready.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unready.stderr).contains("503"));

    let nothing_there = probe(
        &["healthcheck", "--url", "http://127.0.0.1:9/healthcheck"],
        &listen,
    );
    assert_eq!(nothing_there.status.code(), Some(1));
}

fn refused(env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let output = ServiceProcess::command(BINARY, args, env)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("ran");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn refuses_to_start_without_a_key_unless_anonymous_is_explicit() {
    let (code, stderr) = refused(&[("REDIS_PORT", "9")], &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no API key configured") && stderr.contains("--allow-anonymous"),
        "{stderr}"
    );

    let redis = RedisServer::start();
    let url = redis.url();
    let mut service = ServiceProcess::start(
        BINARY,
        &["--allow-anonymous"],
        &[("REDIS_URL", url.as_str())],
    );
    let warning = service.wait_for_log("the anonymous warning", Duration::from_secs(5), |line| {
        line["level"] == "WARN"
            && line["message"]
                .as_str()
                .is_some_and(|m| m.contains("WITHOUT authentication"))
    });
    assert!(warning.is_object());
}

#[test]
fn refuses_bad_configuration_with_a_clear_message() {
    let (code, stderr) = refused(&[("API_KEYS", API_KEY), ("QUEUE_NAME", "bad name!")], &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("only letters, digits, '_' and '-'"),
        "{stderr}"
    );

    let (code, stderr) = refused(&[("API_KEYS", "short")], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("at least 16"), "{stderr}");

    let (code, stderr) = refused(
        &[("API_KEYS", API_KEY), ("API_KEYS_FILE", "/nonexistent")],
        &[],
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("API_KEYS and API_KEYS_FILE are both set"),
        "{stderr}"
    );

    let (code, stderr) = refused(&[("API_KEYS_FILE", "/nonexistent/keys")], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read API_KEYS_FILE"), "{stderr}");
}

#[test]
fn keys_can_come_from_a_file() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys");
    std::fs::write(&path, format!("# rubis team\n{API_KEY}\n")).expect("written");
    let url = redis.url();
    let service = ServiceProcess::start(
        BINARY,
        &[],
        &[
            ("REDIS_URL", url.as_str()),
            ("API_KEYS_FILE", path.to_str().expect("utf-8 path")),
        ],
    );
    let status = reqwest::blocking::Client::new()
        .post(service.url("/get_ticket"))
        .bearer_auth(API_KEY)
        .send()
        .expect("sent")
        .status();
    assert_eq!(status, 201);
}

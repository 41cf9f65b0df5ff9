//! The real binary: the ready log line, the `migrate` and `healthcheck`
//! subcommands, graceful shutdown, `/traceback`, secrets that never reach the logs,
//! and refusing bad configuration with a clear message.

use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use testkit::{RedisServer, ServiceProcess, TestDatabase, free_port};

const BINARY: &str = env!("CARGO_BIN_EXE_students-service");

fn start(db: &TestDatabase, redis: &RedisServer, extra: &[(&str, &str)]) -> ServiceProcess {
    let (db_url, redis_url) = (db.url(), redis.url());
    let mut env = vec![
        ("DATABASE_URL", db_url.as_str()),
        ("REDIS_URL", redis_url.as_str()),
    ];
    env.extend_from_slice(extra);
    ServiceProcess::start(BINARY, &[], &env)
}

fn wait_healthy(service: &ServiceProcess) {
    let client = reqwest::blocking::Client::new();
    testkit::wait_until("the service to be ready", Duration::from_secs(10), || {
        client
            .get(service.url("/healthcheck"))
            .send()
            .is_ok_and(|response| response.status() == 200)
    });
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    // Not ServiceProcess::command: a DATABASE_URL inherited from the caller's
    // environment must not leak into the "not set" case.
    let mut child = Command::new(BINARY)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("LOG_FORMAT", "json")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("METRICS_ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("started");
    // A configuration wrongly accepted would serve forever: bound the wait.
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "students-service {args:?} {env:?} did not exit: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[test]
fn migrate_subcommand_applies_the_schema_and_is_idempotent() {
    let db = TestDatabase::create();
    let url = db.url();
    for _ in 0..2 {
        let (code, output) = run(&["migrate"], &[("DATABASE_URL", &url)]);
        assert_eq!(code, Some(0), "{output}");
        assert!(output.contains("database migrations applied"), "{output}");
    }
    assert_eq!(db.psql("SELECT count(*) FROM _sqlx_migrations"), "2");
    assert_eq!(db.psql("SELECT count(*) FROM students"), "8");
}

#[test]
fn migrate_subcommand_gives_up_with_the_reason() {
    let url = format!("postgres://postgres@127.0.0.1:{}/nothing", free_port());
    let (code, output) = run(
        &["migrate", "--wait-seconds", "1"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("migrations not applied"), "{output}");
    assert!(output.contains("within 1 s"), "{output}");
}

#[test]
fn refuses_bad_configuration_with_a_clear_message() {
    let (code, output) = run(&[], &[]);
    assert_eq!(code, Some(2));
    assert!(output.contains("DATABASE_URL is not set"), "{output}");

    let (code, output) = run(&[], &[("DATABASE_URL", "mysql://x")]);
    assert_eq!(code, Some(2));
    assert!(output.contains("invalid DATABASE_URL"), "{output}");

    let (code, output) = run(
        &[],
        &[
            ("DATABASE_URL", "postgres://a@b/c"),
            ("DATABASE_PASSWORD_FILE", "/nonexistent"),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(
        output.contains("cannot read DATABASE_PASSWORD_FILE"),
        "{output}"
    );

    let (code, output) = run(
        &[],
        &[
            ("DATABASE_URL", "postgres://a@b/c"),
            ("CORS_ALLOWED_ORIGINS", "localhost:8080"),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(output.contains("has no scheme"), "{output}");

    let (code, output) = run(
        &[],
        &[
            ("DATABASE_URL", "postgres://a@b/c"),
            ("REDIS_URL", "nope://"),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(output.contains("invalid REDIS_URL"), "{output}");

    let (code, output) = run(
        &[],
        &[
            ("DATABASE_URL", "postgres://a@b/c"),
            ("REDIS_URL", "redis://x/"),
            ("REDIS_URL_FILE", "/nonexistent"),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(
        output.contains("REDIS_URL and REDIS_URL_FILE are both set"),
        "{output}"
    );
}

#[test]
fn secrets_come_from_files_and_never_reach_the_logs() {
    let db = TestDatabase::create();
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let url_file = dir.path().join("database-url");
    let password_file = dir.path().join("database-password");
    // Trust authentication ignores the password, so any value connects.
    let url_password = "url-pw-5ee5c0de";
    let file_password = "file-pw-0ddba11";
    std::fs::write(
        &url_file,
        format!(
            "{}\n",
            db.url()
                .replace("postgres@", &format!("postgres:{url_password}@"))
        ),
    )
    .expect("written");
    std::fs::write(&password_file, format!("{file_password}\n")).expect("written");
    let redis_url = redis.url();
    let service = ServiceProcess::start(
        BINARY,
        &[],
        &[
            ("DATABASE_URL_FILE", url_file.to_str().expect("UTF-8")),
            (
                "DATABASE_PASSWORD_FILE",
                password_file.to_str().expect("UTF-8"),
            ),
            ("REDIS_URL", &redis_url),
            ("RUST_LOG", "debug"),
        ],
    );
    wait_healthy(&service);
    let status = reqwest::blocking::get(service.url("/"))
        .expect("sent")
        .status();
    assert_eq!(status, 200);
    let logs = service.json_logs();
    let ready = logs
        .iter()
        .find(|line| line["message"] == "students-service ready to serve")
        .expect("the ready line");
    assert_eq!(
        ready["database"],
        format!("postgres://postgres@127.0.0.1:{}/{}", db.port(), db.name())
    );
    let text = logs.iter().map(ToString::to_string).collect::<String>();
    for secret in [url_password, file_password] {
        assert!(!text.contains(secret), "a password reached the logs");
    }
}

#[test]
fn healthcheck_subcommand_follows_readiness() {
    let db = TestDatabase::create();
    let mut redis = RedisServer::start();
    let service = start(&db, &redis, &[]);
    wait_healthy(&service);
    let probe = |listen: &str| {
        Command::new(BINARY)
            .arg("healthcheck")
            .env("LISTEN_ADDR", listen)
            .output()
            .expect("healthcheck ran")
    };
    let listen = service.api_addr.to_string();
    assert_eq!(probe(&listen).status.code(), Some(0));
    redis.kill();
    assert_eq!(probe(&listen).status.code(), Some(0), "Redis is optional");
    let wildcard = format!("0.0.0.0:{}", service.api_addr.port());
    assert_eq!(
        probe(&wildcard).status.code(),
        Some(0),
        "0.0.0.0 is probed on loopback"
    );
    let nothing = probe(&format!("127.0.0.1:{}", free_port()));
    assert_eq!(nothing.status.code(), Some(1));
}

#[test]
fn unready_without_postgres_and_the_probe_says_why() {
    let redis = RedisServer::start();
    let url = format!("postgres://postgres@127.0.0.1:{}/students", free_port());
    let redis_url = redis.url();
    let service = ServiceProcess::start(
        BINARY,
        &[],
        &[
            ("DATABASE_URL", &url),
            ("REDIS_URL", &redis_url),
            ("DATABASE_ACQUIRE_TIMEOUT_MS", "300"),
        ],
    );
    let output = Command::new(BINARY)
        .arg("healthcheck")
        .env("LISTEN_ADDR", service.api_addr.to_string())
        .output()
        .expect("healthcheck ran");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("503") && stderr.contains("postgres"),
        "{stderr}"
    );
    let live = reqwest::blocking::get(service.url("/livez")).expect("sent");
    assert_eq!(live.status(), 200, "the process itself is fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_zero_and_traceback_exits_non_zero() {
    let db = TestDatabase::create();
    let redis = RedisServer::start();
    let mut service = start(&db, &redis, &[]);
    tokio::task::block_in_place(|| wait_healthy(&service));
    service.signal(Signal::SIGTERM);
    let status = tokio::task::block_in_place(|| service.wait_exit(Duration::from_secs(15)));
    assert_eq!(status.code(), Some(0), "graceful exit: {status}");

    let mut service = start(&db, &redis, &[("CHAOS_ENDPOINTS", "true")]);
    let response = reqwest::get(service.url("/traceback"))
        .await
        .expect("answered before exiting");
    assert_eq!(response.status(), 500);
    let status = tokio::task::block_in_place(|| service.wait_exit(Duration::from_secs(10)));
    assert_eq!(status.code(), Some(telemetry::chaos::TRACEBACK_EXIT_CODE));
}

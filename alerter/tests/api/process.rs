//! The real binary: the ready line and SIGTERM, the `healthcheck`, `check-config`,
//! `send-test` and `dead-letters` subcommands, and refusing bad configuration.

use std::process::{Command, Output};
use std::time::Duration;

use nix::sys::signal::Signal;
use testkit::{ServiceProcess, SmtpServer};

use crate::helpers::TOKEN;
use crate::mime::Email;

const BINARY: &str = env!("CARGO_BIN_EXE_alerter");

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("the binary ran")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn serves_reports_health_and_stops_on_sigterm() {
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("outbox.db").display());
    let url = smtp.url();
    let env = [
        ("ALERTER_WEBHOOK_TOKEN", TOKEN),
        ("ALERTER_DATABASE_URL", database.as_str()),
        ("ALERTER_SMTP_URL", url.as_str()),
        ("ALERTER_EMAIL_FROM", "alerts@vigie.test"),
        ("ALERTER_EMAIL_TO", "ops@vigie.test"),
    ];
    let mut service = ServiceProcess::start(BINARY, &[], &env);
    let listen = service.api_addr.to_string();
    let ready = run(&["healthcheck"], &[("LISTEN_ADDR", listen.as_str())]);
    assert_eq!(ready.status.code(), Some(0), "{}", text(&ready));
    let body = reqwest::blocking::get(service.url("/healthcheck"))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        body.contains("\"database\"") && body.contains("\"email\""),
        "{body}"
    );

    service.signal(Signal::SIGTERM);
    assert_eq!(service.wait_exit(Duration::from_secs(15)).code(), Some(0));
    let down = run(&["healthcheck"], &[("LISTEN_ADDR", listen.as_str())]);
    assert_eq!(down.status.code(), Some(1));
}

#[test]
fn check_config_validates_settings_routes_and_templates() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        ("ALERTER_WEBHOOK_TOKEN", TOKEN),
        ("ALERTER_SMTP_URL", "smtp://127.0.0.1:2525"),
        ("ALERTER_EMAIL_FROM", "alerts@vigie.test"),
        ("ALERTER_EMAIL_TO", "ops@vigie.test"),
    ];
    let ok = run(&["check-config"], &base);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains("configuration is valid: channels email"),
        "{}",
        text(&ok)
    );

    let half = run(&["check-config"], &base[..2]);
    assert_eq!(half.status.code(), Some(1));
    assert!(
        text(&half).contains("missing: ALERTER_EMAIL_FROM, ALERTER_EMAIL_TO"),
        "{}",
        text(&half)
    );

    let routes = dir.path().join("alerter.yml");
    std::fs::write(
        &routes,
        "routes:\n  - severity: [warning]\n    channels: [matrix]\n",
    )
    .unwrap();
    let mut env = base.to_vec();
    let path = routes.to_str().unwrap().to_owned();
    env.push(("ALERTER_CONFIG", path.as_str()));
    let unrouted = run(&["check-config"], &env);
    assert_eq!(unrouted.status.code(), Some(1));
    assert!(
        text(&unrouted).contains("sends to matrix, which is not configured"),
        "{}",
        text(&unrouted)
    );

    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/email.html"), "{{ broken").unwrap();
    std::fs::write(&routes, "templates_dir: templates\n").unwrap();
    let broken = run(&["check-config"], &env);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text(&broken).contains("template email.html does not compile"),
        "{}",
        text(&broken)
    );

    let (code, stderr) = {
        let output = run(
            &[],
            &[
                ("ALERTER_SMTP_URL", "smtp://x"),
                ("LISTEN_ADDR", "127.0.0.1:0"),
            ],
        );
        (output.status.code(), text(&output))
    };
    assert_eq!(
        code,
        Some(2),
        "serving without a token is refused: {stderr}"
    );
    assert!(stderr.contains("no webhook token"), "{stderr}");
}

#[test]
fn send_test_delivers_a_sample_end_to_end() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let env = [
        ("ALERTER_WEBHOOK_TOKEN", TOKEN),
        ("ALERTER_SMTP_URL", url.as_str()),
        ("ALERTER_EMAIL_FROM", "alerts@vigie.test"),
        ("ALERTER_EMAIL_TO", "ops@vigie.test"),
    ];
    let sent = run(&["send-test", "--channel", "email"], &env);
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    let messages = smtp.wait_for_messages(1, Duration::from_secs(5));
    let email = Email::parse(&messages[0]);
    assert_eq!(email.subject, "[FIRING:1] AlerterTest · alerter");
    assert!(
        email
            .text
            .contains("Test notification from the Vigie alerter")
    );

    let missing = run(&["send-test", "--channel", "matrix"], &env);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing).contains("the matrix channel is not configured"),
        "{}",
        text(&missing)
    );
}

#[test]
fn dead_letters_are_listed_and_replayed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("outbox.db").display());
    let env = [("ALERTER_DATABASE_URL", database.as_str())];
    let empty = run(&["dead-letters", "list"], &env);
    assert_eq!(empty.status.code(), Some(0), "{}", text(&empty));
    assert!(text(&empty).contains("0 dead letter(s)"));
    let nothing = run(&["dead-letters", "replay"], &env);
    assert_eq!(nothing.status.code(), Some(1));
    assert!(text(&nothing).contains("or pass --all"));
    let all = run(&["dead-letters", "replay", "--all"], &env);
    assert!(
        text(&all).contains("0 dead letter(s) queued again"),
        "{}",
        text(&all)
    );
}

//! The frontend: the page is the fixture byte for byte, the CSP allows exactly its
//! inline script and style (by hash), and the nginx config serves it as specified,
//! as a non-root user.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::nginx::{Nginx, frontend_dir, prepare_prefix};

/// SHA-256 of the page exactly as the brief gave it (`shared/fixtures/
/// student-dashboard.html` beside the repository where the project was set up):
/// pinned here so that the check needs nothing outside the repository.
const FIXTURE_SHA256: &str = "f5757ba0dbb2cc4eb500b0788c6db32320b48e9dcb75a0ca11df5fe85b0c556f";

fn is_the_fixture(bytes: &[u8]) -> bool {
    let digest: String = Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    digest == FIXTURE_SHA256
}

fn page() -> String {
    std::fs::read_to_string(frontend_dir().join("index.html")).expect("index.html")
}

fn nginx_conf() -> String {
    std::fs::read_to_string(frontend_dir().join("nginx.conf")).expect("nginx.conf")
}

/// The contents of every `<tag>...</tag>` block, exactly as the browser hashes them.
fn inline_blocks(html: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    html.split(&open)
        .skip(1)
        .map(|rest| rest.split(&close).next().expect("closed block").to_owned())
        .collect()
}

fn csp_hash(block: &str) -> String {
    let digest = Sha256::digest(block.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[test]
fn the_page_is_the_fixture_byte_for_byte() {
    let served = std::fs::read(frontend_dir().join("index.html")).expect("index.html");
    assert!(
        is_the_fixture(&served),
        "services/students/frontend/index.html differs from the fixture"
    );
}

#[test]
fn the_csp_allows_exactly_the_pages_inline_script_and_style() {
    let html = page();
    let conf = nginx_conf();
    let csp_line = conf
        .lines()
        .find(|line| line.contains("Content-Security-Policy"))
        .expect("a CSP header");
    assert!(
        !csp_line.contains("unsafe-inline"),
        "hashes, not unsafe-inline"
    );
    for (tag, directive) in [("script", "script-src"), ("style", "style-src")] {
        let blocks = inline_blocks(&html, tag);
        assert_eq!(blocks.len(), 1, "one inline <{tag}> block");
        let expected = format!("{directive} {}", csp_hash(&blocks[0]));
        assert!(
            csp_line.contains(&format!("{expected};")),
            "nginx.conf must allow the page's <{tag}> with `{expected}`; its CSP is:\n{csp_line}"
        );
    }
    assert!(
        csp_line.contains("connect-src http://localhost:8000;"),
        "{csp_line}"
    );
    assert!(csp_line.contains("default-src 'none'"), "{csp_line}");
}

#[test]
fn the_config_is_valid_and_keeps_paths_relative() {
    // On a copy: `nginx -t` creates the pid file and temporary directories.
    let prefix = prepare_prefix(None);
    let output = std::process::Command::new("nginx")
        .args([
            "-t",
            "-p",
            &format!("{}/", prefix.path().display()),
            "-c",
            "nginx.conf",
            "-e",
            "stderr",
        ])
        .output()
        .expect("nginx ran");
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}");
    let conf = nginx_conf();
    for line in conf.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let absolute = line
            .split_whitespace()
            .skip(1)
            .any(|word| word.starts_with('/') && !word.starts_with("/dev/std"));
        let is_location = line.starts_with("location") || line.starts_with("try_files");
        assert!(
            !absolute || is_location,
            "absolute path in `{line}`: keep paths relative to the prefix"
        );
    }
    assert!(
        !conf.lines().any(|l| l.trim_start().starts_with("user ")),
        "no user directive"
    );
    assert!(
        frontend_dir().join("run/.gitignore").is_file(),
        "frontend/run/ exists in the tree, so nginx runs natively from it"
    );
}

#[test]
fn nginx_serves_the_page_with_its_headers_as_nobody() {
    let nginx = Nginx::start(Some(testkit::free_port()));
    let client = reqwest::blocking::Client::builder()
        .no_gzip()
        .build()
        .expect("client");

    let response = client.get(nginx.url("/")).send().expect("page");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let csp = headers["content-security-policy"].to_str().expect("ASCII");
    assert!(nginx_conf().contains(csp), "the CSP is the config's");
    assert!(
        !headers.contains_key("server") || headers["server"] == "nginx",
        "no version"
    );
    assert!(
        is_the_fixture(&response.bytes().expect("body")),
        "served byte for byte"
    );

    let gzipped = client
        .get(nginx.url("/"))
        .header("Accept-Encoding", "gzip")
        .send()
        .expect("page");
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert!(
        gzipped.headers()["vary"]
            .to_str()
            .expect("ASCII")
            .contains("Accept-Encoding")
    );

    let health = client.get(nginx.url("/healthz")).send().expect("healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().expect("body"), "ok\n");

    for path in ["/nginx.conf", "/run/nginx.pid", "/run/stdout.log", "/x"] {
        let status = client.get(nginx.url(path)).send().expect("sent").status();
        assert_eq!(status, 404, "{path} must not be served");
    }
    assert_eq!(
        client
            .get(nginx.url("/index.html"))
            .send()
            .expect("sent")
            .status(),
        200
    );

    let log = nginx.access_log();
    assert!(
        log.contains("\"GET / HTTP/1.1\" 200"),
        "access log on stdout: {log}"
    );
    assert!(!log.contains("/healthz"), "health checks are not logged");

    let status = std::fs::read_to_string(format!("/proc/{}/status", nginx.pid())).expect("status");
    let uid_line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .expect("Uid line");
    assert!(
        uid_line
            .split_whitespace()
            .nth(2)
            .is_none_or(|euid| euid != "0"),
        "non-root: {uid_line}"
    );
}

//! The gateway (compose/gateway/gateway.conf, the routing file of both stacks)
//! in front of four real queue-service processes, each with its own Redis:
//! every prefix reaches its own queue and no other, the prefix is stripped and
//! announced, Swagger UI and its spec load through the prefix, the chaos routes
//! are refused on prod and go through on dev, and anything else is 404.
//!
//! The gateway's include is written by the native stack's own code (compiled in
//! from xtask below) with the processes' bound addresses; nginx runs as
//! `nobody` when the tests run as root, so the config is shown to need no root.

// The native stack's helpers; not all of them are needed here.
#[allow(dead_code)]
#[path = "../../../xtask/src/gateway.rs"]
mod gateway;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use gateway::Policy;
use reqwest::blocking::{Client, Response};
use reqwest::{StatusCode, redirect};
use serde_json::Value;
use tempfile::TempDir;
use testkit::nginx::Nginx;
use testkit::{RedisServer, ServiceProcess};

const KEY: &str = "gateway-test-key-0123456789";

/// Four queues behind a gateway. Fields drop in reverse: the gateway first.
struct Stack {
    gateway: Nginx,
    _prefix: TempDir,
    queues: Vec<(&'static str, ServiceProcess)>,
    _redis: Vec<RedisServer>,
    client: Client,
}

impl Stack {
    /// The four queues, with their chaos routes enabled (so that only the
    /// gateway can be what refuses them), behind a gateway with `policy`.
    fn start(policy: Policy) -> Self {
        let binary = env!("CARGO_BIN_EXE_queue-service");
        let mut redis = Vec::new();
        let mut queues = Vec::new();
        for queue in gateway::QUEUES {
            let server = RedisServer::start();
            let url = server.url();
            let env = [
                ("QUEUE_NAME", queue),
                ("REDIS_URL", url.as_str()),
                ("API_KEYS", KEY),
                ("CHAOS_ENDPOINTS", "true"),
            ];
            queues.push((queue, ServiceProcess::start(binary, &[], &env)));
            redis.push(server);
        }
        let addresses: Vec<(&str, SocketAddr)> =
            queues.iter().map(|(name, p)| (*name, p.api_addr)).collect();
        let (gateway, prefix) = start_gateway(&addresses, policy);
        Self {
            gateway,
            _prefix: prefix,
            queues,
            _redis: redis,
            client: client(),
        }
    }

    fn get(&self, path: &str) -> Response {
        self.client
            .get(self.gateway.url(path))
            .bearer_auth(KEY)
            .send()
            .expect("the gateway answers")
    }

    fn post(&self, path: &str) -> Response {
        self.client
            .post(self.gateway.url(path))
            .bearer_auth(KEY)
            .send()
            .expect("the gateway answers")
    }

    fn process(&mut self, queue: &str) -> &mut ServiceProcess {
        &mut self
            .queues
            .iter_mut()
            .find(|(name, _)| *name == queue)
            .expect("a known queue")
            .1
    }
}

fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// nginx with the routing file, the native include for `queues`, and `policy`.
fn start_gateway(queues: &[(&str, SocketAddr)], policy: Policy) -> (Nginx, TempDir) {
    let prefix = tempfile::tempdir().expect("tempdir");
    let dir = prefix.path().to_path_buf();
    let nginx = Nginx::start(&dir, "gateway.conf", |port| {
        let listen = SocketAddr::from(([127, 0, 0, 1], port));
        gateway::write_prefix(&dir, &gateway::native_upstreams(listen, queues), policy)
            .expect("write the gateway's prefix");
    });
    (nginx, prefix)
}

fn json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().expect("a body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text:?}"));
    (status, body)
}

#[test]
fn each_prefix_reaches_its_own_queue_and_no_other() {
    let stack = Stack::start(Policy::Prod);
    for expected in 1..=2 {
        let (status, body) = json(stack.post("/rubis/get_ticket"));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["queue"], "rubis");
        assert_eq!(body["ticket"], expected);
    }
    for queue in gateway::QUEUES {
        let (status, body) = json(stack.get(&format!("/{queue}/list_tickets")));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["queue"], queue,
            "/{queue} is served by the {queue} process"
        );
        let waiting = if queue == "rubis" { 2 } else { 0 };
        assert_eq!(body["waiting"], waiting, "{queue}: {body}");
    }
    // The query string follows; the service's own answers pass through unchanged.
    let (_, body) = json(stack.get("/rubis/list_tickets?limit=1"));
    assert_eq!(body["tickets"].as_array().map(Vec::len), Some(1), "{body}");
    let anonymous = stack
        .client
        .get(stack.gateway.url("/saphir/list_tickets"))
        .send()
        .expect("answer");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = json(stack.get("/diamant/healthcheck"));
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[test]
fn swagger_ui_and_its_spec_load_through_the_prefix() {
    let stack = Stack::start(Policy::Prod);
    let redirect = stack.get("/rubis/docs");
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    let location = redirect.headers()["location"].to_str().expect("ascii");
    let base = reqwest::Url::parse(&stack.gateway.url("/rubis/docs")).expect("url");
    let page_url = base.join(location).expect("location");
    assert_eq!(
        page_url.path(),
        "/rubis/docs/",
        "the browser stays under the prefix"
    );

    let page = stack.get(page_url.path());
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().expect("html").contains("swagger-ui"));
    let initializer = stack
        .get("/rubis/docs/swagger-initializer.js")
        .text()
        .expect("js");
    assert!(initializer.contains("../openapi.json"), "{initializer}");
    let spec_url = page_url.join("../openapi.json").expect("spec url");
    assert_eq!(spec_url.path(), "/rubis/openapi.json");
    let (status, spec) = json(stack.get(spec_url.path()));
    assert_eq!(status, StatusCode::OK);
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{spec}"
    );
    assert!(spec["paths"]["/get_ticket"].is_object());
    assert_eq!(
        stack.get("/rubis/docs/swagger-ui-bundle.js").status(),
        StatusCode::OK
    );
}

#[test]
fn the_chaos_routes_are_refused_by_the_gateway_on_prod() {
    let mut stack = Stack::start(Policy::Prod);
    for path in [
        "/rubis/traceback",
        "/rubis//traceback",
        "/rubis/%74raceback",
        "/rubis/./traceback",
        "/saphir/traceback/",
    ] {
        let (status, body) = json(stack.get(path));
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("chaos")),
            "{body}"
        );
    }
    let (status, _) = json(stack.post("/rubis/chaos/errors?ratio=1&seconds=60"));
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The processes never saw them: rubis is alive and serves without errors.
    for _ in 0..20 {
        assert_eq!(stack.get("/rubis/list_tickets").status(), StatusCode::OK);
    }
    assert_eq!(stack.get("/rubis/livez").status(), StatusCode::OK);
    let rubis = stack.process("rubis");
    assert!(
        rubis
            .json_logs()
            .iter()
            .all(|line| !line.to_string().contains("/traceback")),
        "the service never received /traceback"
    );
}

#[test]
fn the_chaos_routes_go_through_on_dev() {
    let mut stack = Stack::start(Policy::Chaos);
    let (status, body) = json(stack.post("/saphir/chaos/errors?ratio=0"));
    assert_eq!(status, StatusCode::OK, "{body}");
    // /traceback ends the rubis process, as on the dev platform (where Docker
    // restarts it); the gateway then answers for it.
    let _ = stack.get("/rubis/traceback");
    let exit = stack.process("rubis").wait_exit(Duration::from_secs(10));
    assert!(!exit.success(), "{exit}");
    let (status, body) = json(stack.get("/rubis/list_tickets"));
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("unavailable")),
        "{body}"
    );
    assert_eq!(stack.get("/emeraude/list_tickets").status(), StatusCode::OK);
}

#[test]
fn unknown_paths_and_metrics_are_404() {
    let stack = Stack::start(Policy::Prod);
    for path in [
        "/",
        "/unknown",
        "/rubis",
        "/rubisx/list_tickets",
        "/RUBIS/list_tickets",
        "/DEFAULT/list_tickets",
        "/metrics",
        "/rubis/metrics",
        "/rubis/metrics/",
        "/list_tickets",
    ] {
        let (status, body) = json(stack.get(path));
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    let (status, body) = json(stack.get("/healthz"));
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    // Every request is logged as one JSON line.
    let log = stack.gateway.access_log();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON access log"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["uri"] == "/rubis/metrics" && l["status"] == 404)
    );
    assert!(
        !stack.gateway.error_log().contains("uninitialized"),
        "{}",
        stack.gateway.error_log()
    );
}

/// One HTTP request as the upstream received it: the request line and headers.
fn capture_one_request(listener: &TcpListener) -> Vec<String> {
    let (mut stream, _) = listener.accept().expect("a connection from the gateway");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read");
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let body = b"{\"captured\":true}";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(response.as_bytes()).expect("write");
    stream.write_all(body).expect("write");
    head
}

#[test]
fn the_service_sees_the_stripped_path_and_the_forwarding_headers() {
    let upstream = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = upstream.local_addr().expect("addr");
    let queues: Vec<(&str, SocketAddr)> = gateway::QUEUES.iter().map(|q| (*q, addr)).collect();
    let (nginx, _prefix) = start_gateway(&queues, Policy::Prod);
    let captured = std::thread::spawn(move || capture_one_request(&upstream));
    let response = client()
        .get(nginx.url("/saphir/list_tickets?limit=3"))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let head = captured.join().expect("captured");
    assert_eq!(head[0], "GET /list_tickets?limit=3 HTTP/1.1", "{head:#?}");
    let header = |name: &str| {
        head.iter()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("no {name} header in {head:#?}"))
    };
    assert_eq!(header("X-Forwarded-Prefix"), "/saphir");
    assert_eq!(header("X-Forwarded-For"), "127.0.0.1");
    assert_eq!(header("X-Forwarded-Proto"), "http");
    assert_eq!(header("X-Request-Id").len(), 32);
    assert!(
        header("traceparent").starts_with("00-4bf92f35"),
        "trace context passes through"
    );
}

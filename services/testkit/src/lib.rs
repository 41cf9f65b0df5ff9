//! Test support shared by every crate's integration tests: real servers on free
//! ports (never the machine's own), their faults on demand, and checks that call
//! the real tools (promtool).
//!
//! Helpers panic with a message saying what is missing: in a test that is the
//! clearest failure.

pub mod exposition;
pub mod http;
pub use http::json_request;
pub mod nginx;
mod postgres;
mod process;
mod promtool;
mod redis_server;
mod smtp_server;
mod synapse;
mod tcp_proxy;
mod venv;

pub use postgres::TestDatabase;
pub use process::{ServiceProcess, signal};
pub use promtool::check_metrics;
pub use redis_server::{RedisServer, resp_command};
pub use smtp_server::SmtpServer;
pub use synapse::{MatrixUser, Synapse, write_config as write_synapse_config};
pub use tcp_proxy::TcpProxy;
pub use venv::{python_with, venv_dir};

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A port that was free a moment ago (bound to port 0 then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("cannot bind an ephemeral port on 127.0.0.1")
}

/// Polls `condition` every 20 ms until it holds; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

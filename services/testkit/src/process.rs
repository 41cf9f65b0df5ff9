//! A service binary run as a child process, for what only a real process shows:
//! signals, exit codes, stdout logs. It is started with `LISTEN_ADDR` and
//! `METRICS_ADDR` on port 0 and its bound addresses are read from its JSON log,
//! so no port is ever guessed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::wait_until;

/// Sends `signal` to process `pid`.
pub fn signal(pid: u32, signal: Signal) -> nix::Result<()> {
    let pid = i32::try_from(pid).map_err(|_| nix::Error::EINVAL)?;
    kill(Pid::from_raw(pid), signal)
}

/// A running service binary with its captured stdout lines.
#[derive(Debug)]
pub struct ServiceProcess {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// The API address it bound.
    pub api_addr: SocketAddr,
    /// The metrics address it bound.
    pub metrics_addr: SocketAddr,
}

impl ServiceProcess {
    /// Starts `binary` with `env` (plus JSON logs and ephemeral ports) and waits for
    /// its "ready" log line, which carries the `api` and `metrics` addresses.
    pub fn start(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Self::command(binary, args, env)
            .spawn()
            .expect("cannot start the service binary");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout is piped");
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().expect("log lock").push(line);
            }
        });
        let mut process = Self {
            child,
            lines,
            api_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            metrics_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        let ready = process.wait_for_log("the ready log line", Duration::from_secs(20), |line| {
            line.get("api").is_some() && line.get("metrics").is_some()
        });
        process.api_addr = parse_addr(&ready, "api");
        process.metrics_addr = parse_addr(&ready, "metrics");
        process
    }

    /// The command `start` runs, for tests that expect the binary to refuse to start.
    pub fn command(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(binary);
        command
            .args(args)
            .env("LOG_FORMAT", "json")
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("METRICS_ADDR", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        command
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://<api_addr><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.api_addr)
    }

    /// Every JSON log line so far (other lines are skipped).
    pub fn json_logs(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .expect("log lock")
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Waits for a JSON log line matching `predicate` and returns it.
    pub fn wait_for_log(
        &mut self,
        what: &str,
        timeout: Duration,
        predicate: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let mut found = None;
        wait_until(what, timeout, || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the service exited ({status}) while waiting for {what}; logs: {:?}",
                    self.lines
                );
            }
            found = self.json_logs().into_iter().find(|line| predicate(line));
            found.is_some()
        });
        found.expect("found by wait_until")
    }

    /// Sends a signal.
    pub fn signal(&self, sig: Signal) {
        signal(self.pid(), sig).expect("cannot signal the service");
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("cannot wait for the service") {
                return status;
            }
            assert!(
                start.elapsed() < timeout,
                "the service did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_addr(line: &serde_json::Value, field: &str) -> SocketAddr {
    line.get(field)
        .and_then(serde_json::Value::as_str)
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("the ready log line has no `{field}` address: {line}"))
}

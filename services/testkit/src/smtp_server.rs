//! A real SMTP server per test: aiosmtpd (from the venv) on a free port, writing
//! each message it accepts to a file the test reads. It can be stopped and
//! started again on the same port, as an outage would.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::{free_port, venv, wait_until};

const SERVER: &str = r#"
import os, sys, time
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        name = "%020d-%d" % (time.time_ns(), os.getpid())
        path = os.path.join(sys.argv[2], name)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path + ".eml")
        return "250 Message accepted for delivery"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
while True:
    time.sleep(3600)
"#;

/// A running SMTP sink; killed when dropped.
#[derive(Debug)]
pub struct SmtpServer {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    python: PathBuf,
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub fn start() -> Self {
        let python = venv::python_with("aiosmtpd");
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        std::fs::create_dir(dir.path().join("messages")).expect("messages directory");
        std::fs::write(dir.path().join("server.py"), SERVER).expect("server script");
        let mut server = Self {
            child: None,
            port: 0,
            dir,
            python,
        };
        for _ in 0..5 {
            server.port = free_port();
            if server.spawn() {
                return server;
            }
        }
        panic!("could not start aiosmtpd on a free port after 5 attempts");
    }

    fn spawn(&mut self) -> bool {
        let log = std::fs::File::create(self.dir.path().join("server.log")).expect("log file");
        let child = Command::new(&self.python)
            .arg(self.dir.path().join("server.py"))
            .arg(self.port.to_string())
            .arg(self.dir.path().join("messages"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("cannot run the venv's python");
        self.child = Some(child);
        for _ in 0..250 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            if let Some(child) = self.child.as_mut()
                && matches!(child.try_wait(), Ok(Some(_)))
            {
                self.child = None;
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `smtp://127.0.0.1:<port>` (plain SMTP).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The port it listens on (also while stopped).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills it (SIGKILL): connections are refused until [`Self::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, keeping the messages received so far.
    pub fn restart(&mut self) {
        self.stop();
        let mut started = false;
        wait_until("aiosmtpd to restart", Duration::from_secs(15), || {
            started = self.spawn();
            started
        });
    }

    /// Every message received so far (raw RFC 5322 text), oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.received()
            .into_iter()
            .map(|(_, message)| message)
            .collect()
    }

    /// Every message received so far with its arrival time (Unix nanoseconds, the
    /// server's clock when it accepted the data), oldest first.
    pub fn received(&self) -> Vec<(u128, String)> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("messages"))
            .expect("messages directory")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|path| {
                let arrival = path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .and_then(|stem| stem.split('-').next())
                    .and_then(|nanos| nanos.parse().ok())
                    .unwrap_or(0);
                let bytes = std::fs::read(path).expect("message file");
                (arrival, String::from_utf8_lossy(&bytes).into_owned())
            })
            .collect()
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Waits until at least `count` messages arrived, and returns them all.
    pub fn wait_for_messages(&self, count: usize, timeout: Duration) -> Vec<String> {
        wait_until(&format!("{count} e-mail(s)"), timeout, || {
            self.messages().len() >= count
        });
        self.messages()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

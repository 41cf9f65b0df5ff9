//! A private `redis-server` per test, on a free port, in a temporary directory,
//! with kill / restart / SIGSTOP / SIGCONT for fault tests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::{free_port, process::signal, wait_until};

/// A running private Redis; killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

impl RedisServer {
    /// Starts a server without persistence on a free port.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        let mut server = Self {
            child: None,
            port: 0,
            dir,
        };
        // A port found free can be taken before Redis binds it: try a few.
        for _ in 0..5 {
            server.port = free_port();
            if server.spawn() {
                return server;
            }
        }
        panic!("could not start redis-server on a free port after 5 attempts");
    }

    fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot run redis-server ({error}): install it (`cargo xtask setup` as root)"
                )
            });
        self.child = Some(child);
        for _ in 0..100 {
            if self.ping() {
                return true;
            }
            let exited = self
                .child
                .as_mut()
                .is_some_and(|child| matches!(child.try_wait(), Ok(Some(_))));
            if exited {
                self.child = None;
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `redis://127.0.0.1:<port>/`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether it answers PING right now.
    pub fn ping(&self) -> bool {
        self.command(&["PING"])
            .is_some_and(|reply| reply.starts_with("+PONG"))
    }

    /// Sends one command and returns the raw RESP reply, or `None` when Redis does
    /// not answer within a second.
    pub fn command(&self, args: &[&str]) -> Option<String> {
        resp_command(self.port, args)
    }

    /// Kills it (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A stopped process only dies once continued.
            let _ = signal(child.id(), Signal::SIGCONT);
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        // The port can linger for a moment after the kill.
        let mut started = false;
        wait_until("redis-server to restart", Duration::from_secs(10), || {
            started = self.spawn();
            started
        });
    }

    /// Freezes it (SIGSTOP): connections stay open but nothing answers.
    pub fn pause(&self) {
        signal(self.pid(), Signal::SIGSTOP).expect("cannot SIGSTOP redis-server");
    }

    /// Unfreezes it (SIGCONT).
    pub fn resume(&self) {
        signal(self.pid(), Signal::SIGCONT).expect("cannot SIGCONT redis-server");
    }

    fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .expect("redis-server is not running")
            .id()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends one command to the Redis on 127.0.0.1:`port` and returns the raw RESP
/// reply, or `None` when it does not answer within a second.
pub fn resp_command(port: u16, args: &[&str]) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).ok()?;
    let mut buffer = vec![0_u8; 64 * 1024];
    let read = stream.read(&mut buffer).ok()?;
    (read > 0).then(|| String::from_utf8_lossy(&buffer[..read]).into_owned())
}

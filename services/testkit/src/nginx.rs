//! A private nginx on a prefix directory, as the gateway and the frontend run:
//! `nginx -p <prefix>/ -c <config> -e stderr`. When the tests run as root it
//! runs as `nobody`, so that a passing test also proves the config needs no
//! root. Its access log (stdout) and error log (stderr) go to files in the
//! prefix's `run/`; a failure to start panics with the error log.

use std::fs::File;
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::{free_port, signal};

const NOBODY: u32 = 65534;
const NOGROUP: u32 = 65534;

/// A running nginx; stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    run: PathBuf,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
}

impl Nginx {
    /// Starts nginx on `prefix`, which holds `config` and a `run/` directory.
    /// `write_config` is called with a free port first, to write the config
    /// listening on `127.0.0.1:<port>`; if another process took that port in the
    /// meantime, it is called again with another one.
    pub fn start(prefix: &Path, config: &str, mut write_config: impl FnMut(u16)) -> Self {
        let run = prefix.join("run");
        std::fs::create_dir_all(&run).expect("cannot create <prefix>/run");
        // The workers (and, as root, the whole server) run as nobody: they read the prefix.
        std::fs::set_permissions(prefix, std::fs::Permissions::from_mode(0o755))
            .expect("cannot chmod the prefix");
        for _ in 0..5 {
            let port = free_port();
            write_config(port);
            if let Some(nginx) = Self::spawn(prefix, config, &run, port) {
                return nginx;
            }
        }
        panic!("nginx could not bind a free port after 5 attempts");
    }

    /// `None` when the port was taken; panics on any other failure.
    fn spawn(prefix: &Path, config: &str, run: &Path, port: u16) -> Option<Self> {
        let stdout = run.join("stdout.log");
        let stderr = run.join("stderr.log");
        let files = [
            File::create(&stdout).expect("stdout.log"),
            File::create(&stderr).expect("stderr.log"),
        ];
        let as_root = std::fs::metadata(run).expect("run/").uid() == 0;
        let mut command = if as_root {
            for path in [run, &stdout, &stderr] {
                std::os::unix::fs::chown(path, Some(NOBODY), Some(NOGROUP))
                    .expect("cannot chown to nobody");
            }
            let mut command = Command::new("setpriv");
            command.args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "nginx",
            ]);
            command
        } else {
            Command::new("nginx")
        };
        let [out, err] = files;
        let child = command
            .args([
                "-p",
                &format!("{}/", prefix.display()),
                "-c",
                config,
                "-e",
                "stderr",
            ])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot run nginx ({error}): apt-get install nginx (`cargo xtask setup`)")
            });
        let mut nginx = Self {
            child,
            run: run.to_path_buf(),
            port,
        };
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                let log = nginx.error_log();
                if log.contains("Address already in use") {
                    return None;
                }
                panic!("nginx exited ({status}) at start:\n{log}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(nginx);
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not listen on {port} within 10 s:\n{}",
                nginx.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What nginx wrote on stdout (the access log).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.run.join("stdout.log")).unwrap_or_default()
    }

    /// What nginx wrote on stderr (the error log).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.run.join("stderr.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM is nginx's fast shutdown; the master stops its workers.
        let _ = signal(self.child.id(), Signal::SIGTERM);
        for _ in 0..250 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The frontend's real nginx config, run natively: `nginx -p <prefix> -c nginx.conf`
//! on a temporary prefix holding copies of the two files, as `nobody` when the
//! tests run as root, so that a test also proves the config needs no root.

use std::fs::File;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

/// The directory of `nginx.conf` and `index.html`.
pub fn frontend_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("frontend")
}

/// A running nginx; stopped when dropped.
pub struct Nginx {
    child: Child,
    prefix: TempDir,
    pub port: u16,
}

impl Nginx {
    /// Starts the config unchanged (port 8080), or listening on `port` instead.
    pub fn start(port: Option<u16>) -> Self {
        let prefix = prepare_prefix(port);
        let run = prefix.path().join("run");
        let stdout = run.join("stdout.log");
        File::create(&stdout).expect("stdout.log");
        let mut command = if is_root(&run) {
            for path in [&run, &stdout] {
                std::os::unix::fs::chown(path, Some(NOBODY), Some(NOGROUP))
                    .expect("chown to nobody");
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
        // Access logs go to /dev/stdout, which nginx reopens: a file the server's
        // user owns (as in a container), not a pipe root created.
        let child = command
            .args(["-p", &format!("{}/", prefix.path().display()), "-c", "nginx.conf", "-e", "stderr"])
            .stdin(Stdio::null())
            .stdout(File::options().append(true).open(&stdout).expect("stdout.log"))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot run nginx ({error}): install it (Debian package nginx, or `cargo xtask setup`)")
            });
        let mut nginx = Self {
            child,
            prefix,
            port: port.unwrap_or(8080),
        };
        let port = nginx.port;
        testkit::wait_until("nginx to listen", Duration::from_secs(10), || {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = nginx.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                panic!("nginx exited ({status}): {stderr}");
            }
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        nginx
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What nginx wrote on its stdout (the access log).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("run/stdout.log")).expect("stdout.log")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM is nginx's fast shutdown; the master stops its workers.
        let _ = testkit::signal(self.child.id(), nix::sys::signal::Signal::SIGTERM);
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

/// A temporary prefix holding copies of `nginx.conf` (listening on `port` when
/// given) and `index.html`, and the writable `run/` the config expects.
pub fn prepare_prefix(port: Option<u16>) -> TempDir {
    let prefix = tempfile::tempdir().expect("tempdir");
    let config = std::fs::read_to_string(frontend_dir().join("nginx.conf")).expect("nginx.conf");
    let config = match port {
        None => config,
        Some(port) => {
            assert_eq!(
                config.matches("listen 8080;").count(),
                1,
                "one listen directive"
            );
            config.replace("listen 8080;", &format!("listen 127.0.0.1:{port};"))
        }
    };
    std::fs::write(prefix.path().join("nginx.conf"), config).expect("write nginx.conf");
    std::fs::copy(
        frontend_dir().join("index.html"),
        prefix.path().join("index.html"),
    )
    .expect("copy index.html");
    std::fs::create_dir(prefix.path().join("run")).expect("run/");
    // Workers (and, as root, the whole server) run as nobody: they must read the prefix.
    std::fs::set_permissions(prefix.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod prefix");
    prefix
}

const NOBODY: u32 = 65534;
const NOGROUP: u32 = 65534;

/// Whether we run as root: what we just created belongs to root.
fn is_root(created: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(created).expect("metadata").uid() == 0
}

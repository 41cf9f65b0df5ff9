//! A real Matrix homeserver per test: Synapse (from the venv) on loopback with
//! only the client API, open registration and rate limits high enough not to get
//! in the way. Helpers register a user, create a room and read its messages back.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::http::json_request;
use crate::{free_port, venv, wait_until};

/// A running homeserver named `localhost`; killed when dropped.
#[derive(Debug)]
pub struct Synapse {
    child: Child,
    port: u16,
    dir: TempDir,
}

/// A registered account.
#[derive(Debug, Clone)]
pub struct MatrixUser {
    /// `@name:localhost`
    pub user_id: String,
    /// Its access token.
    pub access_token: String,
}

impl Synapse {
    /// Starts a homeserver on a free port and waits until its client API answers.
    pub fn start() -> Self {
        let python = venv::python_with("synapse");
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        let port = free_port();
        write_config(dir.path(), port);
        let log = std::fs::File::create(dir.path().join("synapse.log")).expect("log file");
        let child = Command::new(python)
            .args(["-m", "synapse.app.homeserver", "-c"])
            .arg(dir.path().join("homeserver.yaml"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("cannot run synapse from the venv");
        let mut synapse = Self { child, port, dir };
        wait_until("Synapse to answer", Duration::from_secs(90), || {
            if let Ok(Some(status)) = synapse.child.try_wait() {
                let log = std::fs::read_to_string(synapse.dir.path().join("synapse.log"))
                    .unwrap_or_default();
                panic!("synapse exited ({status}); its log:\n{log}");
            }
            matches!(
                json_request(port, "GET", "/_matrix/client/versions", None, None),
                Ok((200, _))
            )
        });
        synapse
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Registers `username` (no verification) and returns its token.
    pub fn register(&self, username: &str) -> MatrixUser {
        let body = json!({
            "username": username,
            "password": format!("{username}-password-0123"),
            "auth": {"type": "m.login.dummy"},
        });
        let (status, reply) = self.call("POST", "/_matrix/client/v3/register", None, Some(&body));
        assert_eq!(status, 200, "registration of {username} failed: {reply}");
        MatrixUser {
            user_id: reply["user_id"].as_str().expect("user_id").to_owned(),
            access_token: reply["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
        }
    }

    /// Creates a room owned (and joined) by `user`; returns its id.
    pub fn create_room(&self, user: &MatrixUser) -> String {
        let body = json!({"preset": "private_chat", "name": "vigie alerts"});
        let (status, reply) = self.call(
            "POST",
            "/_matrix/client/v3/createRoom",
            Some(&user.access_token),
            Some(&body),
        );
        assert_eq!(status, 200, "room creation failed: {reply}");
        reply["room_id"].as_str().expect("room_id").to_owned()
    }

    /// The `m.room.message` events of `room`, oldest first (the last 1000).
    pub fn messages(&self, user: &MatrixUser, room: &str) -> Vec<Value> {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=1000",
            encode(room)
        );
        let (status, reply) = self.call("GET", &path, Some(&user.access_token), None);
        assert_eq!(status, 200, "reading messages failed: {reply}");
        let mut events: Vec<Value> = reply["chunk"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|event| event["type"] == "m.room.message")
            .collect();
        events.reverse();
        events
    }

    /// Waits until `room` holds at least `count` messages, and returns them all.
    pub fn wait_for_messages(
        &self,
        user: &MatrixUser,
        room: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<Value> {
        wait_until(&format!("{count} Matrix message(s)"), timeout, || {
            self.messages(user, room).len() >= count
        });
        self.messages(user, room)
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        json_request(self.port, method, path, token, body)
            .unwrap_or_else(|error| panic!("synapse {method} {path} failed: {error}"))
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes a path segment (room ids hold `!` and `:`).
fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Writes `homeserver.yaml` and a signing key into `dir` for a loopback
/// homeserver on `port` (also used by the native stack's `--matrix`).
pub fn write_config(dir: &Path, port: u16) {
    // Secrets of a loopback homeserver: fastrand's quality is enough.
    let secret = || format!("{:032x}", fastrand::u128(..));
    let limit = "{per_second: 1000, burst_count: 1000}";
    let config = format!(
        r#"server_name: "localhost"
report_stats: false
pid_file: "{dir}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{dir}/homeserver.db"
media_store_path: "{dir}/media_store"
signing_key_path: "{dir}/localhost.signing.key"
trusted_key_servers: []
suppress_key_server_warning: true
enable_registration: true
enable_registration_without_verification: true
registration_shared_secret: "{registration}"
macaroon_secret_key: "{macaroon}"
form_secret: "{form}"
enable_metrics: false
url_preview_enabled: false
rc_message: {limit}
rc_registration: {limit}
rc_joins:
  local: {limit}
  remote: {limit}
rc_login:
  address: {limit}
  account: {limit}
  failed_attempts: {limit}
"#,
        dir = dir.display(),
        registration = secret(),
        macaroon = secret(),
        form = secret(),
    );
    std::fs::write(dir.join("homeserver.yaml"), config).expect("homeserver.yaml");
    // The key Synapse signs events with: "ed25519 <key id> <unpadded base64 seed>".
    let seed: Vec<u8> = std::iter::repeat_with(|| fastrand::u8(..))
        .take(32)
        .collect();
    std::fs::write(
        dir.join("localhost.signing.key"),
        format!("ed25519 a_test {}\n", STANDARD_NO_PAD.encode(&seed)),
    )
    .expect("signing key");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_ids_are_encoded_as_path_segments() {
        assert_eq!(encode("!abc:localhost"), "%21abc%3Alocalhost");
    }
}

//! Synapse for the native stack (`cargo xtask up --matrix`): a loopback
//! homeserver named `localhost`, an `alerts` account for the alerter and a room
//! it posts to. The account and room are created once and kept in the secrets.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::layout::Layout;
use super::{ports, secrets};

/// The alerter's room and the file holding its access token.
#[derive(Debug, Clone)]
pub struct Room {
    /// The room id (never parsed: recent room versions have no server suffix).
    pub room_id: String,
    /// The access token's file.
    pub token_file: PathBuf,
    /// The account, to read the room with a Matrix client.
    pub user_id: String,
    /// Its password.
    pub password: String,
}

/// The homeserver command, writing its configuration on first use.
pub fn synapse_command(layout: &Layout) -> anyhow::Result<Command> {
    let dir = layout.data("synapse");
    std::fs::create_dir_all(&dir)?;
    if !dir.join("homeserver.yaml").is_file() {
        testkit::write_synapse_config(&dir, ports::SYNAPSE);
    }
    let mut command = Command::new(crate::setup::venv_python());
    command
        .args(["-m", "synapse.app.homeserver", "-c"])
        .arg(dir.join("homeserver.yaml"))
        .current_dir(dir);
    Ok(command)
}

/// The alerter's account and room, created on the running homeserver the first time.
pub fn ensure_room(layout: &Layout) -> anyhow::Result<Room> {
    let saved = layout.secrets().join("matrix.json");
    let token_file = layout.secrets().join("matrix_access_token");
    if let Ok(text) = std::fs::read_to_string(&saved) {
        let room: Value = serde_json::from_str(&text)?;
        return Ok(Room {
            room_id: field(&room, "room_id")?,
            token_file,
            user_id: field(&room, "user_id")?,
            password: field(&room, "password")?,
        });
    }
    let password = secrets::read(&secrets::ensure(&layout.secrets(), "matrix_password")?)?;
    let (status, account) = call(
        "POST",
        "/_matrix/client/v3/register",
        None,
        &json!({"username": "alerts", "password": password, "auth": {"type": "m.login.dummy"}}),
    )?;
    if status != 200 {
        bail!("cannot register the Matrix account `alerts` ({status}): {account}");
    }
    let token = field(&account, "access_token")?;
    let (status, room) = call(
        "POST",
        "/_matrix/client/v3/createRoom",
        Some(&token),
        &json!({"preset": "public_chat", "name": "Vigie alerts", "room_alias_name": "vigie-alerts"}),
    )?;
    if status != 200 {
        bail!("cannot create the alerts room ({status}): {room}");
    }
    let created = Room {
        room_id: field(&room, "room_id")?,
        token_file,
        user_id: field(&account, "user_id")?,
        password,
    };
    secrets::write(&created.token_file, &token)?;
    let record = json!({"room_id": created.room_id, "user_id": created.user_id, "password": created.password});
    secrets::write(&saved, &record.to_string())?;
    Ok(created)
}

/// A client API call on the native homeserver.
pub fn call(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<(u16, Value)> {
    let body = (method != "GET").then_some(body);
    testkit::json_request(ports::SYNAPSE, method, path, token, body)
        .with_context(|| format!("Synapse {method} {path} failed"))
}

fn field(value: &Value, name: &str) -> anyhow::Result<String> {
    value[name]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no `{name}` in {value}"))
}

//! The students database of the native stack: a `vigie` database on the machine's
//! PostgreSQL when one answers on 5432, otherwise a private cluster under the
//! state directory, run as the `postgres` user (initdb refuses root).

use std::process::Command;

use anyhow::{Context, bail};

use super::layout::Layout;
use super::{ports, supervisor};

const DATABASE: &str = "vigie";

/// Where the students database is, and whether the stack started its server.
#[derive(Debug, Clone)]
pub struct Database {
    /// `postgres://...` for students-service.
    pub url: String,
    /// Whether it is our private cluster (stopped by `down`).
    pub private: bool,
}

/// Uses the machine's PostgreSQL, or starts a private one; creates the database.
pub fn prepare(layout: &Layout) -> anyhow::Result<Database> {
    let (port, private) = if answers(5432) {
        (5432, false)
    } else {
        start_private(layout)?;
        (ports::PRIVATE_POSTGRES, true)
    };
    create_database(port)?;
    Ok(Database {
        url: format!("postgres://postgres@127.0.0.1:{port}/{DATABASE}"),
        private,
    })
}

fn answers(port: u16) -> bool {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atc",
            "SELECT 1",
        ])
        .output()
        .is_ok_and(|output| output.status.success())
}

fn create_database(port: u16) -> anyhow::Result<()> {
    let port = port.to_string();
    let psql = |sql: &str| {
        Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-Atc",
                sql,
            ])
            .output()
            .context("cannot run psql (Debian package postgresql-client)")
    };
    let exists = psql(&format!(
        "SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
    ))?;
    if String::from_utf8_lossy(&exists.stdout).trim() != "1" {
        let created = psql(&format!("CREATE DATABASE {DATABASE}"))?;
        if !created.status.success() {
            bail!(
                "cannot create the {DATABASE} database: {}",
                String::from_utf8_lossy(&created.stderr)
            );
        }
    }
    Ok(())
}

fn start_private(layout: &Layout) -> anyhow::Result<()> {
    let bin = crate::setup::postgres::server_bin_dir()
        .context("no PostgreSQL server binaries (Debian package postgresql)")?;
    let dir = layout.data("postgres");
    if !dir.join("PG_VERSION").is_file() {
        println!(
            "  no PostgreSQL on 127.0.0.1:5432: creating a private cluster in {}",
            dir.display()
        );
        std::fs::create_dir_all(&dir)?;
        as_postgres(&["chown", "-R", "postgres:postgres"], &dir, false)?;
        let initdb = bin.join("initdb").display().to_string();
        as_postgres(
            &[
                initdb.as_str(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "-D",
            ],
            &dir,
            true,
        )?;
    }
    let mut command = Command::new("runuser");
    command
        .args(["-u", "postgres", "--"])
        .arg(bin.join("postgres"))
        .arg("-D")
        .arg(&dir)
        .args([
            "-p",
            &ports::PRIVATE_POSTGRES.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-k",
        ])
        .arg(&dir);
    supervisor::spawn(layout, "postgres", command)?;
    for _ in 0..100 {
        if answers(ports::PRIVATE_POSTGRES) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bail!(
        "the private PostgreSQL did not start: {}",
        supervisor::log_tail(&layout.log("postgres"), 20)
    )
}

/// Runs `args dir` (as the `postgres` user when `as_user`, else as ourselves).
fn as_postgres(args: &[&str], dir: &std::path::Path, as_user: bool) -> anyhow::Result<()> {
    let mut command = if as_user {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).args(args);
        command
    } else {
        let mut command = Command::new(args[0]);
        command.args(&args[1..]);
        command
    };
    let output = command
        .arg(dir)
        .output()
        .with_context(|| format!("cannot run {}", args[0]))?;
    if !output.status.success() {
        bail!(
            "{} failed: {}",
            args[0],
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

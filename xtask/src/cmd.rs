//! Running external commands with their command line echoed, and finding the workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Runs `program args...` in the workspace root, inheriting stdio; fails when it fails.
pub fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .with_context(|| format!("could not start `{program}`: is it installed?"))?;
    if !status.success() {
        bail!("`{program} {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

/// Whether `program` is in /usr/sbin or /sbin, where Debian puts daemons such as
/// nginx, and which a non-root PATH often lacks.
pub fn exists_in_sbin(program: &str) -> bool {
    ["/usr/sbin", "/sbin"]
        .iter()
        .any(|dir| Path::new(dir).join(program).is_file())
}

/// Whether `program` is found on the PATH.
pub fn exists(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

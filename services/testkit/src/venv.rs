//! The Python virtual environment the test servers run from (aiosmtpd, Synapse):
//! `VIGIE_VENV`, or `target/venv` in the workspace, as `cargo xtask setup` makes it.

use std::path::PathBuf;
use std::process::Command;

/// The venv's directory.
pub fn venv_dir() -> PathBuf {
    std::env::var_os("VIGIE_VENV").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/venv"),
        PathBuf::from,
    )
}

/// The venv's `python`, once it is known to import `module`; panics saying how to
/// get it otherwise.
pub fn python_with(module: &str) -> PathBuf {
    let dir = venv_dir();
    let python = dir.join("bin/python");
    let has_module = python.is_file()
        && Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|output| output.status.success());
    assert!(
        has_module,
        "the Python venv at {} has no `{module}`: run `cargo xtask setup` (it creates the venv with \
         aiosmtpd and matrix-synapse), or point VIGIE_VENV at a venv that has them",
        dir.display()
    );
    python
}

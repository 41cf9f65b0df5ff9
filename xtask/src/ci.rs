//! `cargo xtask ci`: the one test command, the one `.ci/run` calls.

use clap::Args;

use crate::{cmd, setup};

#[derive(Debug, Args)]
pub struct CiArgs {
    /// Do not install missing packages; fail instead.
    #[arg(long)]
    pub no_install: bool,
}

pub fn run(args: &CiArgs) -> anyhow::Result<()> {
    if !args.no_install {
        setup::ensure_test_dependencies()?;
    }
    cmd::run("cargo", &["fmt", "--all", "--", "--check"])?;
    cmd::run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    crate::monitoring::check()?;
    cmd::run(
        "cargo",
        &[
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--no-fail-fast",
        ],
    )?;
    println!("ci: all checks passed");
    Ok(())
}

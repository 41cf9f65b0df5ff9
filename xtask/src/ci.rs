//! `cargo xtask ci`: the one test command, the one `.ci/run` calls: install what
//! is missing, then fmt, clippy, the config checks (monitoring, Kubernetes,
//! compose), every unit and integration test, and the end-to-end test.

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
    crate::k8s::check()?;
    crate::compose::check()?;
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
    // Last, on the binaries the tests just built: the whole pipeline, natively.
    crate::e2e::run(&crate::e2e::E2eArgs { release: false })?;
    println!("ci: all checks passed");
    Ok(())
}

//! `cargo xtask bench <target>`: benchmarks against real components.

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to benchmark.
    pub target: BenchTarget,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchTarget {
    /// queue-service against a private Redis, beside Redis's own ceiling.
    Queue,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match args.target {
        BenchTarget::Queue => anyhow::bail!("not yet"),
    }
}

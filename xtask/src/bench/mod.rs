//! `cargo xtask bench <target>`: benchmarks against real components, at maximum
//! throughput (closed loop), with the reference ceiling measured in the same run.

mod alerter;
mod cpu;
mod queue;
mod students;
mod wrk;

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to benchmark.
    pub target: BenchTarget,
    /// Seconds each measured run lasts.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Number of interleaved pairs for overhead comparisons.
    #[arg(long, default_value_t = 5)]
    pub pairs: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchTarget {
    /// queue-service against a private Redis, beside Redis's own ceiling.
    Queue,
    /// The alerter: webhooks stored per second, accept and delivery latency.
    Alerter,
    /// students-service `GET /`, healthy and with Redis hung, beside pgbench's ceiling.
    Students,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match args.target {
        BenchTarget::Queue => queue::run(args),
        BenchTarget::Alerter => alerter::run(args),
        BenchTarget::Students => students::run(args),
    }
}

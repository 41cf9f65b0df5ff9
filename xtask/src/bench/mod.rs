//! `cargo xtask bench <target>`: benchmarks against real components, at maximum
//! throughput (closed loop), with the reference ceiling measured in the same run.

mod alerter;
mod cpu;
mod layer_cost;
mod queue;
mod redis_ceiling;
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
    #[arg(long, default_value_t = 10)]
    pub pairs: usize,
    /// Seconds each run of a pair lasts: short runs, many pairs, so that the
    /// machine's slow and fast spells fall on both sides alike.
    #[arg(long, default_value_t = 4)]
    pub pair_seconds: u64,
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

/// The median of `values` (the mean of the two middle ones for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// How a figure compares with its target, in the printed tables.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match args.target {
        BenchTarget::Queue => queue::run(args),
        BenchTarget::Alerter => alerter::run(args),
        BenchTarget::Students => students::run(args),
    }
}

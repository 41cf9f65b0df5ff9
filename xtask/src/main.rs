//! `cargo xtask`: the project's own automation (CI, benchmarks), written in Rust so
//! that it runs wherever cargo does.

mod bench;
mod ci;
mod cmd;
mod monitoring;
mod setup;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Vigie's build, test and benchmark tasks"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Install what the tests need (when root), then run every check: fmt, clippy, all tests.
    Ci(ci::CiArgs),
    /// Install the system packages the tests and the platform need, and nothing else.
    Setup,
    /// Run a benchmark against real components and print the figures.
    Bench(bench::BenchArgs),
    /// Check the Prometheus rules and tests, Alertmanager routing, Grafana dashboards and runbooks.
    CheckMonitoring,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.task {
        Task::Ci(args) => ci::run(&args),
        Task::Setup => setup::ensure_test_dependencies(),
        Task::Bench(args) => bench::run(&args),
        Task::CheckMonitoring => monitoring::check(),
    }
}

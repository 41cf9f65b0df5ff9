//! `cargo xtask`: the project's own automation (CI, benchmarks), written in Rust so
//! that it runs wherever cargo does.

mod bench;
mod ci;
mod cmd;
mod compose;
mod e2e;
mod gateway;
mod k8s;
mod load;
mod monitoring;
mod native;
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
    /// Check the compose files (schema, rendered platforms, hardening), the Dockerfile and the nginx configs.
    CheckCompose(compose::CheckArgs),
    /// Write deploy/k8s/ files generated from prometheus/, grafana/ and the frontend.
    GenK8s,
    /// Check deploy/k8s/: generated files, rendering, schemas, policy (docs/operations.md).
    CheckK8s,
    /// Start the platform as local processes (machines without Docker) and print its URLs.
    Up(native::UpArgs),
    /// Stop what `up` started, and only that.
    Down(native::StackArgs),
    /// Each component of the native stack, its URL and its health.
    Status(native::StackArgs),
    /// Send realistic traffic to the running native stack, optionally with a fault.
    Load(load::LoadArgs),
    /// The end-to-end test on the native stack: an error spike becomes an e-mail and a Matrix message.
    E2e(e2e::E2eArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.task {
        Task::Ci(args) => ci::run(&args),
        Task::Setup => setup::ensure_test_dependencies(),
        Task::Bench(args) => bench::run(&args),
        Task::CheckMonitoring => monitoring::check(),
        Task::CheckCompose(args) => compose::run(&args),
        Task::GenK8s => k8s::generate(),
        Task::CheckK8s => k8s::check(),
        Task::Up(args) => native::up(&args),
        Task::Down(args) => native::down(&args),
        Task::Status(args) => native::status(&args),
        Task::Load(args) => load::run(&args),
        Task::E2e(args) => e2e::run(&args),
    }
}

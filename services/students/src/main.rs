//! The `students-service` binary: parse the command line, then serve, migrate or probe.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use students_service::{Application, Cli, Command};

// Many small, short-lived allocations per request (rows, JSON, futures): mimalloc
// spends far less time on them than glibc's allocator (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Healthcheck { url }) => {
            let url = url.unwrap_or_else(|| {
                telemetry::health::local_url(cli.config.listen_addr, "/healthcheck")
            });
            return match telemetry::health::probe(&url, Duration::from_secs(3)).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("unhealthy: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Migrate { wait_seconds }) => {
            migrate(cli, Duration::from_secs(wait_seconds)).await
        }
        None | Some(Command::Serve) => serve(cli).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("students-service: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let _guard = telemetry::init("students-service", &cli.config.telemetry)?;
    let app = Application::build(cli.config).await?;
    app.run_until_stopped(telemetry::shutdown::signal()).await
}

async fn migrate(cli: Cli, wait: Duration) -> anyhow::Result<()> {
    let _guard = telemetry::init("students-service", &cli.config.telemetry)?;
    students_service::startup::migrate_once(&cli.config, wait).await
}

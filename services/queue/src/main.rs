//! The `queue-service` binary: parse the command line, then serve or probe.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use queue_service::{Application, Cli, Command};

// Many small, short-lived allocations per request from several threads: mimalloc
// handles them with far less contention than glibc's allocator (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Healthcheck { url }) => {
            let url = url.unwrap_or_else(|| {
                telemetry::health::local_url(cli.config.listen_addr, "/healthcheck")
            });
            match telemetry::health::probe(&url, Duration::from_secs(3)).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("unhealthy: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
        None | Some(Command::Serve) => match serve(cli).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!("{error:#}");
                eprintln!("queue-service: {error:#}");
                ExitCode::from(2)
            }
        },
    }
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let _guard = telemetry::init("queue-service", &cli.config.telemetry)?;
    let app = Application::build(cli.config).await?;
    app.run_until_stopped(telemetry::shutdown::signal()).await
}

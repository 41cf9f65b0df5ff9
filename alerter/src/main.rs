//! The `alerter` binary: parse the command line, then serve, probe or run a tool.

use std::process::ExitCode;
use std::time::Duration;

use alerter::{Application, Cli, Command, cli};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = &cli.config;
    let result = match &cli.command {
        Some(Command::Healthcheck { url }) => {
            let url = url.clone().unwrap_or_else(|| {
                telemetry::health::local_url(config.listen_addr, "/healthcheck")
            });
            telemetry::health::probe(&url, Duration::from_secs(3))
                .await
                .map(|()| String::new())
                .map_err(|error| error.context("unhealthy"))
        }
        Some(Command::CheckConfig) => cli::check_config(config),
        Some(Command::SendTest { channel }) => cli::send_test(config, *channel).await,
        Some(Command::DeadLetters { action }) => cli::dead_letters(config, action).await,
        None | Some(Command::Serve) => return serve(cli).await,
    };
    match result {
        Ok(output) => {
            if !output.is_empty() {
                println!("{output}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("alerter: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> ExitCode {
    let run = async {
        let _guard = telemetry::init("alerter", &cli.config.telemetry)?;
        let app = Application::build(cli.config).await?;
        app.run_until_stopped(telemetry::shutdown::signal()).await
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("alerter: {error:#}");
            ExitCode::from(2)
        }
    }
}

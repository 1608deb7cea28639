//! The `een-gallery` binary: thin wiring over the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use een_gallery::config::{Config, LogFormat};
use een_gallery::healthcheck::{self, HealthcheckArgs};
use een_gallery::{auth, server, sim, telemetry};

/// A web gallery for Eagle Eye Networks cloud cameras. Without a command it serves the
/// gallery; without EEN credentials it serves demo data from a built-in simulator.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Probe the server's /healthz; exit 0 when healthy, 1 otherwise (for container health
    /// checks).
    Healthcheck(HealthcheckArgs),
    /// Run the EEN API v1 simulator standalone and print its demo credentials.
    Sim(sim::SimArgs),
    /// Connect the EEN account (API v3) from a terminal, for a server without a browser:
    /// serves the redirect URI (e.g. --een-redirect-url http://127.0.0.1:3333) on its own
    /// port, prints the sign-in address, waits for the sign-in and writes the connection into
    /// DATA_DIR.
    Connect(Box<Config>),
    /// Manage the gallery's users file (DATA_DIR/users, or AUTH_USERS_FILE): add, passwd,
    /// remove, list.
    User(auth::cli::UserArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Healthcheck(args)) => Ok(if healthcheck::run(&args).await {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        Some(Command::Sim(args)) => {
            telemetry::init(LogFormat::Text);
            sim::run_standalone(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Connect(config)) => {
            telemetry::init(config.log_format);
            server::connect::run(*config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::User(args)) => match auth::cli::run(&args, &mut std::io::stdout()) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(error) => {
                eprintln!("een-gallery user: {error}");
                Ok(ExitCode::FAILURE)
            }
        },
        None => {
            telemetry::init(cli.config.log_format);
            server::run(cli.config).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

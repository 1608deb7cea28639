//! The `een-gallery` binary: thin wiring over the library.

use clap::{Parser, Subcommand};

/// A web gallery for Eagle Eye Networks cloud cameras.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the EEN API v1 simulator standalone and print its demo credentials.
    Sim(een_gallery::sim::SimArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,een_gallery=debug,tower_http=info".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Sim(args)) => een_gallery::sim::run_standalone(args).await,
        None => anyhow::bail!("the gallery server is not built yet; try `een-gallery sim`"),
    }
}

//! The `augur` command line.

mod render;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Augur's streaming runtime: anomaly detection, forecasting and log clustering on metric and log streams.
#[derive(Parser, Debug)]
#[command(name = "augur", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the RuntimeConfig the operator renders for a resource (the same function the operator calls).
    Render {
        /// The manifest (`-` reads standard input).
        manifest: PathBuf,
        /// Namespace for a manifest that names none.
        #[arg(long, default_value = "default")]
        namespace: String,
        /// The operator's default Kafka, for manifests that name no brokers (comma-separated host:port).
        #[arg(long, value_delimiter = ',')]
        kafka_bootstrap_servers: Option<Vec<String>>,
    },
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Render { manifest, namespace, kafka_bootstrap_servers } => {
            render::run(&manifest, namespace, kafka_bootstrap_servers, out)
        }
    }
}

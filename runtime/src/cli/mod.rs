//! The `augur` command line.

pub mod progress;
mod render;
mod run;
pub mod simulate;
mod try_run;

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
    /// Run a pipeline as a service from its RuntimeConfig (what runtime pods do): Kafka or Prometheus in, results
    /// and dead letters to Kafka, checkpoints, `/metrics`, `/healthz` and `/readyz`; stops cleanly on SIGTERM.
    Run {
        /// The RuntimeConfig file (`augur render` prints one; in a pod, the mounted ConfigMap).
        #[arg(long)]
        config: PathBuf,
        /// Where `/metrics`, `/healthz` and `/readyz` listen.
        #[arg(long, env = "AUGUR_HTTP_ADDRESS", default_value = "0.0.0.0:9090")]
        http_address: std::net::SocketAddr,
        /// The pod's name: the Kafka client id, and the name of this pod's entry in the resource's status.
        #[arg(long, env = "POD_NAME", default_value = "augur-runtime")]
        client_id: String,
        /// How often the pod publishes to its resource's status (at least 1s).
        #[arg(long, env = "AUGUR_STATUS_INTERVAL", default_value = "30s")]
        status_interval: augur_crds::common::Duration,
    },
    /// Run a resource's pipeline locally on a file and summarise (and plot) the results; no cluster needed.
    Try {
        /// The manifest (AnomalyDetector today).
        manifest: PathBuf,
        /// Input: CSV (`timestamp,value[,series]`) or JSON lines of metric events.
        #[arg(long)]
        input: PathBuf,
        /// Draw the results into this SVG file.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Write every result to this file as JSON lines.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the metrics a runtime pod would serve on `/metrics` to this file, as they stand at the end.
        #[arg(long)]
        metrics: Option<PathBuf>,
        /// How many top results to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Replay a load trace through the HPA alone (at several target utilisations), the HPA under an
    /// AutoScalePolicy's forecast floor, and an oracle, and compare them at equal cost; with `--requests`, replay
    /// per-pod usage through the policy's container requests and the VPA recommender's.
    Simulate(simulate::SimulateOptions),
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Render { manifest, namespace, kafka_bootstrap_servers } => {
            render::run(&manifest, namespace, kafka_bootstrap_servers, out)
        }
        Command::Run { config, http_address, client_id, status_interval } => {
            run::run(&config, http_address, client_id, status_interval)
        }
        Command::Try { manifest, input, plot, out: results, metrics, top } => {
            try_run::run(&try_run::TryOptions { manifest, input, plot, out: results, metrics, top }, out)
        }
        Command::Simulate(options) => simulate::run(&options, out),
    }
}

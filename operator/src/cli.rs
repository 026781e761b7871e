//! The `augur-operator` command line.

use clap::{Parser, Subcommand};

/// Augur's Kubernetes operator.
#[derive(Parser, Debug)]
#[command(name = "augur-operator", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print every Augur CustomResourceDefinition as YAML, e.g. `augur-operator crds | kubectl apply --server-side -f -`.
    Crds,
    /// Run the controllers against the cluster of the current kubeconfig or in-cluster service account.
    Run(RunOptions),
    /// Benchmarks that print their figures.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// The operator's benchmarks.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Reconcile many AnomalyDetectors against an in-process API server; print time and peak memory.
    Reconcile {
        /// How many resources.
        #[arg(long, default_value_t = 500)]
        resources: usize,
        /// Reconciles in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Run the operator as a process against the current kubeconfig's API server, create AnomalyDetectors in a
    /// temporary namespace, and print the time until all are reconciled, the reconciles and the operator's memory.
    Cluster {
        /// How many resources.
        #[arg(long, default_value_t = 500)]
        resources: usize,
        /// Creates in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// The operator binary to measure (default: this one).
        #[arg(long)]
        operator: Option<std::path::PathBuf>,
        /// Seconds without a new reconcile after which the count is final.
        #[arg(long, default_value_t = 10)]
        settle_seconds: u64,
        /// Longest wait, in seconds, for every resource to be reconciled.
        #[arg(long, default_value_t = 300)]
        timeout_seconds: u64,
    },
}

/// Options of `augur-operator run`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunOptions {
    /// The runtime image the operator deploys.
    #[arg(long, env = "AUGUR_RUNTIME_IMAGE", default_value_t = crate::config::OperatorConfig::default().runtime_image)]
    pub runtime_image: String,
    /// Pull policy of the runtime image.
    #[arg(long, env = "AUGUR_IMAGE_PULL_POLICY", default_value = "IfNotPresent")]
    pub image_pull_policy: String,
    /// Kafka brokers for resources that name none (comma-separated host:port).
    #[arg(long, env = "AUGUR_KAFKA_BOOTSTRAP_SERVERS", value_delimiter = ',')]
    pub kafka_bootstrap_servers: Option<Vec<String>>,
    /// Address of `/healthz`, `/readyz` and `/metrics`.
    #[arg(long, env = "AUGUR_HTTP_ADDRESS", default_value = "0.0.0.0:8080")]
    pub http_address: String,
    /// Namespace of the leader-election Lease (the operator's own namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub lease_namespace: String,
    /// This replica's identity in the election (its pod name).
    #[arg(long, env = "POD_NAME", default_value = "augur-operator")]
    pub identity: String,
    /// Run without leader election (a single replica only).
    #[arg(long)]
    pub no_leader_election: bool,
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Crds => {
            for (_, crd) in augur_crds::crd::all() {
                writeln!(out, "---")?;
                out.write_all(augur_crds::crd::to_yaml(&crd)?.as_bytes())?;
            }
            Ok(())
        }
        Command::Run(options) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(crate::run::run(options))
        }
        Command::Bench(BenchCommand::Reconcile { resources, concurrency }) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(crate::bench::reconcile::reconcile_many(resources, concurrency, out))
        }
        Command::Bench(BenchCommand::Cluster { resources, concurrency, operator, settle_seconds, timeout_seconds }) => {
            let options = crate::bench::cluster::Options {
                resources,
                concurrency,
                operator,
                settle: std::time::Duration::from_secs(settle_seconds),
                timeout: std::time::Duration::from_secs(timeout_seconds),
            };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(crate::bench::cluster::run(options, out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_prints_every_kind_as_separate_documents() {
        let mut out = Vec::new();
        run(Cli { command: Command::Crds }, &mut out).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out);
        assert_eq!(text.matches("\n---\n").count() + usize::from(text.starts_with("---\n")), 4);
        for plural in ["anomalydetectors", "forecasters", "logclusterers", "autoscalepolicies"] {
            assert!(text.contains(&format!("name: {plural}.augur.dev")), "{plural} missing");
        }
    }
}

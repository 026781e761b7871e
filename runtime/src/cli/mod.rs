//! The `augur` command line.

mod bench;
pub mod progress;
mod render;
mod run;
mod simulate;
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
    /// Replay a load trace through the HPA alone, the HPA under an AutoScalePolicy's forecast floor, and an oracle;
    /// compare under-provisioning, pod-hours and scaling actions.
    Simulate(simulate::SimulateOptions),
    /// Benchmarks that print their figures.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// The benchmarks.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Score a NAB-layout corpus (`DIR/<category>/<name>.csv`) with the AnomalyDetector defaults.
    Nab {
        /// The corpus, e.g. ../shared/bench/nab/data.
        #[arg(long)]
        data: PathBuf,
        /// Where to write the scored series.
        #[arg(long)]
        out: PathBuf,
    },
    /// The rolling-origin forecasting protocol of shared/bench/forecast/evaluate.py, with the Forecaster defaults.
    Forecast {
        /// CSV with `unique_id,ds,y`.
        #[arg(long)]
        data: PathBuf,
        /// Steps ahead.
        #[arg(long)]
        horizon: usize,
        /// Season length (steps) of the MASE scale.
        #[arg(long)]
        season: usize,
        /// Number of origins at the end of each series.
        #[arg(long)]
        origins: usize,
        /// Steps between origins.
        #[arg(long)]
        step: usize,
        /// Where to write the cross-validation rows.
        #[arg(long)]
        out: PathBuf,
    },
    /// Mine templates from loghub's 2k samples (`DIR/<System>/<System>_2k.log_structured.csv`, Content column).
    Loghub {
        /// The corpus, e.g. ../shared/bench/loghub2k.
        #[arg(long)]
        data: PathBuf,
        /// Where to write `<System>.csv` predictions.
        #[arg(long)]
        out: PathBuf,
        /// Feed whole raw lines (`<System>_2k.log`), each system a stream whose headers are learned and separated.
        #[arg(long)]
        raw: bool,
        /// Also run leave-one-system-out validation and print each fold's held-out GA.
        #[arg(long)]
        folds: bool,
    },
    /// `augur simulate` on every series of a CSV (`unique_id,ds,y`), each with a capacity per replica that makes its
    /// peak need a given number of pods.
    Autoscale {
        /// CSV with `unique_id,ds,y`, e.g. ../shared/bench/forecast/series_5min.csv.
        #[arg(long)]
        data: PathBuf,
        /// Pods the peak of each series needs.
        #[arg(long, default_value_t = 10.0)]
        peak_pods: f64,
        /// Time a new pod needs before it serves load.
        #[arg(long, default_value = "2m")]
        pod_startup: augur_crds::common::Duration,
        /// The HPA's target utilisation, in percent.
        #[arg(long, default_value_t = 70.0)]
        target_utilization: f64,
    },
    /// The runtime service end to end on a real broker: offered load in, results out; prints `events_per_sec`,
    /// `p50_ms` and `p99_ms`.
    E2e {
        /// The broker, `host:port`.
        #[arg(long)]
        bootstrap: String,
        /// Offered records per second; without it, as fast as the producer goes.
        #[arg(long)]
        rate: Option<u64>,
        /// Metric events (an AnomalyDetector) or log lines (a LogClusterer).
        #[arg(long, value_enum, default_value = "metrics")]
        kind: E2eKind,
        /// How long records are produced.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// Single-threaded speed and state size of a model.
    #[command(subcommand)]
    Speed(SpeedCommand),
}

/// What `augur bench e2e` produces.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum E2eKind {
    /// JSON metric events.
    Metrics,
    /// Raw log lines.
    Logs,
}

/// Models whose speed can be measured.
#[derive(Subcommand, Debug)]
pub enum SpeedCommand {
    /// The default anomaly detector over 10,000 synthetic seasonal series.
    Anomaly {
        /// Points per series.
        #[arg(long, default_value_t = 1000)]
        points_per_series: usize,
    },
    /// The default forecaster over 10,000 synthetic seasonal series, then a forecast of every series.
    Forecast {
        /// Points per series.
        #[arg(long, default_value_t = 1000)]
        points_per_series: usize,
    },
    /// The default log miner (headers learned and separated) over a file of raw log lines, repeated to at least
    /// 320,000 lines.
    Logs {
        /// The log file.
        #[arg(long)]
        input: PathBuf,
        /// A Python interpreter with Drain3 installed: Drain3 runs on the same lines first, and the ratio is printed.
        #[arg(long)]
        drain3: Option<PathBuf>,
    },
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
        Command::Bench(BenchCommand::Autoscale { data, peak_pods, pod_startup, target_utilization }) => {
            let settings = bench::autoscale::Settings { peak_pods, pod_startup, target_utilization };
            bench::autoscale::run(&data, &settings, out).map(|_| ())
        }
        Command::Bench(BenchCommand::E2e { bootstrap, rate, kind, seconds }) => {
            let kind = match kind {
                E2eKind::Metrics => bench::e2e::LoadKind::Metrics,
                E2eKind::Logs => bench::e2e::LoadKind::Logs,
            };
            bench::e2e::run(&bench::e2e::Settings { bootstrap, rate, kind, seconds }, out).map(|_| ())
        }
        Command::Bench(BenchCommand::Nab { data, out: target }) => bench::nab::run(&data, &target, out).map(|_| ()),
        Command::Bench(BenchCommand::Forecast { data, horizon, season, origins, step, out: target }) => {
            let protocol = bench::forecast::Protocol { horizon, season, origins, step };
            bench::forecast::run(&data, &protocol, &target, out).map(|_| ())
        }
        Command::Bench(BenchCommand::Loghub { data, out: target, raw, folds }) => {
            bench::loghub::run(&data, &target, raw, folds, out).map(|_| ())
        }
        Command::Bench(BenchCommand::Speed(SpeedCommand::Anomaly { points_per_series })) => {
            Ok(bench::speed::anomaly(points_per_series, out)?)
        }
        Command::Bench(BenchCommand::Speed(SpeedCommand::Forecast { points_per_series })) => {
            Ok(bench::speed::forecast(points_per_series, out)?)
        }
        Command::Bench(BenchCommand::Speed(SpeedCommand::Logs { input, drain3 })) => {
            bench::speed::logs(&input, drain3.as_deref(), out)
        }
    }
}

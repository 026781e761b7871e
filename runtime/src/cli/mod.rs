//! The `augur` command line.

mod bench;
pub mod progress;
mod render;
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
        /// How many top results to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
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
        /// Feed whole raw lines (`<System>_2k.log`), separating headers by the generic rule.
        #[arg(long)]
        raw: bool,
    },
    /// Single-threaded speed and state size of a model.
    #[command(subcommand)]
    Speed(SpeedCommand),
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
    /// The default log miner over a file of log lines, repeated to at least 300,000 lines.
    Logs {
        /// The log file.
        #[arg(long)]
        input: PathBuf,
    },
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Render { manifest, namespace, kafka_bootstrap_servers } => {
            render::run(&manifest, namespace, kafka_bootstrap_servers, out)
        }
        Command::Try { manifest, input, plot, out: results, top } => {
            try_run::run(&try_run::TryOptions { manifest, input, plot, out: results, top }, out)
        }
        Command::Bench(BenchCommand::Nab { data, out: target }) => bench::nab::run(&data, &target, out).map(|_| ()),
        Command::Bench(BenchCommand::Forecast { data, horizon, season, origins, step, out: target }) => {
            let protocol = bench::forecast::Protocol { horizon, season, origins, step };
            bench::forecast::run(&data, &protocol, &target, out).map(|_| ())
        }
        Command::Bench(BenchCommand::Loghub { data, out: target, raw }) => {
            bench::loghub::run(&data, &target, raw, out).map(|_| ())
        }
        Command::Bench(BenchCommand::Speed(SpeedCommand::Anomaly { points_per_series })) => {
            Ok(bench::speed::anomaly(points_per_series, out)?)
        }
        Command::Bench(BenchCommand::Speed(SpeedCommand::Forecast { points_per_series })) => {
            Ok(bench::speed::forecast(points_per_series, out)?)
        }
        Command::Bench(BenchCommand::Speed(SpeedCommand::Logs { input })) => bench::speed::logs(&input, out),
    }
}

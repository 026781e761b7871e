//! `augur-bench`: Augur's benchmarks, each printing its figures (accuracy on public benchmarks, speed, the runtime
//! end to end on a broker, autoscaling at equal cost). A binary of its own, so the product binary `augur` carries
//! none of them; they drive the runtime's library (`augur-runtime`) and the simulator (`augur-simulate`).

pub mod autoscale;
pub mod calibration;
pub mod e2e;
pub mod folds;
pub mod forecast;
pub mod ga;
pub mod loghub;
pub mod nab;
pub mod nab_score;
pub mod requests;
pub mod speed;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Augur's benchmarks.
#[derive(Parser, Debug)]
#[command(name = "augur-bench", version, about, propagate_version = true)]
pub struct Cli {
    /// Which benchmark.
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// The benchmarks; each prints its figures.
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
    Autoscale(autoscale::AutoscaleOptions),
    /// `augur simulate --requests` on every CPU series of a CSV (`unique_id,ds,y`) taken as one pod's usage: Augur's
    /// requests against the VPA rule's frontier at equal reserved resources.
    Requests(requests::RequestsOptions),
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

/// What `augur-bench e2e` produces.
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
        BenchCommand::Autoscale(options) => autoscale::run(&options, out).map(|_| ()),
        BenchCommand::Requests(options) => requests::run(&options, out).map(|_| ()),
        BenchCommand::E2e { bootstrap, rate, kind, seconds } => {
            let kind = match kind {
                E2eKind::Metrics => e2e::LoadKind::Metrics,
                E2eKind::Logs => e2e::LoadKind::Logs,
            };
            e2e::run(&e2e::Settings { bootstrap, rate, kind, seconds }, out).map(|_| ())
        }
        BenchCommand::Nab { data, out: target } => nab::run(&data, &target, out).map(|_| ()),
        BenchCommand::Forecast { data, horizon, season, origins, step, out: target } => {
            let protocol = forecast::Protocol { horizon, season, origins, step };
            forecast::run(&data, &protocol, &target, out).map(|_| ())
        }
        BenchCommand::Loghub { data, out: target, raw, folds } => {
            loghub::run(&data, &target, raw, folds, out).map(|_| ())
        }
        BenchCommand::Speed(SpeedCommand::Anomaly { points_per_series }) => Ok(speed::anomaly(points_per_series, out)?),
        BenchCommand::Speed(SpeedCommand::Forecast { points_per_series }) => {
            Ok(speed::forecast(points_per_series, out)?)
        }
        BenchCommand::Speed(SpeedCommand::Logs { input, drain3 }) => speed::logs(&input, drain3.as_deref(), out),
    }
}

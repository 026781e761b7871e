//! `augur simulate --trace CSV --policy POLICY.yaml`: replays a real load trace through the HPA alone (at several
//! target utilisations: its frontier of cost against under-provisioning), the HPA under the policy's forecast floor,
//! and an oracle, and places the policy against the frontier at equal cost, so a policy can be judged before it
//! touches a cluster. `--requests` replays per-pod usage instead ([`requests`]).
//!
//! The simulator is the `augur-simulate` crate; this command reads the files, runs the runtime's Forecaster online
//! over the trace ([`forecaster`]), and prints ([`report`]) and draws ([`plot`]) the outcome.

pub mod forecaster;
pub mod plot;
pub mod report;
pub mod requests;
#[cfg(test)]
mod tests;
pub mod trace;

use std::{io::Write, path::PathBuf};

use anyhow::{Context, bail};
use augur_crds::{
    AugurResource,
    common::Duration,
    kinds::{
        autoscale_policy::{AutoScalePolicySpec, Guardrails, ReplicaPolicy},
        forecaster::ForecastAlgorithm,
    },
};
use augur_simulate::{Forecasts, Outcome, Setup, Trace, forecast_trace, simulate};

pub use forecaster::{RuntimeForecaster, forecast_params};
pub use trace::read_trace;

use super::progress::Progress;
use crate::{manifest, time::Millis};

/// Options of `augur simulate`.
#[derive(clap::Args, Clone, Debug)]
pub struct SimulateOptions {
    /// The trace: CSV with `timestamp,value[,series]`, each value the mean over its step: the load (or, with
    /// `--requests`, one pod's usage).
    #[arg(long)]
    pub trace: PathBuf,
    /// The series to use when the trace holds several.
    #[arg(long)]
    pub series: Option<String>,
    /// The AutoScalePolicy manifest (its `spec.replicas` and `spec.guardrails`; with `--requests`, its
    /// `spec.resources`).
    #[arg(long)]
    pub policy: PathBuf,
    /// Time a new pod needs before it serves load.
    #[arg(long, default_value = "2m")]
    pub pod_startup: Duration,
    /// Load one replica serves; overrides the policy's `replicas.capacityPerReplica`.
    #[arg(long)]
    pub capacity_per_replica: Option<f64>,
    /// The HPA's target utilisation, in percent of the capacity per replica; Augur's floor runs under it.
    #[arg(long, default_value_t = 70.0)]
    pub target_utilization: f64,
    /// Target utilisations (percent) at which the HPA alone is run for its frontier.
    #[arg(long, value_delimiter = ',', default_value = "40,50,60,70,80,90")]
    pub frontier: Vec<f64>,
    /// Leave the start of the trace out of the figures (e.g. `24h`: the first day, while models warm up).
    #[arg(long, default_value = "0s")]
    pub score_from: Duration,
    /// The Forecaster's algorithm (`ForecastModel.algorithm`).
    #[arg(long, value_enum, default_value = "auto")]
    pub algorithm: Algorithm,
    /// Replay one pod's usage through the policy's container requests and the VPA recommender's instead.
    #[arg(long)]
    pub requests: bool,
    /// With `--requests`: the resource the trace holds (`cpu` in cores, `memory` in bytes).
    #[arg(long, value_enum, default_value = "cpu", requires = "requests")]
    pub resource: ResourceArg,
    /// With `--requests`: the container of the policy (default: its first).
    #[arg(long, requires = "requests")]
    pub container: Option<String>,
    /// With `--requests`: the VPA safety margins of its frontier.
    #[arg(long, value_delimiter = ',', default_value = "0,0.15,0.3,0.5,0.75,1", requires = "requests")]
    pub margins: Vec<f64>,
    /// Draw the timeline of each strategy and the frontier with Augur's point into this SVG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `ForecastModel.algorithm`, as a command-line value.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// The self-weighting combination of every model.
    Auto,
    /// Exponential smoothing only.
    ExponentialSmoothing,
    /// Theta only.
    Theta,
    /// The value one season ago.
    SeasonalNaive,
}

/// The resource a usage trace holds.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceArg {
    /// CPU, in cores.
    Cpu,
    /// Memory, in bytes.
    Memory,
}

impl From<ResourceArg> for augur_simulate::vpa::Resource {
    fn from(value: ResourceArg) -> Self {
        match value {
            ResourceArg::Cpu => Self::Cpu,
            ResourceArg::Memory => Self::Memory,
        }
    }
}

impl From<Algorithm> for ForecastAlgorithm {
    fn from(value: Algorithm) -> Self {
        match value {
            Algorithm::Auto => Self::Auto,
            Algorithm::ExponentialSmoothing => Self::ExponentialSmoothing,
            Algorithm::Theta => Self::Theta,
            Algorithm::SeasonalNaive => Self::SeasonalNaive,
        }
    }
}

/// Runs `augur simulate`, writing the figures to `out`.
pub fn run(options: &SimulateOptions, out: &mut impl Write) -> anyhow::Result<()> {
    if options.requests {
        return requests::run(options, out);
    }
    let (mut policy, guardrails) = load_replicas(options)?;
    if let Some(capacity) = options.capacity_per_replica {
        if !(capacity.is_finite() && capacity > 0.0) {
            bail!("--capacity-per-replica must be a positive number, not {capacity}");
        }
        policy.capacity_per_replica = capacity;
    }
    let target = percent_to_fraction("--target-utilization", options.target_utilization)?;
    let frontier =
        options.frontier.iter().map(|p| percent_to_fraction("--frontier", *p)).collect::<anyhow::Result<Vec<f64>>>()?;
    let setup = Setup::new(policy, guardrails, millis(options.pod_startup), target);
    let trace = read_trace(&options.trace, options.series.as_deref())?;
    let mut progress = Progress::new(format!("augur simulate {}", options.trace.display()));
    let forecasts = forecasts_of(&trace, &setup.policy, options.algorithm.into(), &mut progress);
    let outcome = run_replays(&trace, &setup, &forecasts, &frontier, &mut progress);
    progress.finish();
    let score_from = trace.start_ms.saturating_add(millis(options.score_from));
    if options.json {
        writeln!(out, "{}", report::json(&outcome, score_from))?;
    } else {
        report::table(
            out,
            &report::Context { trace: &trace, setup: &setup, path: &options.trace, score_from },
            &outcome,
        )?;
    }
    if let Some(path) = &options.plot {
        let svg = plot::render(&trace, &setup, &outcome, score_from);
        std::fs::write(path, svg).with_context(|| format!("cannot write the plot to {}", path.display()))?;
        if !options.json {
            writeln!(out, "\nplot written to {}", path.display())?;
        }
    }
    Ok(())
}

/// The forecasts the runtime's Forecaster makes online over `trace` for `policy`.
pub fn forecasts_of(
    trace: &Trace,
    policy: &ReplicaPolicy,
    algorithm: ForecastAlgorithm,
    progress: &mut Progress,
) -> Forecasts {
    let mut model = RuntimeForecaster::for_policy(policy, trace.step_ms, algorithm);
    let steps = trace.values.len() as u64;
    forecast_trace(trace, &mut model, &mut |index| {
        progress.update(Some((index as u64, steps)), &format!("forecasting step {index} of {steps}"))
    })
}

/// Every replay of [`simulate`], with progress.
fn run_replays(
    trace: &Trace,
    setup: &Setup,
    forecasts: &Forecasts,
    frontier: &[f64],
    progress: &mut Progress,
) -> Outcome {
    let steps = trace.values.len() as u64;
    let passes = frontier.len() as u64 + 2;
    let (mut pass, mut last) = (0u64, 0usize);
    simulate(trace, setup, forecasts, frontier, &mut |index| {
        if index < last {
            pass += 1;
        }
        last = index;
        progress.update(Some((pass * steps + index as u64, passes * steps)), &format!("replay {}", pass + 1));
    })
}

/// A percentage as a fraction, refused unless positive.
pub fn percent_to_fraction(flag: &str, percent: f64) -> anyhow::Result<f64> {
    if !(percent.is_finite() && percent > 0.0) {
        bail!("{flag} must be a positive percentage, not {percent}");
    }
    Ok(percent / 100.0)
}

/// A duration in milliseconds, saturating.
pub fn millis(duration: Duration) -> Millis {
    i64::try_from(duration.as_std().as_millis()).unwrap_or(i64::MAX / 4)
}

/// The AutoScalePolicy spec in `options.policy`.
fn load_policy(options: &SimulateOptions) -> anyhow::Result<AutoScalePolicySpec> {
    let resource = manifest::load(&options.policy)?;
    let AugurResource::AutoScalePolicy(policy) = resource else {
        bail!("{} is a {}, not an AutoScalePolicy: simulate needs a policy", options.policy.display(), resource.kind());
    };
    Ok(policy.spec)
}

/// The policy's replica settings and guardrails.
fn load_replicas(options: &SimulateOptions) -> anyhow::Result<(ReplicaPolicy, Guardrails)> {
    let spec = load_policy(options)?;
    let Some(replicas) = spec.replicas else {
        bail!(
            "{}: the policy has no spec.replicas, so there is no replica floor to simulate (--requests simulates \
             its container requests)",
            options.policy.display()
        );
    };
    Ok((replicas, spec.guardrails))
}

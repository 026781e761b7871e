//! `augur simulate --trace CSV --policy POLICY.yaml`: replays a real load trace through three ways of scaling and
//! compares them, so a policy can be judged before it touches a cluster.
//!
//! - **HPA alone**: the Kubernetes HPA algorithm ([`hpa`]) at a target utilisation, with its own `minReplicas`
//!   (the policy's `replicas.minReplicas`) and `maxReplicas` (the policy's `replicas.maxReplicas`).
//! - **Augur**: the same HPA, whose `minReplicas` the policy engine (`augur-autoscale`) sets at every sync from
//!   forecasts the runtime's Forecaster makes online over the trace ([`augur`]); no lookahead.
//! - **Oracle**: knows the demand ahead and starts pods exactly a start-up time early ([`oracle`]).
//!
//! Demand in pods is load / `capacityPerReplica`; a pod serves load only once started. The figures are
//! under-provisioned pod-minutes, pod-hours and scaling actions ([`replay`]). Demand holds each point's value over
//! its step ([`trace`]).

mod augur;
mod hpa;
mod oracle;
mod plot;
mod replay;
mod report;
#[cfg(test)]
mod tests;
mod trace;
mod workload;

use std::{io::Write, path::PathBuf};

use anyhow::{Context, bail};
use augur_crds::{
    AugurResource,
    common::Duration,
    kinds::autoscale_policy::{Guardrails, ReplicaPolicy},
};

pub use augur::FloorStats;
pub use replay::{Figures, StrategyRun};
pub use trace::Trace;

use super::progress::Progress;
use crate::{manifest, time::Millis};

/// Options of `augur simulate`.
#[derive(clap::Args, Clone, Debug)]
pub struct SimulateOptions {
    /// The load trace: CSV with `timestamp,value[,series]`, each value the mean load over its step.
    #[arg(long)]
    pub trace: PathBuf,
    /// The series to use when the trace holds several.
    #[arg(long)]
    pub series: Option<String>,
    /// The AutoScalePolicy manifest (its `spec.replicas` and `spec.guardrails`).
    #[arg(long)]
    pub policy: PathBuf,
    /// Time a new pod needs before it serves load.
    #[arg(long, default_value = "2m")]
    pub pod_startup: Duration,
    /// Load one replica serves; overrides the policy's `replicas.capacityPerReplica`.
    #[arg(long)]
    pub capacity_per_replica: Option<f64>,
    /// The HPA's target utilisation, in percent of the capacity per replica.
    #[arg(long, default_value_t = 70.0)]
    pub target_utilization: f64,
    /// Draw demand and each strategy's ready pods into this SVG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print `{"hpa": {...}, "augur": {...}, "oracle": {...}}` instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What the strategies share.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Load one replica serves.
    pub capacity: f64,
    /// Time from creating a pod to it serving load.
    pub startup_ms: Millis,
    /// The HPA's target utilisation, a fraction.
    pub target: f64,
    /// The HPA's own `minReplicas`.
    pub min_replicas: i32,
    /// The HPA's `maxReplicas`.
    pub max_replicas: i32,
}

/// A policy and the scenario it is simulated in.
#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    /// The policy's replica settings (with the capacity the scenario uses).
    pub policy: ReplicaPolicy,
    /// The policy's guardrails.
    pub guardrails: Guardrails,
    /// The scenario.
    pub scenario: Scenario,
}

impl Setup {
    /// The scenario of `policy`: its capacity and bounds for the HPA too.
    pub fn new(policy: ReplicaPolicy, guardrails: Guardrails, startup_ms: Millis, target: f64) -> Self {
        let scenario = Scenario {
            capacity: policy.capacity_per_replica,
            startup_ms,
            target,
            min_replicas: policy.min_replicas.max(1),
            max_replicas: policy.max_replicas.max(policy.min_replicas.max(1)),
        };
        Self { policy, guardrails, scenario }
    }
}

/// The three strategies over one trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The HPA alone.
    pub hpa: StrategyRun,
    /// The HPA with Augur's floor.
    pub augur: StrategyRun,
    /// The oracle.
    pub oracle: StrategyRun,
    /// How Augur's floor behaved.
    pub floor: FloorStats,
}

/// Simulates the three strategies over `trace`; `progress` is told each step reached (three passes).
pub fn simulate(trace: &Trace, setup: &Setup, progress: &mut dyn FnMut(usize)) -> Outcome {
    let scenario = &setup.scenario;
    let hpa = replay::replay(trace, scenario, &mut |_| scenario.min_replicas, progress);
    let mut floor = augur::AugurFloor::new(&setup.policy, &setup.guardrails, scenario.min_replicas, trace.step_ms);
    let augur = replay::replay(trace, scenario, &mut |now| floor.floor_at(now, trace), progress);
    let oracle = oracle::replay(trace, scenario);
    Outcome { hpa, augur, oracle, floor: floor.stats }
}

/// Runs `augur simulate`, writing the figures to `out`.
pub fn run(options: &SimulateOptions, out: &mut impl Write) -> anyhow::Result<()> {
    let (mut policy, guardrails) = load_policy(options)?;
    if let Some(capacity) = options.capacity_per_replica {
        if !(capacity.is_finite() && capacity > 0.0) {
            bail!("--capacity-per-replica must be a positive number, not {capacity}");
        }
        policy.capacity_per_replica = capacity;
    }
    if !(options.target_utilization.is_finite() && options.target_utilization > 0.0) {
        bail!("--target-utilization must be a positive percentage, not {}", options.target_utilization);
    }
    let startup_ms = i64::try_from(options.pod_startup.as_std().as_millis()).unwrap_or(i64::MAX / 4);
    let setup = Setup::new(policy, guardrails, startup_ms, options.target_utilization / 100.0);
    let trace = trace::read_trace(&options.trace, options.series.as_deref())?;
    let steps = trace.values.len() as u64;
    let mut progress = Progress::new(format!("augur simulate {}", options.trace.display()));
    let mut pass = 0u64;
    let mut last = 0usize;
    let outcome = simulate(&trace, &setup, &mut |index| {
        if index < last {
            pass += 1;
        }
        last = index;
        progress.update(Some((pass * steps + index as u64, 2 * steps)), &format!("step {index} of {steps}"));
    });
    progress.finish();
    if options.json {
        writeln!(out, "{}", report::json(&outcome))?;
    } else {
        report::table(out, &trace, &setup, &outcome, &options.trace)?;
    }
    if let Some(path) = &options.plot {
        let svg = plot::render(&trace, &setup, &outcome);
        std::fs::write(path, svg).with_context(|| format!("cannot write the plot to {}", path.display()))?;
        if !options.json {
            writeln!(out, "\nplot written to {}", path.display())?;
        }
    }
    Ok(())
}

/// Loads the policy's replica settings and guardrails.
fn load_policy(options: &SimulateOptions) -> anyhow::Result<(ReplicaPolicy, Guardrails)> {
    let resource = manifest::load(&options.policy)?;
    let AugurResource::AutoScalePolicy(policy) = resource else {
        bail!(
            "{} is a {}, not an AutoScalePolicy: simulate needs a policy with spec.replicas",
            options.policy.display(),
            resource.kind()
        );
    };
    let Some(replicas) = policy.spec.replicas else {
        bail!(
            "{}: the policy has no spec.replicas, so there is no replica floor to simulate",
            options.policy.display()
        );
    };
    Ok((replicas, policy.spec.guardrails))
}

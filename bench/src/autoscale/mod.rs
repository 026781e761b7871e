//! `augur-bench autoscale --data CSV`: `augur simulate` on every series of a CSV taken as load, one policy for all
//! of them, Augur placed against the HPA's frontier at equal cost, per trace and summed over the set; with
//! `--folds`, leave-one-family-out validation of the policy's quantile and skill gate ([`crate::folds`]).
//!
//! Each series gets the capacity per replica that makes its peak need `--peak-pods` pods; the policy is the
//! AutoScalePolicy defaults (or `--policy`'s quantile and guardrails) with a lead time equal to the pod start-up and
//! replica bounds that never bind (1 to 5× the peak pods). Nothing is tuned per series. The frontier of the set is
//! the sum of the traces' frontiers target by target, and Augur's point the sum of its figures.

mod output;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use augur_crds::{
    AugurResource,
    common::Duration,
    kinds::{
        autoscale_policy::{Guardrails, LocalRef, ReplicaPolicy},
        forecaster::ForecastAlgorithm,
    },
};
use augur_runtime::{
    cli::{
        progress::Progress,
        simulate::{RuntimeForecaster, forecast_params, millis, percent_to_fraction},
    },
    decode::read_series,
    manifest,
};
use augur_simulate::{
    CostPoint, Figures, FloorStats, Forecasts, Frontier, Setup, Trace, forecast_trace, simulate, simulation::augur_run,
};

use crate::folds::{self, Scored};

/// One setting of the policy knobs validated by the folds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variant {
    /// `replicas.quantile`.
    pub quantile: f64,
    /// `guardrails.minForecastSkill`.
    pub min_skill: f64,
}

impl Variant {
    /// `setup` with this variant's knobs.
    pub fn apply(&self, setup: &Setup) -> Setup {
        let mut setup = setup.clone();
        setup.policy.quantile = self.quantile;
        setup.guardrails.min_forecast_skill = self.min_skill;
        setup
    }
}

/// The variants validated: quantiles 0.8 to 0.98, and the skill gate from -1 (errors up to twice the last value's)
/// to 0.1.
pub fn grid() -> Vec<Variant> {
    let quantiles = [0.8, 0.9, 0.95, 0.98];
    let skills = [-1.0, -0.5, -0.25, 0.0, 0.1];
    quantiles
        .iter()
        .flat_map(|&quantile| skills.iter().map(move |&min_skill| Variant { quantile, min_skill }))
        .collect()
}

/// Options of `augur-bench autoscale`.
#[derive(clap::Args, Clone, Debug)]
pub struct AutoscaleOptions {
    /// CSV with `unique_id,ds,y`, e.g. ../shared/bench/forecast/series_5min.csv.
    #[arg(long)]
    pub data: PathBuf,
    /// Pods the peak of each series needs.
    #[arg(long, default_value_t = 10.0)]
    pub peak_pods: f64,
    /// Time a new pod needs before it serves load (the policy's lead time too).
    #[arg(long, default_value = "2m")]
    pub pod_startup: Duration,
    /// The HPA's target utilisation under Augur's floor, in percent.
    #[arg(long, default_value_t = 70.0)]
    pub target_utilization: f64,
    /// Target utilisations (percent) of the HPA frontier.
    #[arg(long, value_delimiter = ',', default_value = "40,50,60,70,80,90")]
    pub frontier: Vec<f64>,
    /// An AutoScalePolicy whose `replicas.quantile` and `guardrails` are used instead of the defaults.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Leave the start of each trace out of the figures (e.g. `24h`).
    #[arg(long, default_value = "0s")]
    pub score_from: Duration,
    /// Also run leave-one-family-out validation of the quantile and the skill gate.
    #[arg(long)]
    pub folds: bool,
    /// Draw the summed frontier with Augur's point into this SVG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// One trace's figures.
#[derive(Clone, Debug)]
pub struct TraceRun {
    /// Series name.
    pub name: String,
    /// Its family (see [`folds::family`]).
    pub family: &'static str,
    /// The HPA alone at each frontier target.
    pub frontier: Frontier,
    /// Augur under the HPA at the benchmark's target.
    pub augur: Figures,
    /// How Augur's floor behaved.
    pub floor: FloorStats,
    /// Augur with each variant of [`grid`], when folds are run.
    pub variants: Vec<Figures>,
}

impl TraceRun {
    /// As the folds see it.
    pub fn scored(&self) -> Scored {
        Scored {
            family: self.family,
            reference: self.frontier.points.iter().map(|p| CostPoint::from(&p.figures)).collect(),
            default: CostPoint::from(&self.augur),
            variants: self.variants.iter().map(CostPoint::from).collect(),
        }
    }
}

/// Runs the benchmark, printing per-trace and total figures.
pub fn run(options: &AutoscaleOptions, out: &mut impl std::io::Write) -> anyhow::Result<Vec<TraceRun>> {
    if !(options.peak_pods.is_finite() && options.peak_pods >= 1.0) {
        bail!("--peak-pods must be at least 1");
    }
    let target = percent_to_fraction("--target-utilization", options.target_utilization)?;
    let targets: Vec<f64> =
        options.frontier.iter().map(|p| percent_to_fraction("--frontier", *p)).collect::<anyhow::Result<_>>()?;
    let (quantile, guardrails) = base_policy(options.policy.as_deref())?;
    let startup_ms = millis(options.pod_startup);
    let series = read_series(&options.data)?;
    let grid = if options.folds { grid() } else { Vec::new() };
    let mut progress = Progress::new("augur-bench autoscale");
    let mut runs = Vec::new();
    for (index, (name, points)) in series.iter().enumerate() {
        progress.update(Some((index as u64, series.len() as u64)), name);
        let trace = Trace::from_points(name, points)?;
        let peak = trace.peak();
        if peak <= 0.0 || !peak.is_finite() {
            writeln!(out, "trace={name} skipped=no_positive_load")?;
            continue;
        }
        let capacity = peak / options.peak_pods;
        let policy = bench_policy(capacity, options.peak_pods, quantile, options.pod_startup);
        let setup = Setup::new(policy, guardrails.clone(), startup_ms, target);
        let forecasts = forecasts(&trace, &setup.policy, &grid);
        let outcome = simulate(&trace, &setup, &forecasts, &targets, &mut |_| {});
        let score_from = trace.start_ms.saturating_add(millis(options.score_from));
        let variants = grid
            .iter()
            .map(|variant| {
                let setup = variant.apply(&setup);
                augur_run(&trace, &setup, &forecasts, target, &mut |_| {}).0.figures_from(score_from)
            })
            .collect();
        let run = TraceRun {
            name: name.clone(),
            family: folds::family(name),
            frontier: outcome.frontier_from(score_from),
            augur: outcome.augur.figures_from(score_from),
            floor: outcome.floor,
            variants,
        };
        output::trace_line(out, &run, capacity)?;
        runs.push(run);
    }
    progress.finish();
    output::totals(out, &runs)?;
    if options.folds {
        let labels: Vec<String> =
            grid.iter().map(|v| format!("quantile={} min_forecast_skill={}", v.quantile, v.min_skill)).collect();
        let scored: Vec<Scored> = runs.iter().map(TraceRun::scored).collect();
        folds::report(out, &scored, &labels)?;
    }
    if let Some(path) = &options.plot {
        let svg = output::plot(&runs);
        std::fs::write(path, svg).with_context(|| format!("cannot write the plot to {}", path.display()))?;
        writeln!(out, "plot={}", path.display())?;
    }
    writeln!(out, "elapsed_ms={:.0}", progress.elapsed().as_secs_f64() * 1000.0)?;
    Ok(runs)
}

/// The Forecaster's forecasts over `trace`, with every quantile the variants read.
fn forecasts(trace: &Trace, policy: &ReplicaPolicy, grid: &[Variant]) -> Forecasts {
    let lead_ms = millis(policy.lead_time);
    let mut params = forecast_params(policy.quantile, lead_ms, trace.step_ms, ForecastAlgorithm::Auto);
    for variant in grid {
        if !params.quantiles.iter().any(|q| (q - variant.quantile).abs() < 1e-9) {
            params.quantiles.push(variant.quantile);
        }
    }
    params.quantiles.sort_by(f64::total_cmp);
    let mut model = RuntimeForecaster::new(params);
    forecast_trace(trace, &mut model, &mut |_| {})
}

/// The policy's quantile and guardrails: the CRD defaults, or those of the AutoScalePolicy at `path`.
fn base_policy(path: Option<&Path>) -> anyhow::Result<(f64, Guardrails)> {
    let Some(path) = path else { return Ok((0.9, Guardrails::default())) };
    let AugurResource::AutoScalePolicy(policy) = manifest::load(path)? else {
        bail!("{} is not an AutoScalePolicy", path.display());
    };
    let quantile = policy.spec.replicas.as_ref().map_or(0.9, |r| r.quantile);
    Ok((quantile, policy.spec.guardrails))
}

/// The policy used for every series.
pub fn bench_policy(capacity: f64, peak_pods: f64, quantile: f64, lead_time: Duration) -> ReplicaPolicy {
    ReplicaPolicy {
        forecaster_ref: LocalRef { name: "bench".into() },
        series: "load".into(),
        quantile,
        capacity_per_replica: capacity,
        min_replicas: 1,
        max_replicas: (peak_pods * 5.0).ceil().clamp(2.0, 100_000.0) as i32,
        lead_time,
    }
}

#[cfg(test)]
mod tests;

//! `augur-bench requests --data CSV`: `augur simulate --requests` on every matching series of a CSV taken as one
//! pod's usage (by default the CPU-utilisation series, percent of a 2-core pod: `--scale 0.02` cores per percent),
//! Augur's requests placed against the VPA rule's frontier of safety margins at equal reserved resources, per trace
//! and summed; with `--folds`, leave-one-family-out validation of the container policy's quantile and headroom.
//!
//! The container policy is the AutoScalePolicy defaults for a resource (quantile 0.9, headroom 0.15) with the VPA's
//! own minimum (25m CPU, 250Mi memory) as `min`, or `--policy`'s first container; the guardrails are the defaults or
//! the policy's. Requests are resized in place. Nothing is tuned per series.

use std::path::PathBuf;

use anyhow::bail;
use augur_crds::{
    AugurResource,
    kinds::{
        autoscale_policy::{Guardrails, ResourceForecast},
        forecaster::ForecastAlgorithm,
    },
};
use augur_runtime::{
    cli::{
        progress::Progress,
        simulate::{
            ResourceArg, millis,
            requests::{initial_request, unit, usage_forecasts},
        },
    },
    decode::read_series,
    manifest,
};
use augur_simulate::{
    CostPoint, Trace, equal_cost,
    requests::{AugurRequests, replay, simulate_requests},
    vpa::Resource,
};

use crate::folds::{self, Scored};

/// Options of `augur-bench requests`.
#[derive(clap::Args, Clone, Debug)]
pub struct RequestsOptions {
    /// CSV with `unique_id,ds,y`, e.g. ../shared/bench/forecast/series_5min.csv.
    #[arg(long)]
    pub data: PathBuf,
    /// Only series whose name contains this (case-insensitive).
    #[arg(long, default_value = "cpu")]
    pub series_containing: String,
    /// The resource the usage is (`cpu`: cores; `memory`: bytes).
    #[arg(long, value_enum, default_value = "cpu")]
    pub resource: ResourceArg,
    /// Multiplies every value into the resource's unit (0.02: percent of a 2-core pod, in cores).
    #[arg(long, default_value_t = 0.02)]
    pub scale: f64,
    /// An AutoScalePolicy whose first container's policy for the resource, and guardrails, are used.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// The VPA safety margins of its frontier.
    #[arg(long, value_delimiter = ',', default_value = "0,0.15,0.3,0.5,0.75,1")]
    pub margins: Vec<f64>,
    /// Leave the start of each trace out of the figures (e.g. `24h`).
    #[arg(long, default_value = "0s")]
    pub score_from: augur_crds::common::Duration,
    /// Also run leave-one-family-out validation of the quantile and the headroom.
    #[arg(long)]
    pub folds: bool,
}

/// The container policy's knobs validated by the folds: quantile and headroom.
pub fn grid() -> Vec<(f64, f64)> {
    let quantiles = [0.8, 0.9, 0.95, 0.98];
    let headrooms = [0.0, 0.15, 0.3];
    quantiles.iter().flat_map(|&q| headrooms.iter().map(move |&h| (q, h))).collect()
}

/// Runs the benchmark, printing per-trace and total figures.
pub fn run(options: &RequestsOptions, out: &mut impl std::io::Write) -> anyhow::Result<Vec<Scored>> {
    if !(options.scale.is_finite() && options.scale > 0.0) {
        bail!("--scale must be a positive number");
    }
    let resource: Resource = options.resource.into();
    let (spec, guardrails) = container_policy(options, resource)?;
    let grid = if options.folds { grid() } else { Vec::new() };
    let mut quantiles: Vec<f64> = grid.iter().map(|(q, _)| *q).collect();
    quantiles.insert(0, spec.quantile);
    let wanted = options.series_containing.to_ascii_lowercase();
    let series = read_series(&options.data)?;
    let mut progress = Progress::new("augur-bench requests");
    let mut scored = Vec::new();
    let (hours_label, factor) = (unit(resource).1, unit(resource).2);
    for (name, points) in series.iter().filter(|(name, _)| name.to_ascii_lowercase().contains(&wanted)) {
        progress.update(None, name);
        let scaled: Vec<(i64, f64)> = points.iter().map(|(t, v)| (*t, v * options.scale)).collect();
        let trace = Trace::from_points(name, &scaled)?;
        let forecasts = usage_forecasts(&trace, &quantiles, ForecastAlgorithm::Auto);
        let initial = initial_request(&trace);
        let mut augur =
            AugurRequests { spec: &spec, guardrails: &guardrails, resource, trace: &trace, forecasts: &forecasts };
        let outcome = simulate_requests(&trace, resource, initial, &options.margins, &mut augur);
        let from = trace.start_ms.saturating_add(millis(options.score_from));
        let variants = grid
            .iter()
            .map(|(quantile, headroom)| {
                let spec = ResourceForecast { quantile: *quantile, headroom: *headroom, ..spec.clone() };
                let mut augur = AugurRequests {
                    spec: &spec,
                    guardrails: &guardrails,
                    resource,
                    trace: &trace,
                    forecasts: &forecasts,
                };
                replay(&trace, &mut augur, initial).figures_from(from).point()
            })
            .collect();
        let augur_figures = outcome.augur.figures_from(from);
        let mut line = format!("trace={name} family={}", folds::family(name));
        for (margin, run) in &outcome.frontier {
            let f = run.figures_from(from);
            line += &format!(
                " vpa{margin}_short_minutes={:.0} vpa{margin}_{hours_label}={:.1}",
                f.short_minutes,
                f.reserved_hours * factor
            );
        }
        line += &format!(
            " augur_short_minutes={:.0} augur_{hours_label}={:.1} augur_changes={} short_minutes_at_equal_reserved_pct={}",
            augur_figures.short_minutes,
            augur_figures.reserved_hours * factor,
            augur_figures.changes,
            outcome
                .equal_cost_from(from)
                .and_then(|e| e.shortfall_change_pct)
                .map_or("n/a".into(), |v| format!("{v:+.1}"))
        );
        writeln!(out, "{line}")?;
        scored.push(Scored {
            family: folds::family(name),
            reference: outcome.frontier.iter().map(|(_, run)| run.figures_from(from).point()).collect(),
            default: augur_figures.point(),
            variants,
        });
    }
    progress.finish();
    totals(out, &scored, &options.margins, hours_label, factor)?;
    if options.folds {
        let labels: Vec<String> = grid.iter().map(|(q, h)| format!("quantile={q} headroom={h}")).collect();
        folds::report(out, &scored, &labels)?;
    }
    Ok(scored)
}

fn totals(
    out: &mut impl std::io::Write,
    scored: &[Scored],
    margins: &[f64],
    hours_label: &str,
    factor: f64,
) -> std::io::Result<()> {
    for (index, margin) in margins.iter().enumerate() {
        let short: f64 = scored.iter().filter_map(|s| s.reference.get(index)).map(|p| p.shortfall).sum();
        let hours: f64 = scored.iter().filter_map(|s| s.reference.get(index)).map(|p| p.cost).sum();
        writeln!(
            out,
            "total_vpa{margin}_short_minutes={short:.0} total_vpa{margin}_{hours_label}={:.1}",
            hours * factor
        )?;
    }
    let short: f64 = scored.iter().map(|s| s.default.shortfall).sum();
    let hours: f64 = scored.iter().map(|s| s.default.cost).sum();
    writeln!(out, "total_augur_short_minutes={short:.0} total_augur_{hours_label}={:.1}", hours * factor)?;
    let frontier = (0..margins.len()).map(|index| CostPoint {
        cost: scored.iter().filter_map(|s| s.reference.get(index)).map(|p| p.cost).sum(),
        shortfall: scored.iter().filter_map(|s| s.reference.get(index)).map(|p| p.shortfall).sum(),
    });
    let reading = equal_cost(frontier, CostPoint { cost: hours, shortfall: short });
    let pct = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:+.1}"));
    let flag = |extrapolated: bool| if extrapolated { "(extrapolated)" } else { "" };
    match reading {
        Some(e) => writeln!(
            out,
            "total_short_minutes_at_equal_reserved_pct={} vpa_short_minutes_at_equal_reserved={:.0}{} \
             reserved_at_equal_short_minutes_pct={} vpa_{hours_label}_at_equal_short_minutes={:.1}{} traces={}",
            pct(e.shortfall_change_pct),
            e.shortfall_at_equal_cost.value,
            flag(e.shortfall_at_equal_cost.extrapolated),
            pct(e.cost_change_pct),
            e.cost_at_equal_shortfall.value * factor,
            flag(e.cost_at_equal_shortfall.extrapolated),
            scored.len()
        ),
        None => writeln!(out, "total_short_minutes_at_equal_reserved_pct=n/a traces={}", scored.len()),
    }
}

/// The container's policy for `resource` and the guardrails: the defaults, or `--policy`'s.
fn container_policy(options: &RequestsOptions, resource: Resource) -> anyhow::Result<(ResourceForecast, Guardrails)> {
    // The VPA's own minimum request, so neither strategy may go below what the other may not.
    let minimum = match resource {
        Resource::Cpu => "25m",
        Resource::Memory => "250Mi",
    };
    let defaults = ResourceForecast {
        series: "usage".into(),
        quantile: 0.9,
        headroom: 0.15,
        min: Some(k8s_openapi::apimachinery::pkg::api::resource::Quantity(minimum.into())),
        max: None,
    };
    let Some(path) = &options.policy else { return Ok((defaults, Guardrails::default())) };
    let AugurResource::AutoScalePolicy(policy) = manifest::load(path)? else {
        bail!("{} is not an AutoScalePolicy", path.display());
    };
    let container = policy.spec.resources.and_then(|r| r.containers.into_iter().next());
    let spec = container.and_then(|c| match resource {
        Resource::Cpu => c.cpu,
        Resource::Memory => c.memory,
    });
    Ok((spec.unwrap_or(defaults), policy.spec.guardrails))
}

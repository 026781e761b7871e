//! `augur simulate --requests --trace USAGE.csv --policy POLICY.yaml`: one pod's usage (cores, or bytes with
//! `--resource memory`) replayed through the policy's container requests (the runtime's Forecaster online, the
//! `augur-autoscale` engine) and through the VPA recommender's rule at several safety margins (its frontier), and
//! Augur placed against that frontier at equal reserved resources.

use std::io::Write;

use anyhow::{Context, bail};
use augur_crds::kinds::{
    autoscale_policy::{Guardrails, ResourceForecast},
    forecaster::ForecastAlgorithm,
};
use augur_simulate::{
    EqualCost, Forecasts, Trace, forecast_trace,
    requests::{AugurRequests, RequestRun, RequestsOutcome, UsageFigures, simulate_requests},
    vpa::Resource,
};
use serde_json::{Value, json};

use super::{
    RuntimeForecaster, SimulateOptions, forecast_params, load_policy, millis, read_trace,
    report::{Names, equal_cost_text, percent},
};
use crate::{
    cli::progress::Progress,
    plot::{self, AUGUR_COLOR, Panel, PlotPoint, XySeries, XyTitles},
    time::Millis,
};

/// Bytes in a GiB: memory is reported in GiB and GiB-hours.
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Runs `augur simulate --requests`.
pub fn run(options: &SimulateOptions, out: &mut impl Write) -> anyhow::Result<()> {
    let resource: Resource = options.resource.into();
    let (spec, guardrails, container) = load_container(options, resource)?;
    if options.margins.is_empty() || options.margins.iter().any(|m| !(m.is_finite() && *m >= 0.0)) {
        bail!("--margins must be non-negative numbers, e.g. 0,0.15,0.3");
    }
    let trace = read_trace(&options.trace, options.series.as_deref())?;
    let mut progress = Progress::new(format!("augur simulate --requests {}", options.trace.display()));
    let outcome = replay(&trace, resource, &spec, &guardrails, &options.margins, options.algorithm.into());
    progress.finish();
    let score_from = trace.start_ms.saturating_add(millis(options.score_from));
    if options.json {
        writeln!(out, "{}", json(&outcome, resource, score_from))?;
    } else {
        table(out, &trace, &container, resource, &outcome, score_from)?;
    }
    if let Some(path) = &options.plot {
        let svg = render(&trace, resource, &outcome, score_from);
        std::fs::write(path, svg).with_context(|| format!("cannot write the plot to {}", path.display()))?;
        if !options.json {
            writeln!(out, "\nplot written to {}", path.display())?;
        }
    }
    Ok(())
}

/// Augur's and the VPA's requests over `trace`, both from [`initial_request`].
pub fn replay(
    trace: &Trace,
    resource: Resource,
    spec: &ResourceForecast,
    guardrails: &Guardrails,
    margins: &[f64],
    algorithm: ForecastAlgorithm,
) -> RequestsOutcome {
    let forecasts = usage_forecasts(trace, &[spec.quantile], algorithm);
    let mut augur = AugurRequests { spec, guardrails, resource, trace, forecasts: &forecasts };
    simulate_requests(trace, resource, initial_request(trace), margins, &mut augur)
}

/// The request every strategy starts from: the first step's usage plus 15%.
pub fn initial_request(trace: &Trace) -> f64 {
    trace.values.first().copied().unwrap_or(0.0).max(0.0) * 1.15
}

/// The Forecaster's forecasts of a usage trace, with `quantiles` among its own.
pub fn usage_forecasts(trace: &Trace, quantiles: &[f64], algorithm: ForecastAlgorithm) -> Forecasts {
    let mut params = forecast_params(quantiles.first().copied().unwrap_or(0.9), 0, trace.step_ms, algorithm);
    for q in quantiles.iter().filter(|q| **q > 0.0 && **q < 1.0) {
        if !params.quantiles.iter().any(|p| (p - q).abs() < 1e-9) {
            params.quantiles.push(*q);
        }
    }
    params.quantiles.sort_by(f64::total_cmp);
    let mut model = RuntimeForecaster::new(params);
    forecast_trace(trace, &mut model, &mut |_| {})
}

/// The container's resource policy for `resource`, the guardrails and the container's name.
fn load_container(
    options: &SimulateOptions,
    resource: Resource,
) -> anyhow::Result<(ResourceForecast, Guardrails, String)> {
    let spec = load_policy(options)?;
    let path = options.policy.display();
    let Some(resources) = spec.resources else {
        bail!("{path}: the policy has no spec.resources, so there are no container requests to simulate");
    };
    let container = match &options.container {
        Some(name) => resources.containers.into_iter().find(|c| &c.container_name == name),
        None => resources.containers.into_iter().next(),
    };
    let Some(container) = container else {
        bail!("{path}: no container {:?} in spec.resources.containers", options.container.as_deref().unwrap_or(""));
    };
    let forecast = match resource {
        Resource::Cpu => container.cpu,
        Resource::Memory => container.memory,
    };
    let Some(forecast) = forecast else {
        bail!("{path}: container {} sets no {} request", container.container_name, unit(resource).0);
    };
    Ok((forecast, spec.guardrails, container.container_name))
}

/// The resource's name, its unit and the factor from base units to it.
pub fn unit(resource: Resource) -> (&'static str, &'static str, f64) {
    match resource {
        Resource::Cpu => ("cpu", "core-hours", 1.0),
        Resource::Memory => ("memory", "GiB-hours", 1.0 / GIB),
    }
}

/// Figures as JSON, reserved hours in core-hours or GiB-hours.
pub fn figures_json(f: &UsageFigures, resource: Resource) -> Value {
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    json!({
        "short_minutes": round(f.short_minutes),
        "reserved_hours": round(f.reserved_hours * unit(resource).2),
        "changes": f.changes,
    })
}

/// `{"vpa": {...}, "augur": {...}, "frontier": [...], "equal_cost": {...}}`; reserved hours in core-hours or
/// GiB-hours.
pub fn json(outcome: &RequestsOutcome, resource: Resource, score_from: Millis) -> Value {
    let frontier: Vec<Value> = outcome
        .frontier
        .iter()
        .map(
            |(margin, run)| json!({"margin": margin, "figures": figures_json(&run.figures_from(score_from), resource)}),
        )
        .collect();
    let equal = |e: &EqualCost| {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        json!({
            "vpa_short_minutes_at_equal_reserved": round(e.shortfall_at_equal_cost.value),
            "short_minutes_change_pct": e.shortfall_change_pct.map(round),
            "vpa_reserved_hours_at_equal_short_minutes": round(e.cost_at_equal_shortfall.value * unit(resource).2),
            "reserved_change_pct": e.cost_change_pct.map(round),
        })
    };
    json!({
        "vpa": outcome.vpa_default().map(|run| figures_json(&run.figures_from(score_from), resource)),
        "augur": figures_json(&outcome.augur.figures_from(score_from), resource),
        "frontier": frontier,
        "equal_cost": outcome.equal_cost_from(score_from).as_ref().map(equal),
    })
}

fn table(
    out: &mut impl Write,
    trace: &Trace,
    container: &str,
    resource: Resource,
    outcome: &RequestsOutcome,
    score_from: Millis,
) -> std::io::Result<()> {
    let (name, hours, factor) = unit(resource);
    writeln!(
        out,
        "{}: {} steps of {}s, container {container}, {name} requests; short = usage above the request (throttled CPU, \
         or memory over its limit)",
        trace.name,
        trace.values.len(),
        trace.step_ms / 1000
    )?;
    writeln!(out)?;
    writeln!(out, "  {:<26} {:>14} {:>16} {:>10}", "strategy", "short minutes", hours, "changes")?;
    let row = |out: &mut dyn Write, label: &str, f: &UsageFigures| {
        writeln!(out, "  {label:<26} {:>14.1} {:>16.2} {:>10}", f.short_minutes, f.reserved_hours * factor, f.changes)
    };
    for (margin, run) in &outcome.frontier {
        row(out, &format!("VPA rule, margin {margin}"), &run.figures_from(score_from))?;
    }
    row(out, "Augur", &outcome.augur.figures_from(score_from))?;
    writeln!(out)?;
    match outcome.equal_cost_from(score_from) {
        // The frontier reads in base units; the text names the cost in the printed unit.
        Some(mut e) => {
            e.cost_at_equal_shortfall.value *= factor;
            let names = Names { shortfall: "short minutes", cost: hours, reference: "the VPA rule's" };
            let text = equal_cost_text(&e, &names);
            writeln!(out, "  Augur at equal reserved {name} (on the VPA rule's frontier): {text}")
        }
        None => writeln!(out, "  Augur at equal cost: the VPA frontier needs two margins at least (--margins)"),
    }?;
    if let Some(vpa) = outcome.vpa_default() {
        let (a, v) = (outcome.augur.figures_from(score_from), vpa.figures_from(score_from));
        let change = |new: f64, old: f64| percent(augur_simulate::change_percent(new, old));
        writeln!(
            out,
            "  Augur against the VPA rule's defaults: short minutes {}, reserved {}",
            change(a.short_minutes, v.short_minutes),
            change(a.reserved_hours, v.reserved_hours)
        )?;
    }
    Ok(())
}

/// Usage against the VPA's (default margin) and Augur's requests, and the frontier beside them.
fn render(trace: &Trace, resource: Resource, outcome: &RequestsOutcome, score_from: Millis) -> String {
    let (name, hours, factor) = unit(resource);
    let shown = if resource == Resource::Memory { "GiB" } else { "cores" };
    let panel = |label: &str, run: &RequestRun| {
        let f = run.figures_from(score_from);
        Panel {
            title: format!("{label}: {:.0} short minutes, {:.1} {hours}", f.short_minutes, f.reserved_hours * factor),
            points: run
                .samples
                .iter()
                .map(|s| PlotPoint {
                    time: s.time,
                    value: s.usage * factor,
                    expected: Some(s.request * factor),
                    band: None,
                    marked: s.usage > s.request,
                })
                .collect(),
        }
    };
    let mut panels = Vec::new();
    if let Some(vpa) = outcome.vpa_default() {
        panels.push(panel("VPA rule (P90 x 1.15)", vpa));
    }
    panels.push(panel("Augur", &outcome.augur));
    let timeline = plot::render(
        &format!("{}: {name} usage ({shown}) against the request", trace.name),
        "black: usage · dashed blue: request · orange: usage above the request",
        &panels,
    );
    let point = |f: UsageFigures| (f.reserved_hours * factor, f.short_minutes);
    let series = [
        XySeries {
            name: "VPA rule at each safety margin".into(),
            points: outcome.frontier.iter().map(|(_, run)| point(run.figures_from(score_from))).collect(),
            labels: outcome.frontier.iter().map(|(margin, _)| format!("+{:.0}%", margin * 100.0)).collect(),
            color: "#3182bd".into(),
            joined: true,
        },
        XySeries::single("Augur", point(outcome.augur.figures_from(score_from)), "Augur", AUGUR_COLOR),
    ];
    let note = match outcome.equal_cost_from(score_from).and_then(|e| e.shortfall_change_pct) {
        Some(change) => format!("Augur: {change:+.1}% short minutes at equal reserved {name}"),
        None => String::new(),
    };
    let titles = XyTitles { title: "The VPA rule's frontier and Augur", note: &note, x: hours, y: "short minutes" };
    let frontier = plot::render_xy(titles, &series);
    plot::side_by_side(&timeline, &frontier)
}

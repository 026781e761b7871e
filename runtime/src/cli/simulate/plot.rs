//! The plot of a simulation: one panel per strategy, demand in pods against the pods that are ready.
//!
//! Drawn with the runtime's SVG plotter: demand is the solid line, ready pods the dashed one, the shaded band runs
//! from ready pods up to all pods (the gap is pods still starting), and dots mark steps with under-provisioning.
//! Long traces are thinned to at most [`MAX_POINTS`] points per panel, keeping each stretch's peak demand, fewest
//! ready pods and most pods, so no shortfall disappears from the picture.

use super::{Outcome, Setup, Trace, replay::Sample};
use crate::plot::{self, Panel, PlotPoint};

/// Most points drawn per panel.
const MAX_POINTS: usize = 2000;

/// Renders the SVG.
pub fn render(trace: &Trace, setup: &Setup, outcome: &Outcome) -> String {
    let title = format!(
        "{}: demand in pods (capacity {} per replica) and ready pods, pod start-up {}s",
        trace.name,
        setup.scenario.capacity,
        setup.scenario.startup_ms / 1000
    );
    let panels = [
        ("HPA alone", &outcome.hpa),
        ("Augur (forecast floor under the HPA)", &outcome.augur),
        ("oracle", &outcome.oracle),
    ]
    .into_iter()
    .map(|(name, run)| {
        let f = &run.figures;
        Panel {
            title: format!(
                "{name}: {:.1} under-provisioned pod-minutes, {:.1} pod-hours, {} actions",
                f.underprovisioned_pod_minutes, f.pod_hours, f.actions
            ),
            points: thin(trace, setup.scenario.capacity, &run.samples),
        }
    })
    .collect::<Vec<_>>();
    plot::render(
        &title,
        "black: demand in pods · dashed blue: ready pods · shaded: pods still starting · orange: under-provisioned",
        &panels,
    )
}

/// Groups the samples into at most `MAX_POINTS` points.
fn thin(trace: &Trace, capacity: f64, samples: &[Sample]) -> Vec<PlotPoint> {
    let group = samples.len().div_ceil(MAX_POINTS).max(1);
    samples
        .chunks(group)
        .filter_map(|chunk| {
            let first = chunk.first()?;
            let demand = chunk.iter().map(|s| trace.load_at(s.time) / capacity).fold(0.0, f64::max);
            let ready = chunk.iter().map(|s| s.ready).min().unwrap_or(0);
            let replicas = chunk.iter().map(|s| s.replicas).max().unwrap_or(0);
            Some(PlotPoint {
                time: first.time,
                value: demand,
                expected: Some(f64::from(ready)),
                band: Some((f64::from(ready), f64::from(replicas))),
                marked: chunk.iter().any(|s| s.short),
            })
        })
        .collect()
}

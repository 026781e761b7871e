//! The plot of a simulation: the timeline of each strategy (demand in pods against the pods that are ready), and
//! beside it the HPA's frontier of pod-hours against under-provisioning with Augur's and the oracle's points.
//!
//! Timeline: demand is the solid line, ready pods the dashed one, the shaded band runs from ready pods up to all
//! pods (the gap is pods still starting), and dots mark steps with under-provisioning. Long traces are thinned to at
//! most [`MAX_POINTS`] points per panel, keeping each stretch's peak demand, fewest ready pods and most pods, so no
//! shortfall disappears from the picture. The frontier uses the figures from `--score-from` on, as the table does.

use augur_simulate::{Outcome, Sample, Setup, Trace};

use crate::{
    plot::{self, AUGUR_COLOR, Panel, PlotPoint, XySeries, XyTitles},
    time::Millis,
};

/// Most points drawn per panel.
const MAX_POINTS: usize = 2000;

/// Renders the SVG: timeline on the left, frontier on the right.
pub fn render(trace: &Trace, setup: &Setup, outcome: &Outcome, score_from: Millis) -> String {
    let capacity = setup.scenario.capacity;
    let title = format!(
        "{}: demand in pods (capacity {capacity} per replica) and ready pods, pod start-up {}s",
        trace.name,
        setup.scenario.startup_ms / 1000
    );
    let target = setup.scenario.target * 100.0;
    let panels = [
        (format!("HPA alone at {target:.0}%"), &outcome.hpa),
        (format!("Augur (forecast floor under the HPA at {target:.0}%)"), &outcome.augur),
        ("oracle".to_owned(), &outcome.oracle),
    ]
    .into_iter()
    .map(|(name, run)| {
        let f = run.figures_from(score_from);
        Panel {
            title: format!(
                "{name}: {:.1} under-provisioned pod-minutes, {:.1} pod-hours, {} actions",
                f.underprovisioned_pod_minutes, f.pod_hours, f.actions
            ),
            points: thin(trace, capacity, &run.samples),
        }
    })
    .collect::<Vec<_>>();
    let timeline = plot::render(
        &title,
        "black: demand in pods · dashed blue: ready pods · shaded: pods still starting · orange: under-provisioned",
        &panels,
    );
    plot::side_by_side(&timeline, &frontier(outcome, score_from))
}

/// The HPA's frontier with Augur's and the oracle's points.
fn frontier(outcome: &Outcome, score_from: Millis) -> String {
    let hpa = outcome.frontier_from(score_from);
    let point = |f: augur_simulate::Figures| (f.pod_hours, f.underprovisioned_pod_minutes);
    let series = [
        XySeries {
            name: "HPA alone at each target utilisation".into(),
            points: hpa.points.iter().map(|p| point(p.figures)).collect(),
            labels: hpa.points.iter().map(|p| format!("{:.0}%", p.target * 100.0)).collect(),
            color: "#3182bd".into(),
            joined: true,
        },
        XySeries::single("Augur", point(outcome.augur.figures_from(score_from)), "Augur", AUGUR_COLOR),
        XySeries::single(
            "oracle (pods started exactly in time)",
            point(outcome.oracle.figures_from(score_from)),
            "oracle",
            "#636363",
        ),
    ];
    let note = match outcome.equal_cost_from(score_from).and_then(|e| e.shortfall_change_pct) {
        Some(change) => format!("Augur: {change:+.1}% under-provisioning at equal pod-hours"),
        None => String::new(),
    };
    let titles = XyTitles {
        title: "The HPA's frontier and Augur",
        note: &note,
        x: "pod-hours",
        y: "under-provisioned pod-minutes",
    };
    plot::render_xy(titles, &series)
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
                marked: chunk.iter().any(Sample::short),
            })
        })
        .collect()
}

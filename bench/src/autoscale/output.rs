//! What `augur-bench autoscale` prints (`key=value`, one trace per line, then the totals) and draws.

use augur_runtime::{
    cli::simulate::report::percent,
    plot::{AUGUR_COLOR, XySeries, XyTitles, render_xy},
};
use augur_simulate::{EqualCost, Figures, Frontier, Tally};

use super::TraceRun;

/// One trace's line.
pub fn trace_line(out: &mut impl std::io::Write, run: &TraceRun, capacity: f64) -> std::io::Result<()> {
    let mut line = format!("trace={} family={} capacity_per_replica={capacity:.6}", run.name, run.family);
    for point in &run.frontier.points {
        line += &format!(
            " hpa{:.0}_under={:.1} hpa{:.0}_pod_hours={:.1}",
            point.target * 100.0,
            point.figures.underprovisioned_pod_minutes,
            point.target * 100.0,
            point.figures.pod_hours
        );
    }
    line += &format!(
        " augur_under={:.1} augur_pod_hours={:.1} augur_actions={} released_pct={:.1}",
        run.augur.underprovisioned_pod_minutes,
        run.augur.pod_hours,
        run.augur.actions,
        run.floor.all.released_percent()
    );
    line += &equal_cost_fields(run.frontier.equal_cost(&run.augur).as_ref());
    writeln!(out, "{line}")
}

fn equal_cost_fields(equal_cost: Option<&EqualCost>) -> String {
    let Some(e) = equal_cost else { return " equal_cost=n/a".to_owned() };
    format!(
        " hpa_under_at_equal_cost={:.1}{} underprovisioning_at_equal_cost_pct={} hpa_pod_hours_at_equal_under={:.1}{} \
         pod_hours_at_equal_under_pct={}",
        e.shortfall_at_equal_cost.value,
        if e.shortfall_at_equal_cost.extrapolated { "(extrapolated)" } else { "" },
        percent(e.shortfall_change_pct).trim_end_matches('%'),
        e.cost_at_equal_shortfall.value,
        if e.cost_at_equal_shortfall.extrapolated { "(extrapolated)" } else { "" },
        percent(e.cost_change_pct).trim_end_matches('%'),
    )
}

/// The summed frontier and Augur's summed figures.
pub fn summed(runs: &[TraceRun]) -> (Frontier, Figures) {
    let frontier = Frontier::sum(runs.iter().map(|r| &r.frontier));
    let augur = runs.iter().map(|r| r.augur).fold(Figures::default(), Figures::plus);
    (frontier, augur)
}

/// The totals over every trace.
pub fn totals(out: &mut impl std::io::Write, runs: &[TraceRun]) -> std::io::Result<()> {
    let (frontier, augur) = summed(runs);
    for point in &frontier.points {
        writeln!(
            out,
            "total_hpa{:.0}_under={:.1} total_hpa{:.0}_pod_hours={:.1}",
            point.target * 100.0,
            point.figures.underprovisioned_pod_minutes,
            point.target * 100.0,
            point.figures.pod_hours
        )?;
    }
    writeln!(
        out,
        "total_augur_under={:.1} total_augur_pod_hours={:.1} total_augur_actions={}",
        augur.underprovisioned_pod_minutes, augur.pod_hours, augur.actions
    )?;
    writeln!(out, "total{}", equal_cost_fields(frontier.equal_cost(&augur).as_ref()))?;
    let mut tally = Tally::default();
    for run in runs {
        tally.evaluations += run.floor.all.evaluations;
        tally.partial += run.floor.all.partial;
        tally.held += run.floor.all.held;
        for (reason, count) in &run.floor.all.released {
            *tally.released.entry(reason).or_default() += count;
        }
    }
    let reasons: Vec<String> =
        tally.released.iter().map(|(reason, count)| format!("{reason}:{:.1}", tally.percent(*count))).collect();
    writeln!(
        out,
        "total_released_pct={:.1} released_by_reason={} partial_trust_pct={:.1} scale_down_held_pct={:.1}",
        tally.released_percent(),
        if reasons.is_empty() { "none".to_owned() } else { reasons.join(",") },
        tally.percent(tally.partial),
        tally.percent(tally.held)
    )?;
    writeln!(out, "traces={}", runs.len())
}

/// The summed frontier with Augur's summed point.
pub fn plot(runs: &[TraceRun]) -> String {
    let (frontier, augur) = summed(runs);
    let change = frontier.equal_cost(&augur).and_then(|e| e.shortfall_change_pct);
    let title = format!("{} traces summed: the HPA's frontier and Augur", runs.len());
    let note = format!("Augur: {} under-provisioning at equal pod-hours", percent(change));
    let series = [
        XySeries {
            name: "HPA alone at each target utilisation".into(),
            points: frontier
                .points
                .iter()
                .map(|p| (p.figures.pod_hours, p.figures.underprovisioned_pod_minutes))
                .collect(),
            labels: frontier.points.iter().map(|p| format!("{:.0}%", p.target * 100.0)).collect(),
            color: "#3182bd".into(),
            joined: true,
        },
        XySeries::single("Augur", (augur.pod_hours, augur.underprovisioned_pod_minutes), "Augur", AUGUR_COLOR),
    ];
    render_xy(XyTitles { title: &title, note: &note, x: "pod-hours", y: "under-provisioned pod-minutes" }, &series)
}

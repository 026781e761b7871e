//! The figures of a simulation, as a table for people or JSON for scripts: every strategy, the HPA's frontier, and
//! Augur against it at equal cost, all over the steps from `--score-from` on.

use std::{io::Write, path::Path};

use augur_simulate::{EqualCost, Figures, FloorStats, Outcome, Reading, Setup, Tally, Trace};
use serde_json::{Value, json};

use crate::time::{Millis, format_timestamp};

/// What the table describes besides the outcome.
pub struct Context<'a> {
    /// The trace.
    pub trace: &'a Trace,
    /// The policy and scenario.
    pub setup: &'a Setup,
    /// Where the trace came from.
    pub path: &'a Path,
    /// The first time scored.
    pub score_from: Millis,
}

/// Figures rounded to a thousandth.
pub fn figures_json(f: &Figures) -> Value {
    json!({
        "underprovisioned_pod_minutes": round(f.underprovisioned_pod_minutes),
        "pod_hours": round(f.pod_hours),
        "actions": f.actions,
    })
}

/// An equal-cost comparison, rounded.
pub fn equal_cost_json(e: &EqualCost) -> Value {
    let reading = |r: &Reading| json!({"value": round(r.value), "extrapolated": r.extrapolated});
    json!({
        "hpa_underprovisioned_at_equal_cost": reading(&e.shortfall_at_equal_cost),
        "underprovisioning_change_pct": e.shortfall_change_pct.map(round),
        "hpa_pod_hours_at_equal_underprovisioning": reading(&e.cost_at_equal_shortfall),
        "pod_hours_change_pct": e.cost_change_pct.map(round),
    })
}

/// `{"hpa", "augur", "oracle", "frontier", "equal_cost", "floor"}` over the steps from `score_from` on.
pub fn json(outcome: &Outcome, score_from: Millis) -> Value {
    let frontier: Vec<Value> = outcome
        .frontier_from(score_from)
        .points
        .iter()
        .map(|p| json!({"target_utilization_pct": round(p.target * 100.0), "figures": figures_json(&p.figures)}))
        .collect();
    let tally = |t: &Tally| {
        json!({
            "released_pct": round(t.released_percent()),
            "released": t.released,
            "partial_trust_pct": round(t.percent(t.partial)),
            "scale_down_held_pct": round(t.percent(t.held)),
        })
    };
    json!({
        "hpa": figures_json(&outcome.hpa.figures_from(score_from)),
        "augur": figures_json(&outcome.augur.figures_from(score_from)),
        "oracle": figures_json(&outcome.oracle.figures_from(score_from)),
        "frontier": frontier,
        "equal_cost": outcome.equal_cost_from(score_from).as_ref().map(equal_cost_json),
        "floor": {
            "changes": outcome.floor.changes,
            "all": tally(&outcome.floor.all),
            "after_first_day": tally(&outcome.floor.after_first_day),
        },
    })
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Prints the table.
pub fn table(out: &mut impl Write, context: &Context<'_>, outcome: &Outcome) -> std::io::Result<()> {
    let Context { trace, setup, path, score_from } = *context;
    let scenario = &setup.scenario;
    let days = (trace.end_ms() - trace.start_ms) as f64 / 86_400_000.0;
    writeln!(
        out,
        "{} on {}: {} steps of {}s ({days:.1} days), peak load {} = {:.1} pods",
        trace.name,
        path.display(),
        trace.values.len(),
        trace.step_ms / 1000,
        number(trace.peak()),
        trace.peak() / scenario.capacity
    )?;
    writeln!(
        out,
        "capacity {} per replica, pod start-up {}s, replicas {}..{}, policy quantile {} lead {}s; Augur under the HPA \
         at {:.0}%",
        number(scenario.capacity),
        scenario.startup_ms / 1000,
        scenario.min_replicas,
        scenario.max_replicas,
        setup.policy.quantile,
        setup.policy.lead_time.as_secs_f64(),
        scenario.target * 100.0,
    )?;
    if score_from > trace.start_ms {
        writeln!(out, "figures from {} on", format_timestamp(score_from))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "  {:<22} {:>26} {:>12} {:>16}",
        "strategy", "under-provisioned pod-min", "pod-hours", "scaling actions"
    )?;
    let row = |out: &mut dyn Write, name: &str, f: &Figures| {
        writeln!(out, "  {name:<22} {:>26.1} {:>12.1} {:>16}", f.underprovisioned_pod_minutes, f.pod_hours, f.actions)
    };
    for point in &outcome.frontier_from(score_from).points {
        row(out, &format!("HPA alone at {:.0}%", point.target * 100.0), &point.figures)?;
    }
    let augur = outcome.augur.figures_from(score_from);
    row(out, &format!("Augur, HPA at {:.0}%", scenario.target * 100.0), &augur)?;
    row(out, "oracle", &outcome.oracle.figures_from(score_from))?;
    writeln!(out)?;
    let hpa = outcome.hpa.figures_from(score_from);
    writeln!(out, "  Augur against the HPA alone at {:.0}%: {}", scenario.target * 100.0, comparison(&augur, &hpa))?;
    match outcome.equal_cost_from(score_from) {
        Some(e) => {
            writeln!(out, "  Augur at equal cost (on the HPA's frontier): {}", equal_cost_text(&e, &REPLICA_NAMES))?
        }
        None => writeln!(out, "  Augur at equal cost: the frontier needs two targets at least (--frontier)")?,
    }
    floor_lines(out, &outcome.floor)
}

/// What the figures of an equal-cost comparison are called.
pub struct Names<'a> {
    /// The shortfall, e.g. `under-provisioning`.
    pub shortfall: &'a str,
    /// The cost, e.g. `pod-hours`.
    pub cost: &'a str,
    /// The reference strategy, possessive, e.g. `the HPA's`.
    pub reference: &'a str,
}

/// The names of the replica floor's comparison.
pub const REPLICA_NAMES: Names<'static> =
    Names { shortfall: "under-provisioning", cost: "pod-hours", reference: "the HPA's" };

/// "under-provisioning -90.1% (the HPA's at the same pod-hours: 12.3), pod-hours -12.0% (...)".
pub fn equal_cost_text(e: &EqualCost, names: &Names<'_>) -> String {
    let flag = |r: &Reading| if r.extrapolated { ", extrapolated" } else { "" };
    let Names { shortfall, cost, reference } = names;
    format!(
        "{shortfall} {} ({reference} at the same {cost}: {:.1}{}), {cost} {} ({reference} at the same {shortfall}: \
         {:.1}{})",
        percent(e.shortfall_change_pct),
        e.shortfall_at_equal_cost.value,
        flag(&e.shortfall_at_equal_cost),
        percent(e.cost_change_pct),
        e.cost_at_equal_shortfall.value,
        flag(&e.cost_at_equal_shortfall)
    )
}

fn floor_lines(out: &mut impl Write, floor: &FloorStats) -> std::io::Result<()> {
    let released = |t: &Tally| {
        let reasons: Vec<String> =
            t.released.iter().map(|(reason, count)| format!("{reason} {:.1}%", t.percent(*count))).collect();
        let why = if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) };
        format!("{:.1}%{why}", t.released_percent())
    };
    writeln!(
        out,
        "  Augur's floor changed {} times; released to the HPA's own minReplicas {} of the time, {} after the first \
         day",
        floor.changes,
        released(&floor.all),
        released(&floor.after_first_day)
    )?;
    writeln!(
        out,
        "  partial trust (history shorter than a season) {:.1}% of the time; scale-down held for returning load \
         {:.1}%",
        floor.all.percent(floor.all.partial),
        floor.all.percent(floor.all.held)
    )
}

/// "under-provisioning -85.2%, pod-hours +4.1%".
pub fn comparison(new: &Figures, old: &Figures) -> String {
    format!(
        "under-provisioning {}, pod-hours {}",
        percent(augur_simulate::change_percent(new.underprovisioned_pod_minutes, old.underprovisioned_pod_minutes)),
        percent(augur_simulate::change_percent(new.pod_hours, old.pod_hours))
    )
}

/// `+4.1%`, or `n/a`.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:+.1}%"))
}

/// A load figure with a sensible number of digits.
fn number(value: f64) -> String {
    if value != 0.0 && (value.abs() >= 1e6 || value.abs() < 1e-2) {
        format!("{value:.3e}")
    } else {
        format!("{value:.3}").trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

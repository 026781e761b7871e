//! The figures of a simulation, as a table for people or JSON for scripts.

use std::{io::Write, path::Path};

use serde_json::json;

use super::{Figures, Outcome, Setup, Trace};

/// `{"hpa": {...}, "augur": {...}, "oracle": {...}}`, each with `underprovisioned_pod_minutes`, `pod_hours` and
/// `actions`.
/// Figures are rounded to a thousandth.
pub fn json(outcome: &Outcome) -> serde_json::Value {
    let figures = |f: &Figures| {
        json!({
            "underprovisioned_pod_minutes": round(f.underprovisioned_pod_minutes),
            "pod_hours": round(f.pod_hours),
            "actions": f.actions,
        })
    };
    json!({
        "hpa": figures(&outcome.hpa.figures),
        "augur": figures(&outcome.augur.figures),
        "oracle": figures(&outcome.oracle.figures),
    })
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Change of `new` over `old` in percent; `None` when `old` is zero.
pub fn change_percent(new: f64, old: f64) -> Option<f64> {
    (old > 0.0).then(|| (new - old) / old * 100.0)
}

/// Prints the table.
pub fn table(
    out: &mut impl Write,
    trace: &Trace,
    setup: &Setup,
    outcome: &Outcome,
    path: &Path,
) -> std::io::Result<()> {
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
        "capacity {} per replica, pod start-up {}s, HPA target {:.0}% and replicas {}..{}, policy quantile {} lead {}s",
        number(scenario.capacity),
        scenario.startup_ms / 1000,
        scenario.target * 100.0,
        scenario.min_replicas,
        scenario.max_replicas,
        setup.policy.quantile,
        setup.policy.lead_time.as_secs_f64()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "  {:<10} {:>26} {:>12} {:>16}",
        "strategy", "under-provisioned pod-min", "pod-hours", "scaling actions"
    )?;
    for (name, figures) in
        [("HPA alone", &outcome.hpa.figures), ("Augur", &outcome.augur.figures), ("oracle", &outcome.oracle.figures)]
    {
        writeln!(
            out,
            "  {name:<10} {:>26.1} {:>12.1} {:>16}",
            figures.underprovisioned_pod_minutes, figures.pod_hours, figures.actions
        )?;
    }
    writeln!(out)?;
    writeln!(out, "  Augur against the HPA alone: {}", comparison(&outcome.augur.figures, &outcome.hpa.figures))?;
    let floor = &outcome.floor;
    let released: u64 = floor.released.values().sum();
    let reasons: Vec<String> = floor
        .released
        .iter()
        .map(|(reason, count)| format!("{reason} {:.1}%", *count as f64 * 100.0 / floor.evaluations.max(1) as f64))
        .collect();
    writeln!(
        out,
        "  Augur's floor changed {} times; released to the HPA's own minReplicas {:.1}% of the time{}",
        floor.changes,
        released as f64 * 100.0 / floor.evaluations.max(1) as f64,
        if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) }
    )
}

/// "under-provisioning -85.2%, pod-hours +4.1%".
pub fn comparison(new: &Figures, old: &Figures) -> String {
    let percent = |value: Option<f64>| value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:+.1}%"));
    format!(
        "under-provisioning {}, pod-hours {}",
        percent(change_percent(new.underprovisioned_pod_minutes, old.underprovisioned_pod_minutes)),
        percent(change_percent(new.pod_hours, old.pod_hours))
    )
}

/// A load figure with a sensible number of digits.
fn number(value: f64) -> String {
    if value != 0.0 && (value.abs() >= 1e6 || value.abs() < 1e-2) {
        format!("{value:.3e}")
    } else {
        format!("{value:.3}").trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

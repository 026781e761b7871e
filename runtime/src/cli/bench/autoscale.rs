//! `augur bench autoscale --data CSV`: `augur simulate` on every series of a CSV taken as load, with one policy for
//! all of them, and the figures printed as `key=value`.
//!
//! Each series gets the capacity per replica that makes its peak need `--peak-pods` pods; the policy is the
//! AutoScalePolicy defaults (quantile 0.9, guardrails as defaulted) with a lead time equal to the pod start-up and
//! replica bounds that never bind (1 to 5× the peak pods). Nothing is tuned per series. The target this benchmark
//! checks: Augur's under-provisioned pod-minutes at least [`UNDER_REDUCTION`] below the HPA alone's, with at most
//! [`MAX_EXTRA_COST`] more pod-hours, per trace and in total.

use std::path::Path;

use anyhow::bail;
use augur_crds::{
    common::Duration,
    kinds::autoscale_policy::{Guardrails, LocalRef, ReplicaPolicy},
};

use crate::cli::{
    progress::Progress,
    simulate::{Figures, Setup, Trace, simulate},
};

/// Least share of the HPA alone's under-provisioning Augur must remove.
pub const UNDER_REDUCTION: f64 = 0.7;
/// Most extra pod-hours over the HPA alone Augur may spend.
pub const MAX_EXTRA_COST: f64 = 0.1;

/// Settings of the benchmark.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Pods the peak of each series needs.
    pub peak_pods: f64,
    /// Pod start-up time.
    pub pod_startup: Duration,
    /// HPA target utilisation, in percent.
    pub target_utilization: f64,
}

/// Figures of one trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceResult {
    /// Series name.
    pub name: String,
    /// HPA alone, Augur, oracle.
    pub hpa: Figures,
    /// Augur.
    pub augur: Figures,
    /// Oracle.
    pub oracle: Figures,
}

/// Whether `augur` meets the target against `hpa`.
pub fn meets_target(augur: &Figures, hpa: &Figures) -> bool {
    augur.underprovisioned_pod_minutes <= (1.0 - UNDER_REDUCTION) * hpa.underprovisioned_pod_minutes
        && augur.pod_hours <= (1.0 + MAX_EXTRA_COST) * hpa.pod_hours
}

/// The policy used for every series.
pub fn bench_policy(capacity: f64, peak_pods: f64, lead_time: Duration) -> ReplicaPolicy {
    ReplicaPolicy {
        forecaster_ref: LocalRef { name: "bench".into() },
        series: "load".into(),
        quantile: 0.9,
        capacity_per_replica: capacity,
        min_replicas: 1,
        max_replicas: (peak_pods * 5.0).ceil().clamp(2.0, 100_000.0) as i32,
        lead_time,
    }
}

/// Runs the benchmark, printing per-trace and total figures.
pub fn run(data: &Path, settings: &Settings, out: &mut impl std::io::Write) -> anyhow::Result<Vec<TraceResult>> {
    if !(settings.peak_pods.is_finite() && settings.peak_pods >= 1.0) {
        bail!("--peak-pods must be at least 1");
    }
    if !(settings.target_utilization.is_finite() && settings.target_utilization > 0.0) {
        bail!("--target-utilization must be a positive percentage");
    }
    let series = crate::decode::read_series(data)?;
    let startup_ms = i64::try_from(settings.pod_startup.as_std().as_millis()).unwrap_or(i64::MAX / 4);
    let mut progress = Progress::new("augur bench autoscale");
    let mut results = Vec::new();
    for (index, (name, points)) in series.iter().enumerate() {
        let trace = Trace::from_points(name, points)?;
        let peak = trace.peak();
        if peak <= 0.0 || !peak.is_finite() {
            writeln!(out, "trace={name} skipped=no_positive_load")?;
            continue;
        }
        let capacity = peak / settings.peak_pods;
        let policy = bench_policy(capacity, settings.peak_pods, settings.pod_startup);
        let setup = Setup::new(policy, Guardrails::default(), startup_ms, settings.target_utilization / 100.0);
        let outcome = simulate(&trace, &setup, &mut |_| {});
        progress.update(Some((index as u64 + 1, series.len() as u64)), name);
        let result = TraceResult {
            name: name.clone(),
            hpa: outcome.hpa.figures,
            augur: outcome.augur.figures,
            oracle: outcome.oracle.figures,
        };
        write_trace(out, &result, capacity)?;
        results.push(result);
    }
    progress.finish();
    let total = |pick: fn(&TraceResult) -> Figures| results.iter().map(pick).fold(Figures::default(), Figures::plus);
    let (hpa, augur, oracle) = (total(|r| r.hpa), total(|r| r.augur), total(|r| r.oracle));
    for (strategy, figures) in [("hpa", &hpa), ("augur", &augur), ("oracle", &oracle)] {
        writeln!(out, "total_{strategy}_underprovisioned_pod_minutes={:.1}", figures.underprovisioned_pod_minutes)?;
        writeln!(out, "total_{strategy}_pod_hours={:.1}", figures.pod_hours)?;
        writeln!(out, "total_{strategy}_actions={}", figures.actions)?;
    }
    writeln!(
        out,
        "total_underprovisioning_change_pct={}",
        percent(augur.underprovisioned_pod_minutes, hpa.underprovisioned_pod_minutes)
    )?;
    writeln!(out, "total_pod_hours_change_pct={}", percent(augur.pod_hours, hpa.pod_hours))?;
    writeln!(out, "total_target_met={}", meets_target(&augur, &hpa))?;
    let met = results.iter().filter(|r| meets_target(&r.augur, &r.hpa)).count();
    writeln!(out, "traces={} traces_target_met={met}", results.len())?;
    writeln!(out, "elapsed_ms={:.0}", progress.elapsed().as_secs_f64() * 1000.0)?;
    Ok(results)
}

fn write_trace(out: &mut impl std::io::Write, r: &TraceResult, capacity: f64) -> std::io::Result<()> {
    let mut line = format!("trace={} capacity_per_replica={capacity:.6}", r.name);
    for (strategy, f) in [("hpa", &r.hpa), ("augur", &r.augur), ("oracle", &r.oracle)] {
        line += &format!(
            " {strategy}_underprovisioned_pod_minutes={:.1} {strategy}_pod_hours={:.1} {strategy}_actions={}",
            f.underprovisioned_pod_minutes, f.pod_hours, f.actions
        );
    }
    line += &format!(
        " underprovisioning_change_pct={} pod_hours_change_pct={} target_met={}",
        percent(r.augur.underprovisioned_pod_minutes, r.hpa.underprovisioned_pod_minutes),
        percent(r.augur.pod_hours, r.hpa.pod_hours),
        meets_target(&r.augur, &r.hpa)
    );
    writeln!(out, "{line}")
}

/// `new` against `old` in percent, or `n/a` when `old` is zero.
fn percent(new: f64, old: f64) -> String {
    if old > 0.0 { format!("{:+.1}", (new - old) / old * 100.0) } else { "n/a".to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(under: f64, hours: f64) -> Figures {
        Figures { underprovisioned_pod_minutes: under, pod_hours: hours, actions: 0 }
    }

    #[test]
    fn the_target_needs_both_less_shortfall_and_bounded_cost() {
        assert!(meets_target(&figures(30.0, 110.0), &figures(100.0, 100.0)));
        assert!(!meets_target(&figures(31.0, 100.0), &figures(100.0, 100.0)));
        assert!(!meets_target(&figures(0.0, 111.0), &figures(100.0, 100.0)));
        assert!(meets_target(&figures(0.0, 100.0), &figures(0.0, 100.0)));
    }

    #[test]
    fn prints_per_trace_and_total_figures() {
        let dir = std::env::temp_dir().join(format!("augur-bench-autoscale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("series.csv");
        let mut csv = String::from("unique_id,ds,y\n");
        for step in 0..600i64 {
            let spike = if step % 50 == 0 { 8.0 } else { 1.0 };
            csv.push_str(&format!("a,{},{}\n", 1_700_000_000 + step * 300, spike));
            csv.push_str(&format!("b,{},0\n", 1_700_000_000 + step * 300));
        }
        std::fs::write(&data, csv).unwrap();
        let settings = Settings { peak_pods: 10.0, pod_startup: Duration::from_secs(120), target_utilization: 70.0 };
        let mut out = Vec::new();
        let results = run(&data, &settings, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(results.len(), 1);
        assert!(results[0].hpa.underprovisioned_pod_minutes > 0.0, "{text}");
        assert!(text.contains("trace=a capacity_per_replica=0.800000 hpa_underprovisioned_pod_minutes="), "{text}");
        assert!(text.contains("trace=b skipped=no_positive_load"), "{text}");
        for key in ["total_hpa_pod_hours=", "total_augur_actions=", "total_target_met=", "traces=1 traces_target_met="]
        {
            assert!(text.contains(key), "{key} missing in {text}");
        }
    }
}

//! `augur try` for an AnomalyDetector: the top anomalies, per-series counts, and the plot.

use std::io::Write;

use augur_crds::runtime_config::{AnomalyConfig, RuntimeConfig};

use super::{Summary, TryOptions, display, run_file, truncate};
use crate::{job::AnomalyKind, pipeline::RunReport, plot::Panel, time::format_timestamp};

/// Runs an AnomalyDetector's pipeline over the input, prints the summary and returns the plot panels.
pub async fn run(
    options: &TryOptions,
    config: &RuntimeConfig,
    anomaly: &AnomalyConfig,
    out: &mut impl Write,
) -> anyhow::Result<Vec<Panel>> {
    let mut kind = AnomalyKind::new(anomaly, config.limits.max_series as usize);
    let threshold = kind.params().score_threshold;
    let mut summary = Summary::new(options.top);
    let ran = run_file(options, super::metric_source(options)?, &mut kind, &mut summary).await?;
    write_summary(out, options, config, &summary, &ran.report, threshold, ran.elapsed)?;
    Ok(summary.panels())
}

fn write_summary(
    out: &mut impl Write,
    options: &TryOptions,
    config: &RuntimeConfig,
    summary: &Summary,
    report: &RunReport,
    threshold: f64,
    elapsed: std::time::Duration,
) -> anyhow::Result<()> {
    let anomalies: u64 = summary.series.values().map(|s| s.anomalies).sum();
    writeln!(out, "{} {} on {}", config.resource.kind, config.resource.name, display(&options.input))?;
    writeln!(
        out,
        "  {} points in {} series, {} malformed, {} anomalies (score >= {threshold}), {:.0} ms",
        report.records,
        summary.series.len(),
        report.dead_letters,
        anomalies,
        elapsed.as_secs_f64() * 1000.0
    )?;
    writeln!(out, "\n  {:<36} {:>8} {:>9}", "series", "points", "anomalies")?;
    for (name, series) in &summary.series {
        writeln!(out, "  {:<36} {:>8} {:>9}", truncate(name, 36), series.points, series.anomalies)?;
    }
    if summary.top.is_empty() {
        writeln!(out, "\n  no anomalies reported")?;
        return Ok(());
    }
    writeln!(out, "\n  top anomalies")?;
    writeln!(out, "  {:<19}  {:<30} {:>10} {:>10} {:>5}  why", "time", "series", "value", "expected", "score")?;
    for point in &summary.top {
        let a = &point.assessment;
        writeln!(
            out,
            "  {:<19}  {:<30} {:>10.4} {:>10.4} {:>5.2}  {}",
            format_timestamp(point.timestamp),
            truncate(&point.series, 30),
            point.value,
            a.expected,
            a.score,
            a.reason
        )?;
    }
    Ok(())
}

//! `augur try` for an AnomalyDetector: the incidents with the highest peaks, per-series counts, and the plot.

use std::io::Write;

use augur_crds::runtime_config::{AnomalyConfig, RuntimeConfig};

use super::{Summary, TryOptions, display, run_file, truncate};
use crate::{job::AnomalyKind, models::anomaly::Deviation, pipeline::RunReport, plot::Panel, time::format_timestamp};

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
    let incidents: u64 = summary.series.values().map(|s| s.incidents).sum();
    writeln!(out, "{} {} on {}", config.resource.kind, config.resource.name, display(&options.input))?;
    writeln!(
        out,
        "  {} points in {} series, {} malformed, {} incidents (score >= {threshold}), {:.0} ms",
        report.records,
        summary.series.len(),
        report.dead_letters,
        incidents,
        elapsed.as_secs_f64() * 1000.0
    )?;
    writeln!(out, "\n  {:<36} {:>8} {:>9}", "series", "points", "incidents")?;
    for (name, series) in &summary.series {
        writeln!(out, "  {:<36} {:>8} {:>9}", truncate(name, 36), series.points, series.incidents)?;
    }
    let incidents = summary.incidents();
    if incidents.is_empty() {
        writeln!(out, "\n  no incidents reported")?;
        return Ok(());
    }
    writeln!(out, "\n  incidents, highest peak first (each reported once, at its start)")?;
    writeln!(
        out,
        "  {:<19}  {:<8}  {:<28} {:>5}  {:<8} {:>10} {:>10}  why",
        "start", "end", "series", "peak", "at", "value", "expected"
    )?;
    for incident in &incidents {
        let end = incident.end.map_or_else(|| "open".to_owned(), |end| after(incident.start, end));
        let way = match incident.deviation {
            Deviation::Up => "up",
            Deviation::Down => "down",
            Deviation::None => "",
        };
        writeln!(
            out,
            "  {:<19}  {:<8}  {:<28} {:>5.2}  {:<8} {:>10.4} {:>10.4}  {way}: {}",
            format_timestamp(incident.start),
            end,
            truncate(&incident.series, 28),
            incident.peak.score,
            after(incident.start, incident.peak.timestamp),
            incident.peak.value,
            incident.expected_at_peak,
            incident.reason,
        )?;
    }
    Ok(())
}

/// An event time after `start`: its time of day (`HH:MM:SS`) on the same day, else in full.
fn after(start: i64, millis: i64) -> String {
    let (start, text) = (format_timestamp(start), format_timestamp(millis));
    match text.get(11..) {
        Some(time) if start.get(..10) == text.get(..10) => time.to_owned(),
        _ => text,
    }
}

//! `augur try MANIFEST --input FILE`: runs a resource's pipeline locally on a file, exactly as the operator would
//! configure it in a pod (same RuntimeConfig), then prints a summary and optionally draws a plot.

mod summary;
#[cfg(test)]
mod tests;

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use augur_crds::runtime_config::{ModelConfig, RenderContext, RuntimeConfig};
pub use summary::Summary;

use super::progress::{Progress, compact};
use crate::{
    manifest,
    models::anomaly::{AnomalyProcessor, DetectorParams},
    pipeline::{self, RunReport, RunSettings, Shutdown},
    plot,
    sinks::{JsonLinesSink, MemorySink, Tee},
    sources::file::{FileFormat, MetricFileSource},
    time::format_timestamp,
};

/// Options of `augur try`.
#[derive(Debug, Clone)]
pub struct TryOptions {
    /// The manifest.
    pub manifest: PathBuf,
    /// The input file.
    pub input: PathBuf,
    /// Where to draw the plot (SVG).
    pub plot: Option<PathBuf>,
    /// Where to write every result as JSON lines.
    pub out: Option<PathBuf>,
    /// How many top results to list.
    pub top: usize,
}

/// Runs `augur try`, writing the summary to `out`.
pub fn run(options: &TryOptions, out: &mut impl Write) -> anyhow::Result<()> {
    let resource = manifest::load(&options.manifest)?;
    let context = RenderContext {
        default_namespace: Some("default".into()),
        // The source is replaced by the input file; Kafka settings are not used locally.
        default_bootstrap_servers: Some(vec!["localhost:9092".into()]),
    };
    let Some(rendered) = resource.render(&context) else {
        bail!("an {} has no runtime pipeline to try; use `augur simulate` for policies", resource.kind());
    };
    let config = rendered.with_context(|| format!("cannot render {}", options.manifest.display()))?;
    let ModelConfig::Anomaly(anomaly) = &config.model else {
        bail!("`augur try` runs AnomalyDetectors today; {} support arrives with its model", resource.kind());
    };
    let params = DetectorParams::from(anomaly);
    let threshold = params.score_threshold;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (summary, report, elapsed) = runtime.block_on(run_anomaly(options, &config, params))?;

    write_summary(out, options, &config, &summary, &report, threshold, elapsed)?;
    if let Some(path) = &options.plot {
        let title = format!("{} {} on {}", config.resource.kind, config.resource.name, options.input.display());
        let legend = "black: value · dashed blue: expected · shaded: normal band · orange: reported anomaly";
        std::fs::write(path, plot::render(&title, legend, &summary.panels()))
            .with_context(|| format!("cannot write the plot to {}", path.display()))?;
        writeln!(out, "\nplot written to {}", path.display())?;
    }
    if let Some(path) = &options.out {
        writeln!(out, "every result written to {} (JSON lines)", path.display())?;
    }
    Ok(())
}

async fn run_anomaly(
    options: &TryOptions,
    config: &RuntimeConfig,
    params: DetectorParams,
) -> anyhow::Result<(Summary, RunReport, std::time::Duration)> {
    let source = MetricFileSource::open(&options.input, FileFormat::guess(&options.input))?;
    let mut processor = AnomalyProcessor::new(params, config.limits.max_series as usize);
    let file_sink = options.out.as_deref().map(JsonLinesSink::create).transpose()?;
    let mut sink = Tee(Summary::new(options.top), file_sink);
    let mut dead_letters = MemorySink::with_capacity(5);
    let mut progress = Progress::new(format!("augur try {}", options.input.display()));
    let report = pipeline::run(
        source,
        &mut processor,
        &mut sink,
        &mut dead_letters,
        Shutdown::new(),
        RunSettings::default(),
        |report, done| progress.update(done, &format!("{} points", compact(report.records))),
    )
    .await?;
    progress.finish();
    for dead in dead_letters.items() {
        eprintln!("malformed line {}: {} ({:?})", dead.position.offset, dead.reason, dead.payload);
    }
    Ok((sink.0, report, progress.elapsed()))
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

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}…")
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

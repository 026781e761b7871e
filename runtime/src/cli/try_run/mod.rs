//! `augur try MANIFEST --input FILE`: runs a resource's pipeline locally on a file, exactly as the operator would
//! configure it in a pod (same RuntimeConfig), then prints a summary and optionally draws a plot.

mod anomaly;
mod forecast;
mod log_plot;
mod logs;
mod summary;
#[cfg(test)]
mod tests;

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use augur_crds::runtime_config::{ModelConfig, RenderContext};
pub use summary::Summary;

use super::progress::{Progress, compact};
use crate::{
    job::Kind,
    manifest,
    metrics::RuntimeMetrics,
    pipeline::{self, Partitioned, RunReport, RunSettings, Shutdown},
    plot,
    sinks::{JsonLinesSink, MemorySink, Tee, results::ResultSink},
    sources::file::{FileFormat, MetricFileSource},
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
    /// Where to write the metrics a pod would serve, at the end.
    pub metrics: Option<PathBuf>,
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
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (panels, legend, by_time) = match &config.model {
        ModelConfig::Anomaly(anomaly) => {
            let panels = runtime.block_on(anomaly::run(options, &config, anomaly, out))?;
            (
                panels,
                "black: value · dashed blue: expected · shaded: normal band · orange: reported anomaly".into(),
                true,
            )
        }
        ModelConfig::Forecast(forecast) => {
            let panels = runtime.block_on(forecast::run(options, &config, forecast, out))?;
            let legend = "black: value · dashed blue: one-step forecast, then the forecast ahead · shaded: outermost \
                          quantile band";
            (panels, legend.into(), true)
        }
        ModelConfig::Logs(logs) => {
            let plot = runtime.block_on(logs::run(options, &config, logs, out))?;
            (plot.panels, plot.legend, plot.by_time)
        }
    };
    if let Some(path) = &options.plot {
        let title = format!("{} {} on {}", config.resource.kind, config.resource.name, options.input.display());
        let svg = match &config.model {
            ModelConfig::Logs(_) => {
                let label = |position: i64| log_plot::label(by_time, position);
                plot::render_with(&title, &legend, &panels, &plot::Axes { label: &label, zero_based: true })
            }
            _ => plot::render(&title, &legend, &panels),
        };
        std::fs::write(path, svg).with_context(|| format!("cannot write the plot to {}", path.display()))?;
        writeln!(out, "\nplot written to {}", path.display())?;
    }
    if let Some(path) = &options.out {
        writeln!(out, "every result written to {} (JSON lines)", path.display())?;
    }
    if let Some(path) = &options.metrics {
        writeln!(out, "the metrics a runtime pod would serve written to {}", path.display())?;
    }
    Ok(())
}

/// The metric points of the input file.
fn metric_source(options: &TryOptions) -> anyhow::Result<MetricFileSource> {
    Ok(MetricFileSource::open(&options.input, FileFormat::guess(&options.input))?)
}

/// What a run over the file leaves for the summary: the counts, how long it took, and the models (every
/// partition's processor, as a pod would hold them).
pub struct Ran<K: Kind> {
    /// Counts.
    pub report: RunReport,
    /// Wall-clock time taken.
    pub elapsed: std::time::Duration,
    /// The models at the end of the input.
    pub stage: Partitioned<K::Processor>,
}

/// Runs `source -> kind -> sink` as `augur run` would (the same processors, result policy, metrics and timed work)
/// with a progress line; malformed lines are listed.
async fn run_file<S, K, Sk>(options: &TryOptions, source: S, kind: &mut K, sink: &mut Sk) -> anyhow::Result<Ran<K>>
where
    S: crate::sources::Source,
    K: Kind,
    K::Processor: pipeline::Processor<Input = S::Item>,
    Sk: pipeline::Sink<K::Output>,
{
    let metrics = std::sync::Arc::new(RuntimeMetrics::new());
    let file_sink = options.out.as_deref().map(JsonLinesSink::create).transpose()?;
    let policy: ResultSink<K::Output> = ResultSink { kafka: None, emit_all: true, metrics: metrics.clone() };
    let mut sink = Tee(policy, Some(Tee(sink, file_sink)));
    let mut dead_letters = MemorySink::with_capacity(5);
    let mut progress = Progress::new(format!("augur try {}", options.input.display()));
    let mut stage = Partitioned::new(kind.factory());
    let report = pipeline::run_observed(
        source,
        &mut stage,
        &mut sink,
        &mut dead_letters,
        Shutdown::new(),
        RunSettings::default(),
        |after| {
            metrics.observe(after.report, after.now as f64 / 1000.0);
            kind.observe(after.stage, after.outputs, &metrics, after.now);
            if after.batch {
                progress.update(after.progress, &format!("{} records", compact(after.report.records)));
            }
        },
    )
    .await?;
    progress.finish();
    for dead in dead_letters.items() {
        eprintln!("malformed line {}: {} ({:?})", dead.position.offset, dead.reason, dead.payload);
    }
    if let Some(path) = &options.metrics {
        std::fs::write(path, metrics.encode()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Ran { report, elapsed: progress.elapsed(), stage })
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

//! `augur-bench e2e --bootstrap HOST:PORT [--rate N] [--kind metrics|logs]`: the runtime service end to end on a
//! real broker. Records are produced at a fixed offered rate (or as fast as possible without `--rate`) to a fresh
//! topic; the service (an AnomalyDetector for metrics, a LogClusterer for logs, publishing every result) runs in this
//! process; a reader takes the results off the result topic. Prints `events_per_sec=N` (inputs carried end to end
//! per second, from the first send to the last result), `p50_ms=N` and `p99_ms=N` (send to result). The timed
//! load starts once the service has answered warm-up records (not counted), so the figures are those of a running
//! service rather than of its consumer group joining. The producer, the service and the reader share the machine, as
//! they would share a small node.

mod load;
mod results;

use std::{
    io::Write,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use augur_crds::runtime_config::RuntimeConfig;
pub use load::LoadKind;
use rdkafka::ClientConfig;

use augur_runtime::{
    kafka::create_topic,
    pipeline::Shutdown,
    service::{self, ServiceOptions},
    time::{Clock, SystemClock},
};

/// How to run the benchmark.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The broker.
    pub bootstrap: String,
    /// Offered records per second; `None` produces as fast as possible.
    pub rate: Option<u64>,
    /// Metric events or log lines.
    pub kind: LoadKind,
    /// How long records are produced.
    pub seconds: u64,
}

/// The measured figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figures {
    /// Records produced.
    pub produced: u64,
    /// Results received.
    pub results: u64,
    /// Inputs carried end to end per second.
    pub events_per_sec: f64,
    /// Median send-to-result latency.
    pub p50_ms: i64,
    /// 99th percentile send-to-result latency.
    pub p99_ms: i64,
}

/// Longest wait for the service to answer its first records.
const WARM_UP_LIMIT: Duration = Duration::from_secs(60);

/// Longest wait for the last results after production ends.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

fn config(settings: &Settings, input: &str, output: &str) -> anyhow::Result<RuntimeConfig> {
    let connection = format!("    connection:\n      bootstrapServers:\n        list: [\"{}\"]\n", settings.bootstrap);
    let (kind, format, model) = match settings.kind {
        LoadKind::Metrics => (
            "AnomalyDetector",
            "MetricEvents",
            "  anomaly: {algorithm: Auto, scoreThreshold: 0.5, seasonality: None, warmUpPoints: 20, direction: Both}",
        ),
        LoadKind::Logs => (
            "LogClusterer",
            "LogLines",
            "  logs: {builtinMasks: true, masks: [], delimiters: \"\", similarityThreshold: 0.5, depth: 4, \
             maxTemplates: 10000, emitAssignments: true}",
        ),
    };
    let yaml = format!(
        "apiVersion: runtime.augur.dev/v1\nkind: RuntimeConfig\nresource: {{kind: {kind}, namespace: bench, name: e2e}}\n\
         source:\n  kafka:\n{connection}    topic: {input}\n    consumerGroup: {input}-runtime\n    startFrom: Earliest\n\
         \x20   format: {format}\nmodel:\n{model}\noutput:\n  kafka:\n{connection}    topic: {output}\n  metrics: true\n\
         \x20 status: false\nstate:\n  checkpointInterval: 30s\n  store: none\nlimits: {{maxSeries: 100000}}\n"
    );
    Ok(RuntimeConfig::from_yaml(&yaml)?)
}

/// Runs the benchmark, printing progress and then the figures.
pub fn run(settings: &Settings, out: &mut impl Write) -> anyhow::Result<Figures> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let figures = runtime.block_on(measure(settings))?;
    writeln!(out, "kind={:?}", settings.kind)?;
    writeln!(out, "offered_per_sec={}", settings.rate.map_or("max".to_owned(), |r| r.to_string()))?;
    writeln!(out, "produced={}", figures.produced)?;
    writeln!(out, "results={}", figures.results)?;
    writeln!(out, "events_per_sec={:.0}", figures.events_per_sec)?;
    writeln!(out, "p50_ms={}", figures.p50_ms)?;
    writeln!(out, "p99_ms={}", figures.p99_ms)?;
    Ok(figures)
}

async fn measure(settings: &Settings) -> anyhow::Result<Figures> {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", &settings.bootstrap);
    let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis());
    let unique = unique.unwrap_or_default();
    let (input, output) = (format!("augur-bench-{unique}-in"), format!("augur-bench-{unique}-out"));
    let partitions = if settings.kind == LoadKind::Logs { 1 } else { 4 };
    create_topic(&client, &input, partitions, &[]).await.map_err(anyhow::Error::msg)?;
    create_topic(&client, &output, 1, &[]).await.map_err(anyhow::Error::msg)?;
    let config = config(settings, &input, &output)?;

    let shutdown = Shutdown::new();
    let options = ServiceOptions { client_id: "augur-bench".into(), publish_all_results: true, ..Default::default() };
    let service = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move { service::run(&config, &options, shutdown).await })
    };
    let deliveries = Arc::new(load::Deliveries::default());
    let (stop, results, sent) =
        (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let warm_up = Arc::new(results::WarmUp { warming: AtomicBool::new(true), answered: AtomicU64::new(0) });
    let reader = {
        let (client, output, deliveries, results, stop, warm_up) =
            (client.clone(), output.clone(), deliveries.clone(), results.clone(), stop.clone(), warm_up.clone());
        let kind = settings.kind;
        std::thread::spawn(move || results::read(&client, &output, kind, &deliveries, (&results, &warm_up), &stop))
    };
    // The figures are those of a running service: its consumer group has joined and records flow before the timed
    // load starts (joining takes about half a second on tansu, which would otherwise be the p99 of short runs).
    let warmed = {
        let (client, input, warm_up, kind) = (client.clone(), input.clone(), warm_up.clone(), settings.kind);
        tokio::task::spawn_blocking(move || load::warm_up(&client, &input, kind, &warm_up.answered, WARM_UP_LIMIT))
    };
    let warm_records = warmed.await?.map_err(anyhow::Error::msg)?;
    warm_up.warming.store(false, Ordering::Relaxed);
    eprintln!("e2e: the service answered after {warm_records} warm-up record(s); timed load starts");
    let started = SystemClock.now();
    let producer = {
        let (client, input, deliveries, sent) = (client.clone(), input.clone(), deliveries.clone(), sent.clone());
        let (kind, rate, duration) = (settings.kind, settings.rate, Duration::from_secs(settings.seconds));
        tokio::task::spawn_blocking(move || load::produce(&client, &input, kind, rate, duration, deliveries, &sent))
    };
    let progress_started = Instant::now();
    while !producer.is_finished() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        eprintln!(
            "e2e {:>3}s: produced {}, results {}",
            progress_started.elapsed().as_secs(),
            sent.load(Ordering::Relaxed),
            results.load(Ordering::Relaxed)
        );
    }
    let produced = producer.await?.map_err(anyhow::Error::msg)?;
    let drain_started = Instant::now();
    while results.load(Ordering::Relaxed) < produced && drain_started.elapsed() < DRAIN_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    shutdown.fire();
    service.await?.context("the runtime failed")?;
    let mut arrivals =
        reader.join().map_err(|_| anyhow::anyhow!("the result reader panicked"))?.map_err(anyhow::Error::msg)?;
    let received = results.load(Ordering::Relaxed);
    if received < produced {
        bail!("only {received} of {produced} results arrived within {}s of the end", DRAIN_TIMEOUT.as_secs());
    }
    let seconds = ((arrivals.last_ms - started) as f64 / 1000.0).max(1e-3);
    Ok(Figures {
        produced,
        results: received,
        events_per_sec: produced as f64 / seconds,
        p50_ms: results::quantile(&mut arrivals.latencies_ms, 0.5).unwrap_or(-1),
        p99_ms: results::quantile(&mut arrivals.latencies_ms, 0.99).unwrap_or(-1),
    })
}

//! `augur run --config FILE`: a resource's pipeline as a long-running service, as it runs in a pod (FILE is the
//! mounted ConfigMap the operator renders). It reads Kafka or Prometheus, keeps per-partition model state
//! checkpointed with the source positions, writes results and dead letters to Kafka, serves `/metrics`, `/healthz`
//! and `/readyz`, logs progress, and on SIGTERM drains, checkpoints and commits before it exits.

mod metrics;
mod outputs;
mod status;

use std::{
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
};

use anyhow::{Context as _, bail};
use augur_crds::runtime_config::{
    FileFormat as ConfigFileFormat, KafkaInput, KafkaOutputConfig, ModelConfig, RuntimeConfig, SourceConfig, StateStore,
};
use augur_probes::Probes;
pub use metrics::RuntimeMetrics;
pub use outputs::{DeadLetterSink, ResultPolicy, ResultSink};
use rdkafka::producer::FutureProducer;
pub use status::StatusPublishing;

use crate::{
    checkpoint::{CheckpointStore, FileStore, KafkaStore},
    kafka::{Decode, KafkaSink, KafkaSource, LogDecoder, MetricDecoder, client_config},
    models::{
        anomaly::{AnomalyProcessor, DetectorParams},
        forecast::{ForecastParams, ForecastProcessor},
        logs::{LogProcessor, MinerSettings},
    },
    pipeline::{self, Checkpointing, Partitioned, Processor, RunReport, RunSettings, Shutdown},
    prometheus::PrometheusSource,
    publish::{AnomalyTracker, apply_anomaly_status},
    record::MetricPoint,
    sources::{
        Source,
        file::{FileFormat, LineFileSource, LogLine, MetricFileSource},
    },
    time::{Clock, SystemClock},
};

/// How the service runs besides its RuntimeConfig.
#[derive(Clone)]
pub struct ServiceOptions {
    /// Where `/metrics`, `/healthz` and `/readyz` listen; `None` serves nothing (tests).
    pub http_address: Option<SocketAddr>,
    /// The Kafka client id (the pod name in a cluster).
    pub client_id: String,
    /// Wall-clock time.
    pub clock: Arc<dyn Clock>,
    /// Extra librdkafka settings for the consumer (tests shorten group timeouts).
    pub consumer_settings: Vec<(String, String)>,
    /// Publish every result to the result topic, not only the notable ones (benchmarks, debugging).
    pub publish_all_results: bool,
    /// The Kubernetes API, for publishing to the resource's status (when the RuntimeConfig asks for it).
    pub kube: Option<kube::Client>,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            http_address: None,
            client_id: "augur-runtime".into(),
            clock: Arc::new(SystemClock),
            consumer_settings: Vec::new(),
            publish_all_results: false,
            kube: None,
        }
    }
}

/// Everything a pipeline needs besides its source and processor.
struct Context<'a> {
    config: &'a RuntimeConfig,
    options: &'a ServiceOptions,
    metrics: Arc<RuntimeMetrics>,
    probes: Probes,
    shutdown: Shutdown,
    store: Option<Arc<dyn CheckpointStore>>,
}

/// The model kind a checkpoint is written for.
fn model_kind(model: &ModelConfig) -> &'static str {
    match model {
        ModelConfig::Anomaly(_) => "anomaly",
        ModelConfig::Forecast(_) => "forecast",
        ModelConfig::Logs(_) => "logs",
    }
}

/// Runs `config` until its source ends (files) or `shutdown` fires.
pub async fn run(config: &RuntimeConfig, options: &ServiceOptions, shutdown: Shutdown) -> anyhow::Result<RunReport> {
    let anomaly_status = match (&config.model, &options.kube, config.output.status) {
        (ModelConfig::Anomaly(_), Some(client), true) => Some(client),
        _ => None,
    };
    let mut metrics = RuntimeMetrics::new();
    if anomaly_status.is_some() {
        metrics.anomaly_status = Some(std::sync::Mutex::new(AnomalyTracker::new(config.limits.max_series as usize)));
    }
    let metrics = Arc::new(metrics);
    if let Some(client) = anomaly_status {
        spawn_anomaly_publication(client.clone(), config, metrics.clone(), shutdown.clone());
    }
    serve(config, options, shutdown, metrics).await
}

/// Applies the anomaly state to the AnomalyDetector's status every [`STATUS_INTERVAL_MS`] until shutdown.
fn spawn_anomaly_publication(
    client: kube::Client,
    config: &RuntimeConfig,
    metrics: Arc<RuntimeMetrics>,
    shutdown: Shutdown,
) {
    let (namespace, name) = (config.resource.namespace.clone(), config.resource.name.clone());
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(std::time::Duration::from_millis(STATUS_INTERVAL_MS as u64));
        loop {
            tokio::select! {
                () = shutdown.fired() => return,
                _ = ticks.tick() => {}
            }
            let Some(tracker) = &metrics.anomaly_status else { return };
            let status = tracker.lock().unwrap_or_else(|e| e.into_inner()).status();
            if let Err(error) = apply_anomaly_status(&client, &namespace, &name, &status).await {
                tracing::warn!(%error, "anomalies not published to the AnomalyDetector's status; retrying later");
            }
        }
    });
}

async fn serve(
    config: &RuntimeConfig,
    options: &ServiceOptions,
    shutdown: Shutdown,
    metrics: Arc<RuntimeMetrics>,
) -> anyhow::Result<RunReport> {
    let encoder = metrics.clone();
    let probes = Probes::new(Arc::new(move || encoder.encode()));
    if let Some(address) = options.http_address {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} for /metrics, /healthz and /readyz"))?;
        tokio::spawn(probes.clone().serve(listener));
    }
    let identity = &config.resource;
    let kind = model_kind(&config.model);
    let store: Option<Arc<dyn CheckpointStore>> = match &config.state.store {
        StateStore::None => None,
        StateStore::File { path } => Some(Arc::new(FileStore::new(path, kind))),
        StateStore::Kafka { connection, topic } => {
            let resource = format!("{}/{}/{}", identity.kind, identity.namespace, identity.name);
            Some(Arc::new(KafkaStore::connect(connection, topic, &resource, kind, &options.client_id).await?))
        }
    };
    tracing::info!(
        resource = %format!("{}/{}", identity.namespace, identity.name),
        kind = %identity.kind,
        checkpoints = store.is_some(),
        "starting the pipeline"
    );
    let context = Context { config, options, metrics, probes, shutdown, store };
    let max_series = config.limits.max_series as usize;
    match &config.model {
        ModelConfig::Anomaly(anomaly) => {
            let params = DetectorParams::from(anomaly);
            metric_pipeline(&context, move || AnomalyProcessor::new(params.clone(), max_series), |_| {}).await
        }
        ModelConfig::Forecast(forecast) => {
            let params = ForecastParams::from_config(forecast);
            let step_ms = params.step_ms;
            let publishing = match (&options.kube, config.output.status) {
                (Some(client), true) => Some(StatusPublishing::start(
                    client.clone(),
                    identity,
                    STATUS_INTERVAL_MS,
                    options.clock.clone(),
                    step_ms,
                )),
                _ => None,
            };
            let observe = move |stage: &Partitioned<ForecastProcessor>| {
                if let Some(publishing) = &publishing {
                    publishing.observe(stage);
                }
            };
            metric_pipeline(&context, move || ForecastProcessor::new(params.clone(), max_series), observe).await
        }
        ModelConfig::Logs(logs) => {
            let settings = MinerSettings::from(logs);
            let metrics = context.metrics.clone();
            let observe = move |stage: &Partitioned<LogProcessor>| {
                let templates: usize = stage.iter().map(|(_, processor)| processor.miner().templates()).sum();
                metrics.log_templates.set(i64::try_from(templates).unwrap_or(i64::MAX));
            };
            log_pipeline(&context, move || LogProcessor::new(settings.clone(), true), observe).await
        }
    }
}

async fn metric_pipeline<P>(
    context: &Context<'_>,
    make: impl Fn() -> P + Send + 'static,
    observe: impl FnMut(&Partitioned<P>) + Send,
) -> anyhow::Result<RunReport>
where
    P: Processor<Input = MetricPoint>,
    P::Output: ResultPolicy,
{
    let store = context.store.clone();
    match &context.config.source {
        SourceConfig::Kafka(input) => {
            drive(context, kafka_source(context, input, MetricDecoder::new(&input.topic))?, make, observe).await
        }
        SourceConfig::Prometheus(input) => {
            drive(context, PrometheusSource::new(input, context.options.clock.clone(), store)?, make, observe).await
        }
        SourceConfig::File(input) => {
            let format = match input.format {
                Some(ConfigFileFormat::Csv) => FileFormat::Csv,
                Some(ConfigFileFormat::JsonLines) => FileFormat::JsonLines,
                Some(ConfigFileFormat::LogLines) => bail!("a metric model cannot read a file of log lines"),
                None => FileFormat::guess(&input.path),
            };
            drive(context, MetricFileSource::open(&input.path, format)?, make, observe).await
        }
    }
}

async fn log_pipeline<P>(
    context: &Context<'_>,
    make: impl Fn() -> P + Send + 'static,
    observe: impl FnMut(&Partitioned<P>) + Send,
) -> anyhow::Result<RunReport>
where
    P: Processor<Input = LogLine>,
    P::Output: ResultPolicy,
{
    match &context.config.source {
        SourceConfig::Kafka(input) => {
            let decoder = LogDecoder::new(&input.format)
                .with_context(|| format!("a LogClusterer cannot read {:?} records", input.format))?;
            drive(context, kafka_source(context, input, decoder)?, make, observe).await
        }
        SourceConfig::File(input) => drive(context, LineFileSource::open(&input.path)?, make, observe).await,
        SourceConfig::Prometheus(_) => bail!("a LogClusterer reads logs from Kafka or a file, not Prometheus"),
    }
}

/// The Kafka source of `input`, restoring from the context's checkpoint store, with the options' extra settings.
fn kafka_source<D: Decode>(context: &Context<'_>, input: &KafkaInput, decoder: D) -> anyhow::Result<KafkaSource<D>> {
    let mut source = KafkaSource::new(input, decoder, &context.options.client_id, context.store.clone())?;
    for (key, value) in &context.options.consumer_settings {
        source = source.with_setting(key, value);
    }
    Ok(source)
}

/// A sink to an output topic, when configured.
fn kafka_sink<T>(output: Option<&KafkaOutputConfig>, context: &Context<'_>) -> anyhow::Result<Option<KafkaSink<T>>> {
    let Some(output) = output else { return Ok(None) };
    let mut settings = client_config(&output.connection, &context.options.client_id)?;
    settings.set("linger.ms", "5").set("acks", "all");
    let producer: FutureProducer = settings.create().context("cannot create the Kafka producer")?;
    let identity = &context.config.resource;
    Ok(Some(KafkaSink::new(producer, &output.topic, &format!("{}/{}", identity.namespace, identity.name))))
}

async fn drive<S, P>(
    context: &Context<'_>,
    source: S,
    make: impl Fn() -> P + Send + 'static,
    mut observe: impl FnMut(&Partitioned<P>) + Send,
) -> anyhow::Result<RunReport>
where
    S: Source,
    P: Processor<Input = S::Item>,
    P::Output: ResultPolicy,
{
    let config = context.config;
    let emit_all = context.options.publish_all_results
        || matches!(&config.model, ModelConfig::Logs(logs) if logs.emit_assignments);
    let mut results = ResultSink {
        kafka: kafka_sink(config.output.kafka.as_ref(), context)?,
        emit_all,
        metrics: context.metrics.clone(),
    };
    let mut dead_letters = DeadLetterSink::new(kafka_sink(config.output.dead_letter.as_ref(), context)?);
    let mut stage = Partitioned::new(make);
    let clock = context.options.clock.clone();
    let interval_ms = i64::try_from(config.state.checkpoint_interval.as_std().as_millis()).unwrap_or(i64::MAX);
    let settings = RunSettings {
        channel_capacity: 8,
        clock: clock.clone(),
        checkpoints: context.store.clone().map(|store| Checkpointing { store, interval_ms }),
    };
    context.probes.ready.store(true, Ordering::SeqCst);
    let metrics = context.metrics.clone();
    let mut last_log = clock.now();
    let report = pipeline::run_observed(
        source,
        &mut stage,
        &mut results,
        &mut dead_letters,
        context.shutdown.clone(),
        settings,
        |report, _, stage| {
            let now = clock.now();
            metrics.observe(report, now as f64 / 1000.0);
            observe(stage);
            if now - last_log >= PROGRESS_EVERY_MS {
                last_log = now;
                tracing::info!(
                    records = report.records,
                    per_second = report.records_per_second().round(),
                    dead_letters = report.dead_letters,
                    results = report.outputs,
                    checkpoints = report.checkpoints,
                    "progress"
                );
            }
        },
    )
    .await;
    context.probes.ready.store(false, Ordering::SeqCst);
    let report = report?;
    context.metrics.observe(&report, clock.now() as f64 / 1000.0);
    tracing::info!(
        records = report.records,
        dead_letters = report.dead_letters,
        results = report.outputs,
        checkpoints = report.checkpoints,
        "pipeline stopped"
    );
    Ok(report)
}

/// Wall-clock milliseconds between publications to the resource's status.
const STATUS_INTERVAL_MS: i64 = 30_000;

/// Wall-clock milliseconds between progress lines in the log.
const PROGRESS_EVERY_MS: i64 = 10_000;

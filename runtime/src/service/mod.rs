//! `augur run --config FILE`: a resource's pipeline as a long-running service, as it runs in a pod (FILE is the
//! mounted ConfigMap the operator renders). It reads Kafka or Prometheus, keeps per-partition model state
//! checkpointed with the source positions, writes results and dead letters to Kafka (creating missing topics),
//! publishes its part of the resource's status, serves `/metrics`, `/healthz` and `/readyz`, logs progress, and on
//! SIGTERM drains, checkpoints and commits before it exits.
//!
//! The pipeline is the one `augur try` runs ([`crate::job`]); only the source and the sinks differ.

mod sinks;
mod topics;

use std::{
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
};

use anyhow::{Context as _, bail};
use augur_crds::runtime_config::{
    FileFormat as ConfigFileFormat, KafkaInput, ModelConfig, RuntimeConfig, SourceConfig, StateStore,
};
use augur_probes::Probes;

use crate::{
    checkpoint::{CheckpointStore, FileStore, KafkaStore},
    decode::{Decode, LogDecoder, MetricDecoder},
    job::{AnomalyKind, ForecastKind, Kind, LogKind},
    metrics::RuntimeMetrics,
    pipeline::{self, AfterFlush, Checkpointing, Partitioned, RunReport, RunSettings, Shutdown},
    record::{LogLine, MetricPoint},
    sinks::results::{DeadLetterSink, ResultSink},
    sources::{
        Source,
        file::{FileFormat, LineFileSource, MetricFileSource},
        kafka::KafkaSource,
        prometheus::PrometheusSource,
    },
    status::{self, Health, Publication},
    time::{Clock, Millis, SystemClock},
};

/// How the service runs besides its RuntimeConfig.
#[derive(Clone)]
pub struct ServiceOptions {
    /// Where `/metrics`, `/healthz` and `/readyz` listen; `None` serves nothing (tests).
    pub http_address: Option<SocketAddr>,
    /// The pod's name: the Kafka client id, and the name of this pod's entry and field manager in the status.
    pub client_id: String,
    /// Wall-clock time.
    pub clock: Arc<dyn Clock>,
    /// Extra librdkafka settings for the consumer (tests shorten group timeouts).
    pub consumer_settings: Vec<(String, String)>,
    /// Publish every result to the result topic, not only the notable ones (benchmarks, debugging).
    pub publish_all_results: bool,
    /// The Kubernetes API, for publishing to the resource's status (when the RuntimeConfig asks for it).
    pub kube: Option<kube::Client>,
    /// Wall-clock milliseconds between publications to the status.
    pub status_interval_ms: Millis,
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
            status_interval_ms: STATUS_INTERVAL_MS,
        }
    }
}

/// Wall-clock milliseconds between publications to the resource's status, by default.
pub const STATUS_INTERVAL_MS: Millis = 30_000;

/// Wall-clock milliseconds between progress lines in the log.
const PROGRESS_EVERY_MS: Millis = 10_000;

/// Everything a pipeline needs besides its source and kind.
struct Context<'a> {
    config: &'a RuntimeConfig,
    options: &'a ServiceOptions,
    metrics: Arc<RuntimeMetrics>,
    probes: Probes,
    health: Health,
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
    let metrics = Arc::new(RuntimeMetrics::new());
    let health = Health::new();
    let encoder = metrics.clone();
    let readiness = health.clone();
    let probes =
        Probes::new(Arc::new(move || encoder.encode())).with_readiness_check(Arc::new(move || readiness.summary()));
    if let Some(address) = options.http_address {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} for /metrics, /healthz and /readyz"))?;
        tokio::spawn(probes.clone().serve(listener));
    }
    let identity = &config.resource;
    let kind = model_kind(&config.model);
    topics::ensure(config, &options.client_id, &health).await;
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
        pod = %options.client_id,
        checkpoints = store.is_some(),
        status = config.output.status && options.kube.is_some(),
        "starting the pipeline"
    );
    let context = Context { config, options, metrics, probes, health, shutdown, store };
    let max_series = config.limits.max_series as usize;
    match &config.model {
        ModelConfig::Anomaly(anomaly) => metric_pipeline(&context, AnomalyKind::new(anomaly, max_series)).await,
        ModelConfig::Forecast(forecast) => metric_pipeline(&context, ForecastKind::new(forecast, max_series)).await,
        ModelConfig::Logs(logs) => {
            let kind = LogKind::new(logs).map_err(anyhow::Error::msg).context("the LogClusterer's masks")?;
            log_pipeline(&context, kind).await
        }
    }
}

async fn metric_pipeline<K>(context: &Context<'_>, kind: K) -> anyhow::Result<RunReport>
where
    K: Kind,
    K::Processor: pipeline::Processor<Input = MetricPoint>,
{
    let store = context.store.clone();
    match &context.config.source {
        SourceConfig::Kafka(input) => {
            drive(context, kafka_source(context, input, MetricDecoder::new(&input.topic))?, kind).await
        }
        SourceConfig::Prometheus(input) => {
            let source =
                PrometheusSource::new(input, context.options.clock.clone(), store)?.with_health(context.health.clone());
            drive(context, source, kind).await
        }
        SourceConfig::File(input) => {
            let format = match input.format {
                Some(ConfigFileFormat::Csv) => FileFormat::Csv,
                Some(ConfigFileFormat::JsonLines) => FileFormat::JsonLines,
                Some(ConfigFileFormat::LogLines) => bail!("a metric model cannot read a file of log lines"),
                None => FileFormat::guess(&input.path),
            };
            drive(context, MetricFileSource::open(&input.path, format)?, kind).await
        }
    }
}

async fn log_pipeline<K>(context: &Context<'_>, kind: K) -> anyhow::Result<RunReport>
where
    K: Kind,
    K::Processor: pipeline::Processor<Input = LogLine>,
{
    match &context.config.source {
        SourceConfig::Kafka(input) => {
            let decoder = LogDecoder::new(&input.format)
                .with_context(|| format!("a LogClusterer cannot read {:?} records", input.format))?;
            drive(context, kafka_source(context, input, decoder)?, kind).await
        }
        SourceConfig::File(input) => drive(context, LineFileSource::open(&input.path)?, kind).await,
        SourceConfig::Prometheus(_) => bail!("a LogClusterer reads logs from Kafka or a file, not Prometheus"),
    }
}

/// The Kafka source of `input`, restoring from the context's checkpoint store, with the options' extra settings.
fn kafka_source<D: Decode>(context: &Context<'_>, input: &KafkaInput, decoder: D) -> anyhow::Result<KafkaSource<D>> {
    let mut source = KafkaSource::new(input, decoder, &context.options.client_id, context.store.clone())?
        .with_lag(context.metrics.lag.clone())
        .with_health(context.health.clone(), context.options.clock.clone());
    for (key, value) in &context.options.consumer_settings {
        source = source.with_setting(key, value);
    }
    Ok(source)
}

/// The status publication of this pod, when the RuntimeConfig asks for it and the API is reachable.
fn publication(context: &Context<'_>) -> Publication {
    let options = context.options;
    let handle = match (&options.kube, context.config.output.status) {
        (Some(client), true) => Some(status::spawn(
            status::Target {
                client: client.clone(),
                resource: context.config.resource.clone(),
                pod: options.client_id.clone(),
                interval_ms: options.status_interval_ms,
                clock: options.clock.clone(),
            },
            context.health.clone(),
            context.shutdown.clone(),
        )),
        _ => None,
    };
    Publication::new(handle, options.status_interval_ms)
}

async fn drive<S, K>(context: &Context<'_>, source: S, mut kind: K) -> anyhow::Result<RunReport>
where
    S: Source,
    K: Kind,
    K::Processor: pipeline::Processor<Input = S::Item>,
{
    let config = context.config;
    let emit_all = context.options.publish_all_results
        || matches!(&config.model, ModelConfig::Logs(logs) if logs.emit_assignments);
    let sinks = sinks::kafka(config, &context.options.client_id, &context.health, &context.shutdown)?;
    let mut results = ResultSink { kafka: sinks.results, emit_all, metrics: context.metrics.clone() };
    let mut dead_letters = DeadLetterSink::new(sinks.dead_letters);
    let mut stage = Partitioned::new(kind.factory());
    let clock = context.options.clock.clone();
    let interval_ms = i64::try_from(config.state.checkpoint_interval.as_std().as_millis()).unwrap_or(i64::MAX);
    let settings = RunSettings {
        channel_capacity: 8,
        clock: clock.clone(),
        checkpoints: context.store.clone().map(|store| Checkpointing { store, interval_ms }),
    };
    let mut publication = publication(context);
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
        |after: AfterFlush<'_, Partitioned<K::Processor>>| {
            metrics.observe(after.report, after.now as f64 / 1000.0);
            kind.observe(after.stage, after.outputs, &metrics, after.now);
            if !after.outputs.is_empty() {
                publication.results_at(after.now);
            }
            publication.offer(
                after.now,
                after.report,
                || after.stage.iter().map(|(partition, _)| partition).collect(),
                kind.series_tracked(after.stage),
                |wanted| kind.report(after.stage, wanted, after.now),
            );
            if after.now - last_log >= PROGRESS_EVERY_MS {
                last_log = after.now;
                progress(after.report);
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

fn progress(report: &RunReport) {
    tracing::info!(
        records = report.records,
        per_second = report.records_per_second().round(),
        dead_letters = report.dead_letters,
        results = report.outputs,
        checkpoints = report.checkpoints,
        "progress"
    );
}

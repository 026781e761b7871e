//! One function per kind turns a custom resource into its [`RuntimeConfig`]. The operator calls these to fill the
//! ConfigMap; `augur render` and `augur try` call the same functions, so what runs locally is what runs in a pod.

use super::{API_VERSION, KIND, types::*};
use crate::{
    common::{
        ClientTls, KafkaSource, LogFormat, MetricSource, Output, RuntimeSettings, SeasonalityMode, SecretKeyRef,
        SecretRef, seasonality::Seasonality,
    },
    kinds::{AnomalyDetector, Forecaster, LogClusterer, anomaly_detector::DetectorSettings, forecaster::ForecastModel},
};
use kube::{Resource, ResourceExt};

/// Operator-wide settings that rendering needs besides the resource.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RenderContext {
    /// Kafka brokers used when a resource names none (Helm value `kafka.bootstrapServers`).
    pub default_bootstrap_servers: Option<Vec<String>>,
    /// Namespace used for resources that carry none (local manifests in `augur try`).
    pub default_namespace: Option<String>,
}

/// Why a resource cannot be rendered. These are spec problems: the operator reports them on the Ready condition
/// (reason `InvalidSpec`) and waits for a change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// The resource has no name.
    #[error("the resource has no metadata.name")]
    MissingName,
    /// The resource has no namespace and the context gives none.
    #[error("the resource has no metadata.namespace")]
    MissingNamespace,
    /// A Kafka connection is needed and none is configured.
    #[error(
        "{field} needs Kafka, but it names no bootstrapServers or bootstrapServersSecretRef and the operator has \
         no default Kafka (Helm value runtime.kafka.bootstrapServers)"
    )]
    NoKafka {
        /// The field that needs Kafka.
        field: &'static str,
    },
    /// A masking rule's pattern is not a valid regular expression.
    #[error("spec.parsing.masking.rules[{name}].pattern is not a valid regular expression: {reason}")]
    InvalidMask {
        /// The rule's name.
        name: String,
        /// The regex compiler's explanation.
        reason: String,
    },
}

/// Renders an AnomalyDetector.
pub fn anomaly_detector(resource: &AnomalyDetector, context: &RenderContext) -> Result<RuntimeConfig, RenderError> {
    let spec = &resource.spec;
    let model = ModelConfig::Anomaly(AnomalyConfig::from(&spec.detector));
    metrics_pipeline(resource, &spec.source, &spec.output, &spec.runtime, model, context)
}

/// Renders a Forecaster.
pub fn forecaster(resource: &Forecaster, context: &RenderContext) -> Result<RuntimeConfig, RenderError> {
    let spec = &resource.spec;
    let model = ModelConfig::Forecast(ForecastConfig::from(&spec.model));
    metrics_pipeline(resource, &spec.source, &spec.output, &spec.runtime, model, context)
}

/// Renders a LogClusterer.
pub fn log_clusterer(resource: &LogClusterer, context: &RenderContext) -> Result<RuntimeConfig, RenderError> {
    let spec = &resource.spec;
    let identity = identity(resource, context)?;
    let masks = spec
        .parsing
        .masking
        .rules
        .iter()
        .map(|rule| match regex::Regex::new(&rule.pattern) {
            Ok(_) => Ok(MaskConfig { name: rule.name.clone(), pattern: rule.pattern.clone() }),
            Err(error) => Err(RenderError::InvalidMask { name: rule.name.clone(), reason: error.to_string() }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let grouping = &spec.grouping;
    let model = ModelConfig::Logs(LogConfig {
        builtin_masks: spec.parsing.masking.builtin,
        masks,
        delimiters: spec.parsing.delimiters.clone(),
        similarity_threshold: spec.parsing.similarity_threshold,
        depth: u32::try_from(spec.parsing.depth).unwrap_or(4),
        max_templates: u32::try_from(spec.parsing.max_templates).unwrap_or(1),
        grouping: grouping.enabled.then_some(GroupingConfig {
            vectorizer: grouping.vectorizer,
            linkage: grouping.linkage,
            distance_threshold: grouping.distance_threshold,
            interval: grouping.interval,
        }),
        emit_assignments: spec.emit_assignments,
    });
    let format = match spec.source.format {
        LogFormat::Raw => RecordFormat::LogLines,
        LogFormat::Json => RecordFormat::JsonLogs {
            message_field: spec.source.message_field.clone().unwrap_or_else(|| "message".to_owned()),
            origin_field: spec.source.origin_field.clone(),
        },
    };
    let input = kafka_input(&spec.source.kafka, format, &identity, context)?;
    let connection = Some(input.connection.clone());
    let dead_letter = dead_letter(&spec.source.kafka, &input.connection, &identity);
    assemble(identity, SourceConfig::Kafka(input), connection, dead_letter, &spec.output, &spec.runtime, model)
}

/// The shared tail of the metric kinds: source, outputs, state.
fn metrics_pipeline<K: Resource<DynamicType = ()>>(
    resource: &K,
    source: &MetricSource,
    output: &Output,
    runtime: &RuntimeSettings,
    model: ModelConfig,
    context: &RenderContext,
) -> Result<RuntimeConfig, RenderError> {
    let identity = identity(resource, context)?;
    let (source, connection, dead_letter) = match (&source.kafka, &source.prometheus) {
        (Some(kafka), _) => {
            let input = kafka_input(kafka, RecordFormat::MetricEvents, &identity, context)?;
            let dead_letter = dead_letter(kafka, &input.connection, &identity);
            let connection = Some(input.connection.clone());
            (SourceConfig::Kafka(input), connection, dead_letter)
        }
        (None, Some(prometheus)) => {
            let input = PrometheusInput {
                url: prometheus.url.clone(),
                query: prometheus.query.clone(),
                step: prometheus.step,
                backfill: prometheus.backfill,
                bearer_token: prometheus.bearer_token_secret_ref.as_ref().map(secret_file),
                basic_auth: prometheus.basic_auth_secret_ref.as_ref().map(|secret| {
                    let (username, password) = credentials(secret);
                    BasicAuth { username, password }
                }),
                tls: prometheus.tls.as_ref().map(tls_config),
            };
            (SourceConfig::Prometheus(input), default_connection(context), None)
        }
        // The schema's CEL rule requires exactly one; a stored object that bypassed it still gets a clear error.
        (None, None) => return Err(RenderError::NoKafka { field: "spec.source" }),
    };
    assemble(identity, source, connection, dead_letter, output, runtime, model)
}

/// Builds the document from its resolved parts. `connection` is the Kafka cluster used for results and state.
fn assemble(
    identity: ResourceIdentity,
    source: SourceConfig,
    connection: Option<KafkaConnection>,
    dead_letter: Option<KafkaOutputConfig>,
    output: &Output,
    runtime: &RuntimeSettings,
    model: ModelConfig,
) -> Result<RuntimeConfig, RenderError> {
    let kafka_output = match &output.kafka {
        Some(kafka) => Some(KafkaOutputConfig {
            connection: connection.clone().ok_or(RenderError::NoKafka { field: "spec.output.kafka" })?,
            topic: kafka.topic.clone(),
            partitions: kafka.partitions,
            replication_factor: kafka.replication_factor,
        }),
        None => None,
    };
    let store = match connection {
        Some(connection) => StateStore::Kafka { connection, topic: resource_topic(&identity, "state") },
        None => StateStore::None,
    };
    Ok(RuntimeConfig {
        api_version: API_VERSION.to_owned(),
        kind: KIND.to_owned(),
        source,
        model,
        output: OutputConfig { kafka: kafka_output, dead_letter, metrics: output.metrics, status: true },
        state: StateConfig { checkpoint_interval: runtime.checkpoint_interval, store },
        limits: Limits { max_series: u32::try_from(runtime.max_series).unwrap_or(1) },
        resource: identity,
    })
}

fn identity<K: Resource<DynamicType = ()>>(
    resource: &K,
    context: &RenderContext,
) -> Result<ResourceIdentity, RenderError> {
    let meta = resource.meta();
    Ok(ResourceIdentity {
        kind: K::kind(&()).into_owned(),
        namespace: meta
            .namespace
            .clone()
            .or_else(|| context.default_namespace.clone())
            .ok_or(RenderError::MissingNamespace)?,
        name: meta.name.clone().filter(|name| !name.is_empty()).ok_or(RenderError::MissingName)?,
        uid: resource.uid(),
        generation: meta.generation,
    })
}

/// `augur.<namespace>.<name>.<purpose>`: a topic owned by one resource.
fn resource_topic(identity: &ResourceIdentity, purpose: &str) -> String {
    format!("augur.{}.{}.{purpose}", identity.namespace, identity.name)
}

fn kafka_input(
    kafka: &KafkaSource,
    format: RecordFormat,
    identity: &ResourceIdentity,
    context: &RenderContext,
) -> Result<KafkaInput, RenderError> {
    let bootstrap_servers = match (&kafka.bootstrap_servers, &kafka.bootstrap_servers_secret_ref) {
        (Some(servers), _) => BootstrapServers::List(servers.clone()),
        (None, Some(secret)) => BootstrapServers::SecretFile(secret_file(secret)),
        (None, None) => BootstrapServers::List(
            context.default_bootstrap_servers.clone().ok_or(RenderError::NoKafka { field: "spec.source.kafka" })?,
        ),
    };
    let tls = kafka.tls.as_ref().map(tls_config);
    let sasl = kafka.sasl.as_ref().map(|sasl| {
        let (username, password) = credentials(&sasl.credentials_secret_ref);
        SaslConfig { mechanism: sasl.mechanism, username, password }
    });
    Ok(KafkaInput {
        connection: KafkaConnection { bootstrap_servers, tls, sasl },
        topic: kafka.topic.clone(),
        consumer_group: kafka
            .consumer_group
            .clone()
            .unwrap_or_else(|| format!("augur.{}.{}", identity.namespace, identity.name)),
        start_from: kafka.start_from,
        format,
    })
}

fn dead_letter(
    kafka: &KafkaSource,
    connection: &KafkaConnection,
    identity: &ResourceIdentity,
) -> Option<KafkaOutputConfig> {
    let topic = kafka.dead_letter_topic.clone().unwrap_or_else(|| resource_topic(identity, "dead-letter"));
    Some(KafkaOutputConfig { connection: connection.clone(), topic, partitions: None, replication_factor: None })
}

fn default_connection(context: &RenderContext) -> Option<KafkaConnection> {
    context.default_bootstrap_servers.as_ref().map(|servers| KafkaConnection {
        bootstrap_servers: BootstrapServers::List(servers.clone()),
        tls: None,
        sasl: None,
    })
}

fn secret_file(secret: &SecretKeyRef) -> SecretFile {
    SecretFile { secret: secret.name.clone(), key: secret.key.clone() }
}

/// Key `key` of the Secret `secret`.
fn key_of(secret: &SecretRef, key: &str) -> SecretFile {
    SecretFile { secret: secret.name.clone(), key: key.to_owned() }
}

/// The `username` and `password` keys of a credentials Secret.
fn credentials(secret: &SecretRef) -> (SecretFile, SecretFile) {
    (key_of(secret, "username"), key_of(secret, "password"))
}

/// TLS files: the CA key, and the `tls.crt` and `tls.key` of a `kubernetes.io/tls` Secret.
fn tls_config(tls: &ClientTls) -> TlsConfig {
    let client = tls.client_certificate_secret_ref.as_ref();
    TlsConfig {
        ca: tls.ca_secret_ref.as_ref().map(secret_file),
        client_certificate: client.map(|secret| key_of(secret, "tls.crt")),
        client_key: client.map(|secret| key_of(secret, "tls.key")),
    }
}

impl From<&DetectorSettings> for AnomalyConfig {
    /// Resolves detection settings: sensitivity becomes a score threshold, seasonality a list of periods.
    fn from(detector: &DetectorSettings) -> Self {
        Self {
            algorithm: detector.algorithm,
            score_threshold: detector.score_threshold.unwrap_or_else(|| detector.sensitivity.score_threshold()),
            seasonality: seasonality(&detector.seasonality),
            warm_up_points: u32::try_from(detector.warm_up_points).unwrap_or(0),
            direction: detector.direction,
        }
    }
}

impl From<&ForecastModel> for ForecastConfig {
    /// Resolves forecast settings: quantiles sorted, distinct and always including the median.
    fn from(model: &ForecastModel) -> Self {
        let mut quantiles: Vec<f64> = model.quantiles.iter().copied().chain([0.5]).collect();
        quantiles.sort_by(f64::total_cmp);
        quantiles.dedup();
        Self {
            algorithm: model.algorithm,
            seasonality: seasonality(&model.seasonality),
            horizon: model.horizon,
            step: model.step,
            quantiles,
        }
    }
}

fn seasonality(settings: &Seasonality) -> SeasonalityConfig {
    match settings.mode {
        SeasonalityMode::Auto => SeasonalityConfig::Auto,
        SeasonalityMode::None => SeasonalityConfig::None,
        SeasonalityMode::Fixed => SeasonalityConfig::Fixed(settings.periods.clone().unwrap_or_default()),
    }
}

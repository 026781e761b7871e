//! The RuntimeConfig document's types. All are strict: unknown fields are errors.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::SECRETS_ROOT;
use crate::{
    common::{Duration, SaslMechanism, StartFrom},
    kinds::{
        anomaly_detector::{DetectorAlgorithm, Direction},
        forecaster::ForecastAlgorithm,
        log_clusterer::{Linkage, Vectorizer},
    },
};

/// Everything a runtime process needs to run one resource's pipeline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuntimeConfig {
    /// Always [`super::API_VERSION`].
    pub api_version: String,
    /// Always [`super::KIND`].
    pub kind: String,
    /// The resource this pipeline runs for.
    pub resource: ResourceIdentity,
    /// Where records come from.
    pub source: SourceConfig,
    /// What is computed per series.
    pub model: ModelConfig,
    /// Where results go.
    pub output: OutputConfig,
    /// Checkpointing of model state and source positions.
    pub state: StateConfig,
    /// Resource bounds.
    pub limits: Limits,
}

/// Identity of the custom resource behind a pipeline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceIdentity {
    /// Kind: AnomalyDetector, Forecaster or LogClusterer.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// UID, when rendered from a stored object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// `metadata.generation` the config was rendered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
}

/// A key of a Secret, read by the runtime from the file the operator mounts it as.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretFile {
    /// Secret name (same namespace as the resource).
    pub secret: String,
    /// Key within the Secret.
    pub key: String,
}

impl SecretFile {
    /// Where the runtime reads this key: under [`SECRETS_ROOT`], where the operator mounts it in runtime pods, or
    /// under `$AUGUR_SECRETS_ROOT` when set (the runtime binary run outside a pod, as the end-to-end tests do).
    pub fn path(&self) -> PathBuf {
        let root = std::env::var_os("AUGUR_SECRETS_ROOT").map_or_else(|| PathBuf::from(SECRETS_ROOT), PathBuf::from);
        root.join(&self.secret).join(&self.key)
    }
}

/// The input of a pipeline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
// Parsed once at start-up; boxing the large variant would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum SourceConfig {
    /// A Kafka topic.
    Kafka(KafkaInput),
    /// A PromQL query polled every step.
    Prometheus(PrometheusInput),
    /// A local file (`augur try`, benchmarks).
    File(FileInput),
}

/// How to reach a Kafka cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KafkaConnection {
    /// Broker addresses.
    pub bootstrap_servers: BootstrapServers,
    /// TLS, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// SASL, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sasl: Option<SaslConfig>,
}

impl KafkaConnection {
    /// Calls `visit` for every Secret file this connection reads.
    pub fn visit_secret_files(&self, visit: &mut impl FnMut(&SecretFile)) {
        if let BootstrapServers::SecretFile(file) = &self.bootstrap_servers {
            visit(file);
        }
        if let Some(tls) = &self.tls {
            tls.visit_secret_files(visit);
        }
        if let Some(sasl) = &self.sasl {
            visit(&sasl.username);
            visit(&sasl.password);
        }
    }
}

/// Broker addresses, literal or from a Secret.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum BootstrapServers {
    /// `host:port` list.
    List(Vec<String>),
    /// A Secret key holding a comma-separated list.
    SecretFile(SecretFile),
}

/// TLS files.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsConfig {
    /// CA bundle; system roots when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<SecretFile>,
    /// Client certificate for mutual TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<SecretFile>,
    /// Client key for mutual TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<SecretFile>,
}

impl TlsConfig {
    /// Calls `visit` for every Secret file these settings read.
    pub fn visit_secret_files(&self, visit: &mut impl FnMut(&SecretFile)) {
        self.ca.iter().chain(&self.client_certificate).chain(&self.client_key).for_each(visit);
    }
}

/// SASL settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SaslConfig {
    /// Mechanism.
    pub mechanism: SaslMechanism,
    /// Username file.
    pub username: SecretFile,
    /// Password file.
    pub password: SecretFile,
}

/// A Kafka input.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KafkaInput {
    /// Cluster connection.
    pub connection: KafkaConnection,
    /// Topic.
    pub topic: String,
    /// Consumer group.
    pub consumer_group: String,
    /// Start position without checkpoint or committed offset.
    pub start_from: StartFrom,
    /// How records decode.
    pub format: RecordFormat,
}

/// Record encodings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
#[serde(rename_all_fields = "camelCase")]
pub enum RecordFormat {
    /// JSON metric events: `{"series", "timestamp", "value", "labels"?}`.
    MetricEvents,
    /// One raw log line per record.
    LogLines,
    /// JSON log records.
    JsonLogs {
        /// Dot path of the message.
        message_field: String,
        /// Dot path of the origin, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin_field: Option<String>,
    },
}

/// A Prometheus input.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusInput {
    /// API base URL.
    pub url: String,
    /// PromQL.
    pub query: String,
    /// Query resolution and poll interval.
    pub step: Duration,
    /// History loaded at start.
    pub backfill: Duration,
    /// Bearer token, if any (https only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<SecretFile>,
    /// Basic authentication, if any (https only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// TLS files for an https URL; system roots and no client certificate when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
}

impl PrometheusInput {
    /// Calls `visit` for every Secret file this input reads.
    pub fn visit_secret_files(&self, visit: &mut impl FnMut(&SecretFile)) {
        self.bearer_token.iter().for_each(&mut *visit);
        if let Some(basic) = &self.basic_auth {
            visit(&basic.username);
            visit(&basic.password);
        }
        if let Some(tls) = &self.tls {
            tls.visit_secret_files(visit);
        }
    }

    /// Whether the input sends credentials (a token or a password) with its queries.
    pub fn has_credentials(&self) -> bool {
        self.bearer_token.is_some() || self.basic_auth.is_some()
    }
}

/// HTTP basic authentication, from files.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BasicAuth {
    /// Username file.
    pub username: SecretFile,
    /// Password file.
    pub password: SecretFile,
}

/// A local file input.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileInput {
    /// Path of the file.
    pub path: PathBuf,
    /// How records decode; `None` guesses from the file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<FileFormat>,
}

/// Local file formats.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub enum FileFormat {
    /// `timestamp,value[,series]` with a header row.
    Csv,
    /// One JSON metric event per line.
    JsonLines,
    /// One raw log line per line.
    LogLines,
}

/// Seasonal periods, resolved.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum SeasonalityConfig {
    /// Detected per series.
    Auto,
    /// None.
    None,
    /// These periods.
    Fixed(Vec<Duration>),
}

/// The per-series computation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum ModelConfig {
    /// Anomaly detection.
    Anomaly(AnomalyConfig),
    /// Forecasting.
    Forecast(ForecastConfig),
    /// Log template mining.
    Logs(LogConfig),
}

/// Resolved anomaly detection settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AnomalyConfig {
    /// Algorithm.
    pub algorithm: DetectorAlgorithm,
    /// Points scoring at least this are reported.
    pub score_threshold: f64,
    /// Seasonality.
    pub seasonality: SeasonalityConfig,
    /// Points before reporting starts.
    pub warm_up_points: u32,
    /// Directions reported.
    pub direction: Direction,
}

/// Resolved forecasting settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ForecastConfig {
    /// Algorithm.
    pub algorithm: ForecastAlgorithm,
    /// Seasonality.
    pub seasonality: SeasonalityConfig,
    /// Forecast horizon.
    pub horizon: Duration,
    /// Step between points.
    pub step: Duration,
    /// Sorted, distinct quantiles, always including 0.5.
    pub quantiles: Vec<f64>,
}

/// Resolved log clustering settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogConfig {
    /// Apply the built-in masks.
    pub builtin_masks: bool,
    /// User masks, in order.
    pub masks: Vec<MaskConfig>,
    /// Extra token delimiters.
    pub delimiters: String,
    /// Similarity threshold.
    pub similarity_threshold: f64,
    /// Prefix tree depth.
    pub depth: u32,
    /// Template cap.
    pub max_templates: u32,
    /// Grouping, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grouping: Option<GroupingConfig>,
    /// Publish per-line assignments.
    pub emit_assignments: bool,
}

/// A user mask.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MaskConfig {
    /// Placeholder name.
    pub name: String,
    /// Regular expression.
    pub pattern: String,
}

/// Template grouping settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupingConfig {
    /// Vectoriser.
    pub vectorizer: Vectorizer,
    /// Linkage.
    pub linkage: Linkage,
    /// Merge threshold (cosine distance).
    pub distance_threshold: f64,
    /// Re-run interval.
    pub interval: Duration,
}

/// Result sinks.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutputConfig {
    /// Kafka result topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaOutputConfig>,
    /// Dead-letter topic for records that fail to decode (Kafka sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<KafkaOutputConfig>,
    /// Export Prometheus metrics.
    pub metrics: bool,
    /// Publish a bounded summary to the resource's status.
    pub status: bool,
}

/// A Kafka topic to write.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KafkaOutputConfig {
    /// Cluster connection.
    pub connection: KafkaConnection,
    /// Topic.
    pub topic: String,
    /// Partitions when the runtime creates the topic (`None`: the broker's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<i32>,
    /// Replication factor when the runtime creates the topic (`None`: the broker's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<i32>,
}

/// Checkpointing.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StateConfig {
    /// Interval between checkpoints.
    pub checkpoint_interval: Duration,
    /// Where checkpoints are stored.
    pub store: StateStore,
}

/// Checkpoint stores.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
// Parsed once at start-up; boxing the large variant would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum StateStore {
    /// A compacted Kafka topic, keyed by partition.
    Kafka {
        /// Cluster connection.
        connection: KafkaConnection,
        /// Compacted topic.
        topic: String,
    },
    /// A local file, replaced atomically.
    File {
        /// Path.
        path: PathBuf,
    },
    /// No checkpoints (sources that can replay history, such as Prometheus backfill).
    None,
}

/// Resource bounds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Limits {
    /// Series tracked per process before least-recently-seen eviction.
    pub max_series: u32,
}

//! Where a runtime reads its input: Kafka topics or Prometheus queries, with credentials only from Secrets.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    duration::Duration,
    rules::{matches, rule, secret_name_rule, topic_rule},
};

/// Pattern for a Kubernetes object name (DNS-1123 subdomain).
pub const OBJECT_NAME_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// Pattern for a Kafka topic name.
pub const TOPIC_PATTERN: &str = r"^[a-zA-Z0-9._-]+$";
/// Pattern for an http(s) URL.
pub const URL_PATTERN: &str = r"^https?://[^\s/?#]+([/?#]\S*)?$";
/// Pattern for one bootstrap server, `host:port` or `[ipv6]:port`.
pub const HOST_PORT_PATTERN: &str = r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}$";

/// Input of a metrics resource (AnomalyDetector, Forecaster). Set exactly one of `kafka` or `prometheus`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "has(self.kafka) != has(self.prometheus)",
    "set exactly one source: either kafka or prometheus",
))]
pub struct MetricSource {
    /// Read JSON metric events (`{"series": "...", "timestamp": ..., "value": ...}`, optional `labels`) from a
    /// Kafka topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaSource>,
    /// Poll a PromQL query on a Prometheus server; each returned series is tracked separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusSource>,
}

/// Input of a LogClusterer: log records from a Kafka topic.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "self.format == 'Json' || !has(self.messageField)",
    "messageField applies only when format is Json",
))]
pub struct LogSource {
    /// The Kafka topic the log records are read from.
    pub kafka: KafkaSource,
    /// How each record is encoded: `Raw` (the record is one log line) or `Json` (a JSON object whose
    /// `messageField` holds the line).
    #[serde(default)]
    pub format: LogFormat,
    /// For `format: Json`: dot-separated path of the field holding the log message. Defaults to `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub message_field: Option<String>,
    /// For `format: Json`: dot-separated path of a field naming the log's origin (service, file); templates are
    /// counted per origin when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub origin_field: Option<String>,
}

/// Encoding of log records.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Each record is one raw log line (UTF-8).
    #[default]
    Raw,
    /// Each record is a JSON object; the message is read from `messageField`.
    Json,
}

/// A Kafka topic to consume. Broker addresses come from `bootstrapServers`, from a Secret, or, when neither is set,
/// from the operator's default Kafka connection.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "!(has(self.bootstrapServers) && has(self.bootstrapServersSecretRef))",
    "set bootstrapServers or bootstrapServersSecretRef, not both (leave both unset to use the operator's default Kafka)",
))]
pub struct KafkaSource {
    /// Broker addresses as `host:port`, e.g. `kafka.kafka.svc:9092`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32), inner(length(max = 261)))]
    #[x_kube(validation = rule(
        format!("self.all(s, {})", matches("s", HOST_PORT_PATTERN)),
        "each bootstrap server must be host:port, e.g. kafka.kafka.svc:9092",
    ))]
    pub bootstrap_servers: Option<Vec<String>>,
    /// A Secret key holding the comma-separated broker addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_servers_secret_ref: Option<SecretKeyRef>,
    /// The topic to read.
    #[schemars(length(min = 1, max = 249))]
    #[x_kube(validation = topic_rule())]
    pub topic: String,
    /// Topic that receives records which fail to decode, with the reason in a header. Defaults to
    /// `augur.<namespace>.<name>.dead-letter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 249))]
    #[x_kube(validation = topic_rule())]
    pub dead_letter_topic: Option<String>,
    /// Consumer group shared by the runtime's replicas. Defaults to `augur.<namespace>.<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub consumer_group: Option<String>,
    /// Where to start when neither a checkpoint nor a committed offset exists: `Latest` (only new records) or
    /// `Earliest` (the whole retained topic).
    #[serde(default)]
    pub start_from: StartFrom,
    /// TLS to the brokers. Omit for plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
    /// SASL authentication. Omit for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sasl: Option<KafkaSasl>,
}

/// Starting position for a consumer group with no committed offset.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// Only records produced from now on.
    #[default]
    Latest,
    /// Every record the topic still retains.
    Earliest,
}

/// TLS settings of a client connection (Kafka brokers, Prometheus).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ClientTls {
    /// A Secret key with the PEM CA bundle that signs the server's certificates. Omit to trust the system roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_secret_ref: Option<SecretKeyRef>,
    /// A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`) for mutual TLS. Omit for server-only TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_secret_ref: Option<SecretRef>,
}

/// SASL settings for Kafka connections.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KafkaSasl {
    /// The SASL mechanism.
    #[serde(default)]
    pub mechanism: SaslMechanism,
    /// A Secret with keys `username` and `password`.
    pub credentials_secret_ref: SecretRef,
}

/// SASL mechanisms supported by the runtime.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SaslMechanism {
    /// PLAIN (use only over TLS).
    Plain,
    /// SCRAM-SHA-256.
    ScramSha256,
    /// SCRAM-SHA-512.
    #[default]
    ScramSha512,
}

/// A Prometheus range query, re-run every `step`. A secured Prometheus (https with its own CA, a bearer token, basic
/// authentication, client certificates) is reached with credentials from Secrets, sent only over https.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "!has(self.bearerTokenSecretRef) || !has(self.basicAuthSecretRef)",
    "set bearerTokenSecretRef or basicAuthSecretRef, not both",
))]
#[x_kube(validation = rule(
    "(!has(self.bearerTokenSecretRef) && !has(self.basicAuthSecretRef)) || self.url.startsWith('https://')",
    "credentials are sent only over https: bearerTokenSecretRef and basicAuthSecretRef need an https:// url",
))]
#[x_kube(validation = rule("!has(self.tls) || self.url.startsWith('https://')", "tls applies only to an https:// url"))]
pub struct PrometheusSource {
    /// Base URL of the Prometheus (or compatible) HTTP API, e.g. `http://prometheus.monitoring:9090` or
    /// `https://prometheus.example.com` (a path prefix is kept: `https://example.com/prometheus`).
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = rule(
        matches("self", URL_PATTERN),
        "url must be an http:// or https:// URL, e.g. http://prometheus.monitoring:9090",
    ))]
    pub url: String,
    /// The PromQL expression. Every series it returns is tracked separately, keyed by its labels.
    #[schemars(length(min = 1, max = 4096))]
    pub query: String,
    /// Resolution of the query and how often it is re-run.
    #[serde(default = "default_prometheus_step")]
    #[x_kube(validation = super::rules::compare_durations("self", ">=", "'1s'", "step must be at least 1s"))]
    pub step: Duration,
    /// History loaded at start, so models begin warm. `0s` starts from now.
    #[serde(default = "default_prometheus_backfill")]
    pub backfill: Duration,
    /// A Secret key holding a bearer token sent with every query (re-read for each, so a rotated token is used as
    /// soon as the Secret's mount is updated). Needs an `https://` url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_secret_ref: Option<SecretKeyRef>,
    /// A Secret with keys `username` and `password` for HTTP basic authentication. Needs an `https://` url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth_secret_ref: Option<SecretRef>,
    /// TLS for an `https://` url: a CA bundle to trust instead of the system roots, and a client certificate for
    /// mutual TLS. Omit to trust the system roots without a client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
}

fn default_prometheus_step() -> Duration {
    Duration::from_secs(30)
}

fn default_prometheus_backfill() -> Duration {
    Duration::from_secs(3600)
}

/// A key of a Secret in the resource's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = secret_name_rule())]
    pub name: String,
    /// Key within the Secret.
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

/// A Secret in the resource's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = secret_name_rule())]
    pub name: String,
}

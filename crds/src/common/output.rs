//! Where results go: a Kafka topic of JSON events and/or Prometheus metrics on the runtime's `/metrics`.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::rules::topic_rule;

/// Where a runtime publishes its results. Results always reach the resource's status as a bounded summary.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Publish every result as a JSON event on a Kafka topic (same Kafka connection as the source, or the operator's
    /// default Kafka when the source is Prometheus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaOutput>,
    /// Export results as Prometheus metrics on the runtime's `/metrics` endpoint.
    #[serde(default = "enabled")]
    pub metrics: bool,
}

impl Default for Output {
    fn default() -> Self {
        Self { kafka: None, metrics: true }
    }
}

fn enabled() -> bool {
    true
}

/// A Kafka topic for results.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KafkaOutput {
    /// Topic the result events are written to. The runtime creates it when it is missing.
    #[schemars(length(min = 1, max = 249))]
    #[x_kube(validation = topic_rule())]
    pub topic: String,
    /// Partitions of the topic when the runtime creates it; by default the broker's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10_000))]
    pub partitions: Option<i32>,
    /// Replication factor of the topic when the runtime creates it; by default the broker's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 32))]
    pub replication_factor: Option<i32>,
}

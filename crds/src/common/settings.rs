//! Settings every streaming resource shares: how many runtime pods, their resources, limits and checkpointing.

use k8s_openapi::api::core::v1::ResourceRequirements;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::{duration::Duration, rules::compare_durations};

/// Runtime settings shared by AnomalyDetector, Forecaster and LogClusterer (flattened into their `spec`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeSettings {
    /// Number of runtime pods. They share one Kafka consumer group, so partitions (and the series keyed to them)
    /// spread over the pods; more pods than partitions leaves pods idle.
    #[serde(default = "default_parallelism")]
    #[schemars(range(min = 1, max = 64))]
    pub parallelism: i32,
    /// CPU and memory for each runtime pod. Defaults to requests of 100m CPU and 128Mi memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Stop processing: the runtime is scaled to zero and its state kept, ready to resume.
    #[serde(default)]
    pub paused: bool,
    /// Most series (or log origins) tracked per runtime pod. Past it, the least recently seen series is evicted, so
    /// memory stays bounded whatever the input.
    #[serde(default = "default_max_series")]
    #[schemars(range(min = 1, max = 10_000_000))]
    pub max_series: i32,
    /// How often model state and source positions are checkpointed together.
    #[serde(default = "default_checkpoint_interval")]
    #[x_kube(validation = compare_durations("self", ">=", "'1s'", "checkpointInterval must be at least 1s"))]
    pub checkpoint_interval: Duration,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            parallelism: default_parallelism(),
            resources: None,
            paused: false,
            max_series: default_max_series(),
            checkpoint_interval: default_checkpoint_interval(),
        }
    }
}

fn default_parallelism() -> i32 {
    1
}

fn default_max_series() -> i32 {
    100_000
}

fn default_checkpoint_interval() -> Duration {
    Duration::from_secs(30)
}

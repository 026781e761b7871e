//! Status shared by the streaming kinds: generation, conditions and the runtime's live figures.
//!
//! Conditions are a list map keyed on `type`, so the operator (Ready, Progressing, Degraded) and the runtime
//! (ModelReady) can each own their entries under server-side apply.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Condition types.
pub mod condition_type {
    /// The runtime is deployed, its pods are ready and it is processing.
    pub const READY: &str = "Ready";
    /// A spec change is rolling out.
    pub const PROGRESSING: &str = "Progressing";
    /// Something is wrong that needs attention (reason says what).
    pub const DEGRADED: &str = "Degraded";
    /// The models have enough history to produce results (while warming up, the message gives progress and an ETA).
    pub const MODEL_READY: &str = "ModelReady";
}

/// Condition reasons (CamelCase, stable: alerts and scripts match on them).
pub mod reason {
    /// Everything is running.
    pub const RUNNING: &str = "Running";
    /// The runtime Deployment is rolling out.
    pub const ROLLING_OUT: &str = "RollingOut";
    /// `spec.paused` is true.
    pub const PAUSED: &str = "Paused";
    /// The spec failed validation that the schema cannot express.
    pub const INVALID_SPEC: &str = "InvalidSpec";
    /// Models are gathering history.
    pub const WARMING_UP: &str = "WarmingUp";
    /// Models have enough history.
    pub const MODELS_READY: &str = "ModelsReady";
    /// The runtime Deployment cannot make progress (deadline exceeded, replica failure).
    pub const ROLLOUT_STUCK: &str = "RolloutStuck";
    /// The source cannot be reached.
    pub const SOURCE_UNREACHABLE: &str = "SourceUnreachable";
}

/// What every Augur status starts with: the generation it describes and the conditions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObservedConditions {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Conditions (Ready, Progressing, Degraded, ModelReady), each with a reason and a message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}

impl ObservedConditions {
    /// The condition of the given type, if present.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}

/// Status of an AnomalyDetector, Forecaster or LogClusterer runtime (flattened into each kind's status).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeStatus {
    /// Generation and conditions.
    #[serde(flatten)]
    pub observed: ObservedConditions,
    /// Runtime pods wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Runtime pods ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// Series (or log origins) currently tracked, over all pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_tracked: Option<i64>,
    /// Input records processed per second, over all pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_per_second: Option<f64>,
    /// Records waiting in the source (Kafka consumer lag summed over partitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_records: Option<i64>,
    /// Records that failed to decode and went to the dead-letter sink, since the runtime started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_lettered_records: Option<i64>,
    /// When the last result was produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_result_time: Option<Time>,
}

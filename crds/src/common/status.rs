//! Status shared by the streaming kinds: generation, conditions and the runtime's live figures.
//!
//! Conditions are a list map keyed on `type`, so the operator (Ready, Progressing, Degraded) and the runtime
//! (ModelReady) can each own their entries under server-side apply.
//!
//! Several runtime pods share one resource. Each pod applies, under a field manager of its own, its entry of
//! `pods` (a list map keyed by pod name) and the entries of the kind's lists it holds (keyed by series or template),
//! so no pod's entries overwrite another's. The totals (`seriesTracked`, `recordsPerSecond`, ...) and `ModelReady`
//! are computed over the pods' fresh entries by whichever pod published last. The operator folds the problems pods
//! report into `Degraded`.

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
    /// A runtime pod cannot deliver results to a sink (a Kafka topic): inputs wait, uncommitted, until it can.
    pub const SINK_UNAVAILABLE: &str = "SinkUnavailable";
    /// A topic the runtime writes is missing and the runtime may not create it.
    pub const TOPIC_UNAVAILABLE: &str = "TopicUnavailable";
    /// A runtime pod cannot publish to the resource's status.
    pub const STATUS_UNAVAILABLE: &str = "StatusUnavailable";
    /// A checkpoint could not be read or written.
    pub const CHECKPOINT_FAILED: &str = "CheckpointFailed";
    /// The checkpoint store cannot be read right now (a timeout, the broker away): the partitions whose state it
    /// holds wait, paused, and the read is retried with backoff, so no learned state is lost to a slow read.
    pub const CHECKPOINT_UNREADABLE: &str = "CheckpointUnreadable";
    /// A partition's checkpoint was read but is damaged or of another version or model kind: that partition's
    /// models started fresh.
    pub const STATE_RESET: &str = "StateReset";
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

    /// A condition of `type_` as it should be written now: `lastTransitionTime` is kept from the condition of that
    /// type here unless the status flips.
    pub fn next(
        &self,
        type_: &str,
        status: bool,
        reason: &str,
        message: String,
        generation: Option<i64>,
        now: &Time,
    ) -> Condition {
        let status = if status { "True" } else { "False" }.to_owned();
        let last_transition_time = self
            .condition(type_)
            .filter(|c| c.status == status)
            .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
        Condition {
            type_: type_.into(),
            status,
            reason: reason.into(),
            message,
            observed_generation: generation,
            last_transition_time,
        }
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
    /// One entry per runtime pod, written by the pod itself: what it reads, its figures and its problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 128), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub pods: Vec<RuntimePod>,
}

/// One runtime pod's view, applied by the pod under its own field manager.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePod {
    /// The pod's name.
    #[schemars(length(max = 253))]
    pub name: String,
    /// When the pod last published; entries not refreshed for a few intervals belong to pods that are gone.
    pub updated: Time,
    /// Source partitions the pod reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1024))]
    pub partitions: Vec<i32>,
    /// Series (or log templates) the pod tracks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_tracked: Option<i64>,
    /// Records the pod processed since it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<i64>,
    /// Records per second over the last publication interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_per_second: Option<f64>,
    /// Records the pod sent to the dead-letter sink since it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_lettered_records: Option<i64>,
    /// When the pod last produced a result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_result_time: Option<Time>,
    /// AnomalyDetector: series whose latest point is in an anomaly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_anomalies: Option<i32>,
    /// Whether the pod's models have enough history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_ready: Option<bool>,
    /// How far the models are, e.g. "3/5 series ready; the rest in about 2h".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub model_message: Option<String>,
    /// What is wrong in this pod now (empty when all is well).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub problems: Vec<RuntimeProblem>,
}

/// Something a runtime pod cannot do.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeProblem {
    /// Machine-readable reason, e.g. `SinkUnavailable`, `TopicUnavailable`.
    #[schemars(length(max = 64))]
    pub reason: String,
    /// What is wrong, naming the topic or server.
    #[schemars(length(max = 1024))]
    pub message: String,
}

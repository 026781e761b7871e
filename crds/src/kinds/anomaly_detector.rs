//! AnomalyDetector: streaming anomaly detection on metric time series.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{MetricSource, Output, RuntimeSettings, RuntimeStatus, Seasonality, name_rule};

/// Detects anomalies in every series of a metric stream, incrementally, and reports each with a score, the
/// expected value and band, and the reason.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "augur.dev",
    version = "v1alpha1",
    kind = "AnomalyDetector",
    namespaced,
    status = "AnomalyDetectorStatus",
    derive = "PartialEq",
    shortname = "ad",
    category = "augur",
    doc = "Streaming anomaly detection on metric time series.",
    validation = name_rule(),
    printcolumn(name = "Ready", type_ = "string", json_path = r#".status.conditions[?(@.type=="Ready")].status"#),
    printcolumn(name = "Series", type_ = "integer", json_path = ".status.seriesTracked"),
    printcolumn(name = "Active", type_ = "integer", json_path = ".status.activeAnomalies", description = "series anomalous now"),
    printcolumn(name = "Lag", type_ = "integer", json_path = ".status.lagRecords"),
    printcolumn(name = "Paused", type_ = "boolean", json_path = ".spec.paused", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyDetectorSpec {
    /// Where the metric series come from.
    pub source: MetricSource,
    /// How anomalies are detected. Every field has a default that works for typical service metrics.
    #[serde(default)]
    pub detector: DetectorSettings,
    /// Where anomaly events go, besides the status summary.
    #[serde(default)]
    pub output: Output,
    /// Runtime pods, resources, limits and checkpointing.
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
}

/// Detection settings.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DetectorSettings {
    /// The detection algorithm. `Auto` combines a seasonal baseline with robust residual scoring and level-shift
    /// tracking, and suits most metrics.
    #[serde(default)]
    pub algorithm: DetectorAlgorithm,
    /// How readily points are reported: `Low` reports only the clearest anomalies (score 0.6, about a one-in-100,000
    /// surprise), `Medium` a one-in-1,000 surprise (score 0.5), `High` more (score 0.4).
    #[serde(default)]
    pub sensitivity: Sensitivity,
    /// Report points whose score (0..1) is at least this. Overrides `sensitivity` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0), extend("exclusiveMinimum" = true))]
    pub score_threshold: Option<f64>,
    /// Seasonal periods of the series.
    #[serde(default)]
    pub seasonality: Seasonality,
    /// Points a series needs before anomalies are reported; until then the ModelReady condition says WarmingUp.
    #[serde(default = "default_warm_up_points")]
    #[schemars(range(min = 0, max = 100_000))]
    pub warm_up_points: i32,
    /// Which deviations count: `Up` (spikes), `Down` (drops) or `Both`.
    #[serde(default)]
    pub direction: Direction,
}

impl Default for DetectorSettings {
    fn default() -> Self {
        Self {
            algorithm: DetectorAlgorithm::default(),
            sensitivity: Sensitivity::default(),
            score_threshold: None,
            seasonality: Seasonality::default(),
            warm_up_points: default_warm_up_points(),
            direction: Direction::default(),
        }
    }
}

fn default_warm_up_points() -> i32 {
    150
}

/// Anomaly detection algorithms.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DetectorAlgorithm {
    /// Seasonal baseline, robust residual scoring and level-shift tracking, chosen per series.
    #[default]
    Auto,
}

/// Reporting sensitivity.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sensitivity {
    /// Only the clearest anomalies.
    Low,
    /// A balance of misses and false alarms.
    #[default]
    Medium,
    /// More anomalies, more false alarms.
    High,
}

impl Sensitivity {
    /// The anomaly score at or above which a point is reported.
    pub fn score_threshold(self) -> f64 {
        match self {
            Self::Low => 0.6,
            Self::Medium => 0.5,
            Self::High => 0.4,
        }
    }
}

/// Direction of deviations to report.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    /// Values above the expected band.
    Up,
    /// Values below the expected band.
    Down,
    /// Either.
    #[default]
    Both,
}

/// Observed state of an AnomalyDetector.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyDetectorStatus {
    /// Runtime health and live figures.
    #[serde(flatten)]
    pub runtime: RuntimeStatus,
    /// Series whose latest point is anomalous, over all runtime pods. AutoScalePolicies that reference this detector
    /// hold scale-down while it is above zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_anomalies: Option<i32>,
    /// The latest anomaly of the series that had one most recently (a few per runtime pod), newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["series"]))]
    pub recent_anomalies: Vec<AnomalySummary>,
}

/// One reported anomaly.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnomalySummary {
    /// The series, as its id or labels.
    #[schemars(length(max = 1024))]
    pub series: String,
    /// The runtime pod that reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub pod: Option<String>,
    /// Whether the incident is still open (its series' latest points are still anomalous).
    #[serde(default)]
    pub active: bool,
    /// When the incident began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Time>,
    /// When it ended (its last anomalous point), once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Time>,
    /// Time of the incident's peak (its most anomalous point so far).
    pub time: Time,
    /// Observed value at the peak.
    pub value: f64,
    /// Expected value at the peak.
    pub expected: f64,
    /// Anomaly score in [0, 1] at the peak.
    pub score: f64,
    /// Short explanation, e.g. "3.2x above the daily pattern".
    pub reason: String,
}

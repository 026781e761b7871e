//! Forecaster: streaming forecasts of metric series, with quantiles and self-measured accuracy.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    Duration, MetricSource, Output, RuntimeSettings, RuntimeStatus, Seasonality, compare_durations, name_rule, rule,
    with_durations,
};

/// Forecasts every series of a metric stream, updating with each point, with quantile bands and rolling accuracy.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "augur.dev",
    version = "v1alpha1",
    kind = "Forecaster",
    namespaced,
    status = "ForecasterStatus",
    derive = "PartialEq",
    shortname = "fc",
    category = "augur",
    doc = "Streaming forecasts of metric series, with uncertainty.",
    validation = name_rule(),
    printcolumn(name = "Ready", type_ = "string", json_path = r#".status.conditions[?(@.type=="Ready")].status"#),
    printcolumn(name = "Series", type_ = "integer", json_path = ".status.seriesTracked"),
    printcolumn(name = "Horizon", type_ = "string", json_path = ".spec.model.horizon"),
    printcolumn(name = "MASE", type_ = "number", json_path = ".status.accuracy.mase", description = "rolling mean absolute scaled error; below 1 beats a seasonal-naive forecast"),
    printcolumn(name = "Skill", type_ = "number", json_path = ".status.accuracy.skill", description = "rolling skill against repeating the last value; above 0 the forecast adds foresight"),
    printcolumn(name = "Coverage", type_ = "number", json_path = ".status.accuracy.coverage", priority = 1),
    printcolumn(name = "Lag", type_ = "integer", json_path = ".status.lagRecords", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ForecasterSpec {
    /// Where the metric series come from.
    pub source: MetricSource,
    /// The forecasting model. Every field has a default that works for typical load and usage metrics.
    #[serde(default)]
    pub model: ForecastModel,
    /// Where forecasts go, besides the status summary.
    #[serde(default)]
    pub output: Output,
    /// Runtime pods, resources, limits and checkpointing.
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
}

/// Forecast model settings.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = compare_durations(
    "self.horizon",
    ">",
    "self.step",
    "horizon must be longer than step: a forecast needs at least one step",
))]
#[x_kube(validation = with_durations(
    &["self.horizon", "self.step"],
    // Steps under 1s are reported by the step's own rule; getSeconds() truncates them to zero here.
    "duration(self.step) < duration('1s') || duration(self.horizon).getSeconds() <= duration(self.step).getSeconds() * 1000",
    "horizon may be at most 1000 steps",
))]
pub struct ForecastModel {
    /// `Auto` combines exponential smoothing, a Theta model and an autoregressive correction, weighted per series
    /// by recent out-of-sample error. A named model forces that model for every series.
    #[serde(default)]
    pub algorithm: ForecastAlgorithm,
    /// Seasonal periods of the series.
    #[serde(default)]
    pub seasonality: Seasonality,
    /// How far ahead to forecast.
    #[serde(default = "default_horizon")]
    pub horizon: Duration,
    /// Spacing of forecast points; input is aggregated to this step.
    #[serde(default = "default_step")]
    #[x_kube(validation = compare_durations("self", ">=", "'1s'", "step must be at least 1s"))]
    pub step: Duration,
    /// Quantiles to forecast, each strictly between 0 and 1. The median (0.5) is always produced.
    #[serde(default = "default_quantiles")]
    #[schemars(length(min = 1, max = 9), extend("x-kubernetes-list-type" = "set"))]
    #[x_kube(validation = rule(
        "self.all(q, q > 0.0 && q < 1.0)",
        "quantiles must be strictly between 0 and 1, e.g. [0.1, 0.5, 0.9]",
    ))]
    pub quantiles: Vec<f64>,
}

impl Default for ForecastModel {
    fn default() -> Self {
        Self {
            algorithm: ForecastAlgorithm::default(),
            seasonality: Seasonality::default(),
            horizon: default_horizon(),
            step: default_step(),
            quantiles: default_quantiles(),
        }
    }
}

fn default_horizon() -> Duration {
    Duration::from_secs(3600)
}

fn default_step() -> Duration {
    Duration::from_secs(300)
}

fn default_quantiles() -> Vec<f64> {
    vec![0.1, 0.5, 0.9]
}

/// Forecasting models.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ForecastAlgorithm {
    /// Per-series combination of the models below, weighted by rolling out-of-sample error.
    #[default]
    Auto,
    /// Exponential smoothing with damped trend and seasonality.
    ExponentialSmoothing,
    /// Theta method with seasonal adjustment.
    Theta,
    /// The value one season ago.
    SeasonalNaive,
}

/// Observed state of a Forecaster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecasterStatus {
    /// Runtime health and live figures.
    #[serde(flatten)]
    pub runtime: RuntimeStatus,
    /// Accuracy over all series, measured on forecasts as their actual values arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<ForecastAccuracy>,
    /// Latest forecasts of the series AutoScalePolicies use, compact and bounded; one entry per series, written by
    /// the runtime pod that forecasts it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["series"]))]
    pub forecasts: Vec<PublishedForecast>,
}

/// Rolling forecast accuracy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAccuracy {
    /// Mean absolute scaled error (below 1 beats a seasonal-naive forecast).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mase: Option<f64>,
    /// Share of actual values that fell inside the outermost quantile band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// Skill against repeating the last value, which is what reactive scaling does without a forecast:
    /// `1 − error ÷ error of the last value`, one step ahead, as actual values arrive. 0 means no better than the
    /// last value, 0.3 means errors 30% smaller; negative means worse. AutoScalePolicies gate on it
    /// (`guardrails.minForecastSkill`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<f64>,
}

/// A forecast of one series, as published for autoscaling.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishedForecast {
    /// The series id.
    #[schemars(length(max = 1024))]
    pub series: String,
    /// The runtime pod that published it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub pod: Option<String>,
    /// When the forecast was made.
    pub generated_at: Time,
    /// Time of the first point.
    pub start: Time,
    /// Spacing of points.
    pub step: Duration,
    /// The quantile of each column of `points`.
    #[schemars(length(max = 9))]
    pub quantiles: Vec<f64>,
    /// One row per step ahead; each row holds one value per quantile.
    #[schemars(length(max = 1000), inner(length(max = 9)))]
    pub points: Vec<Vec<f64>>,
    /// Row `i`: for each quantile, the quantile of the *largest* value over the first `i + 1` points (learned
    /// from the model's own errors on that maximum). Capacity planned for a window reads the window's last row: the
    /// maximum of the per-point quantiles would under-provision, since some point of a window exceeds its own
    /// quantile more often than any one point does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1000), inner(length(max = 9)))]
    pub peaks: Vec<Vec<f64>>,
    /// This series' own accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<ForecastAccuracy>,
    /// Present while the series has less history than its full model needs (one season, e.g. a day): the
    /// forecast comes from the models ready so far, and AutoScalePolicies trust it in proportion to the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_up: Option<ForecastWarmUp>,
}

/// How far a series' model is through its warm-up.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastWarmUp {
    /// Steps of history seen.
    pub points: i64,
    /// Steps of history the full model needs.
    pub needed: i64,
    /// When the full model is expected to be ready.
    pub ready_at: Time,
}

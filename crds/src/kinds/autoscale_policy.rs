//! AutoScalePolicy: forecasts turned into HPA replica floors and container requests, set ahead of the load.

use k8s_openapi::apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    Duration, ObservedConditions, matches, name_rule,
    quantity::{ordered_quantities, quantity_schema},
    rule,
    source::OBJECT_NAME_PATTERN,
};

/// Feeds a Forecaster's forecasts into a workload's HorizontalPodAutoscaler floor and container requests.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "augur.dev",
    version = "v1alpha1",
    kind = "AutoScalePolicy",
    namespaced,
    status = "AutoScalePolicyStatus",
    derive = "PartialEq",
    shortname = "asp",
    category = "augur",
    doc = "Forecast-driven replica floors and container requests for a workload.",
    validation = name_rule(),
    printcolumn(name = "Mode", type_ = "string", json_path = ".spec.mode"),
    printcolumn(name = "Target", type_ = "string", json_path = ".spec.targetRef.name"),
    printcolumn(name = "Recommended", type_ = "integer", json_path = ".status.recommendation.minReplicas"),
    printcolumn(name = "Applied", type_ = "integer", json_path = ".status.applied.minReplicas"),
    printcolumn(name = "Ready", type_ = "string", json_path = r#".status.conditions[?(@.type=="Ready")].status"#),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "has(self.replicas) || has(self.resources)",
    "set replicas, resources or both: a policy with neither has nothing to do",
))]
pub struct AutoScalePolicySpec {
    /// The workload to scale.
    pub target_ref: ScaleTargetRef,
    /// `Off` does nothing; `Recommend` computes and reports in status only; `Enforce` applies.
    #[serde(default)]
    pub mode: Mode,
    /// Replica floor from a load forecast, written to the HPA's `minReplicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<ReplicaPolicy>,
    /// Container requests from forecasts of per-pod usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcePolicy>,
    /// Limits on how fast and when the policy acts.
    #[serde(default)]
    pub guardrails: Guardrails,
}

/// A workload with replicas.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "self.apiVersion == 'apps/v1' && self.kind in ['Deployment', 'StatefulSet', 'ReplicaSet']",
    "targetRef must be an apps/v1 Deployment, StatefulSet or ReplicaSet",
))]
pub struct ScaleTargetRef {
    /// API version of the workload.
    #[serde(default = "default_apps_version")]
    #[schemars(length(max = 64))]
    pub api_version: String,
    /// Kind of the workload: Deployment, StatefulSet or ReplicaSet.
    #[schemars(length(max = 64))]
    pub kind: String,
    /// Name of the workload, in the policy's namespace.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = object_name_rule("targetRef.name"))]
    pub name: String,
}

fn default_apps_version() -> String {
    "apps/v1".to_owned()
}

/// The rule for a field holding the name of an object in the same namespace.
fn object_name_rule(field: &str) -> kube::core::Rule {
    rule(
        matches("self", OBJECT_NAME_PATTERN),
        &format!("{field} must be an object name: lowercase letters, digits, '-' and '.'"),
    )
}

/// What the policy does.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Nothing.
    Off,
    /// Compute and report in status; change nothing.
    #[default]
    Recommend,
    /// Apply the recommendation.
    Enforce,
}

/// Replica floor settings.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "self.minReplicas <= self.maxReplicas",
    "replicas.minReplicas must not be greater than replicas.maxReplicas",
))]
pub struct ReplicaPolicy {
    /// The Forecaster (same namespace) that forecasts the load.
    pub forecaster_ref: LocalRef,
    /// The series in that Forecaster holding the load, e.g. `requests_per_second{service="checkout"}`.
    #[schemars(length(min = 1, max = 1024))]
    pub series: String,
    /// Which forecast quantile to provision for; higher is safer and costlier.
    #[serde(default = "default_quantile")]
    #[x_kube(validation = quantile_rule("replicas.quantile"))]
    pub quantile: f64,
    /// Load one replica serves, in the series' unit (e.g. 150 requests per second).
    #[x_kube(validation = rule(
        "self > 0.0",
        "replicas.capacityPerReplica must be greater than 0: it is the load one replica serves",
    ))]
    pub capacity_per_replica: f64,
    /// Lowest floor the policy sets.
    #[serde(default = "default_min_replicas")]
    #[schemars(range(min = 1, max = 100_000))]
    pub min_replicas: i32,
    /// Highest floor the policy sets.
    #[schemars(range(min = 1, max = 100_000))]
    pub max_replicas: i32,
    /// How far ahead capacity must be in place: at least the time a new pod needs to become ready.
    #[serde(default = "default_lead_time")]
    pub lead_time: Duration,
}

fn default_quantile() -> f64 {
    0.9
}

fn default_min_replicas() -> i32 {
    1
}

fn default_lead_time() -> Duration {
    Duration::from_secs(120)
}

/// The rule for a field holding a quantile.
fn quantile_rule(field: &str) -> kube::core::Rule {
    rule("self > 0.0 && self < 1.0", &format!("{field} must be strictly between 0 and 1, e.g. 0.9"))
}

/// A reference to an object in the same namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LocalRef {
    /// Name of the object.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = object_name_rule("name"))]
    pub name: String,
}

/// Container request settings.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicy {
    /// How new requests reach the pods: `InPlace` resizes running pods (Kubernetes 1.33+, no restart), `Template`
    /// patches the workload's pod template (a rollout).
    #[serde(default)]
    pub update: ResourceUpdate,
    /// One entry per container to size.
    #[schemars(length(min = 1, max = 16), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["containerName"]))]
    pub containers: Vec<ContainerPolicy>,
}

/// How container requests are applied.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ResourceUpdate {
    /// Resize running pods in place.
    #[default]
    InPlace,
    /// Patch the pod template.
    Template,
}

/// Request settings for one container.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "has(self.cpu) || has(self.memory)",
    "a container entry needs cpu, memory or both",
))]
pub struct ContainerPolicy {
    /// Name of the container in the pod template.
    #[schemars(length(min = 1, max = 63))]
    pub container_name: String,
    /// The Forecaster (same namespace) that forecasts this container's per-pod usage.
    pub forecaster_ref: LocalRef,
    /// CPU request from a forecast of per-pod CPU usage (cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<ResourceForecast>,
    /// Memory request from a forecast of per-pod memory usage (bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ResourceForecast>,
}

/// A request computed as forecast quantile times (1 + headroom), bounded by min and max.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(ordered_quantities("min", "max"), "min must not be greater than max"))]
pub struct ResourceForecast {
    /// The series holding per-pod usage.
    #[schemars(length(min = 1, max = 1024))]
    pub series: String,
    /// Forecast quantile to size for.
    #[serde(default = "default_quantile")]
    #[x_kube(validation = quantile_rule("quantile"))]
    pub quantile: f64,
    /// Extra fraction added on top of the forecast, e.g. 0.15 for 15%.
    #[serde(default = "default_headroom")]
    #[schemars(range(min = 0.0, max = 10.0))]
    pub headroom: f64,
    /// Lowest request set, a quantity string such as `"100m"` or `"128Mi"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "quantity_schema")]
    pub min: Option<Quantity>,
    /// Highest request set, a quantity string such as `"2"` or `"4Gi"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "quantity_schema")]
    pub max: Option<Quantity>,
}

fn default_headroom() -> f64 {
    0.15
}

/// Limits on how fast and when the policy acts.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Guardrails {
    /// Most replicas the floor may rise in one change.
    #[serde(default = "default_max_step_up")]
    #[schemars(range(min = 1, max = 10_000))]
    pub max_step_up: i32,
    /// Most replicas the floor may fall in one change.
    #[serde(default = "default_max_step_down")]
    #[schemars(range(min = 1, max = 10_000))]
    pub max_step_down: i32,
    /// Least time between two changes.
    #[serde(default = "default_cooldown")]
    pub cooldown: Duration,
    /// How much better than repeating the latest value the forecast must be before the floor (and requests) follow
    /// it. Skill is `1 − error ÷ error of the last value` (the Forecaster's `accuracy.skill`, measured as actual
    /// values arrive): 0 is no better than what the HPA does without a forecast, 0.2 means errors 20% smaller. Below
    /// this, the floor is released to the HPA's own minReplicas and scaling is reactive only. The default, -1,
    /// releases it only when the forecast errs twice as much as the last value: the floor is sized from the
    /// forecast's own calibrated peak quantiles, which help even when its point forecast is no better than the last
    /// value, so a stricter gate costs more under-provisioning than it saves.
    #[serde(default = "default_min_forecast_skill")]
    #[schemars(range(min = -1.0, max = 1.0))]
    pub min_forecast_skill: f64,
    /// Optional second gate: when the forecast's rolling MASE (its error over that of repeating the last season)
    /// is above this, the floor is released too. Unset by default: on regular load repeating yesterday is nearly
    /// perfect, so a forecast that anticipates every rush can still score above 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0), extend("exclusiveMinimum" = true))]
    pub max_forecast_error: Option<f64>,
    /// AnomalyDetectors (same namespace) whose active anomalies hold scale-down.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub freeze_scale_down_on: Vec<LocalRef>,
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            max_step_up: default_max_step_up(),
            max_step_down: default_max_step_down(),
            cooldown: default_cooldown(),
            min_forecast_skill: default_min_forecast_skill(),
            max_forecast_error: None,
            freeze_scale_down_on: Vec::new(),
        }
    }
}

fn default_max_step_up() -> i32 {
    10
}

fn default_max_step_down() -> i32 {
    2
}

fn default_cooldown() -> Duration {
    Duration::from_secs(180)
}

fn default_min_forecast_skill() -> f64 {
    -1.0
}

/// Observed state of an AutoScalePolicy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalePolicyStatus {
    /// Generation and conditions (Ready, Degraded).
    #[serde(flatten)]
    pub observed: ObservedConditions,
    /// What the policy would set now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Recommendation>,
    /// What the policy last applied (Enforce mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<Recommendation>,
    /// Why the latest recommendation was not applied, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<Blocked>,
}

/// A replica floor and container requests, with when they were computed or applied.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// The HPA floor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    /// Forecast load the floor provisions for: the policy's quantile of the largest load until new pods are ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast_load: Option<f64>,
    /// Skill of the load forecast against repeating the last value (the Forecaster's `accuracy.skill`): above 0 it
    /// adds foresight to what the HPA does alone; below `guardrails.minForecastSkill` the floor is released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast_skill: Option<f64>,
    /// Container requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub containers: Vec<ContainerRequests>,
    /// When.
    pub time: Time,
}

/// Requests for one container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRequests {
    /// Container name.
    pub container_name: String,
    /// CPU request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

/// A recommendation held back, and why.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Blocked {
    /// Machine-readable reason, e.g. `Cooldown`, `LowForecastAccuracy`, `AnomalyActive`, `ModelNotReady`.
    pub reason: String,
    /// Explanation for people.
    pub message: String,
    /// Since when.
    pub since: Time,
}

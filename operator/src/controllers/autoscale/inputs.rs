//! Reading what a policy refers to, from the controller's stores ([`Stores`]): the forecasts of its series from the
//! Forecasters' status, the HPA that targets its workload, the AnomalyDetectors that freeze scale-down, and the
//! workload's replicas and pod template; and (when requests are resized in place) the workload's pods, from the API.
//! Only reads; a missing object is an input (no forecast, no HPA), not an error.

use std::collections::{BTreeMap, HashMap};

use augur_autoscale::ForecastView;
use augur_crds::{
    AutoScalePolicy, Forecaster,
    kinds::autoscale_policy::{Mode, ResourceUpdate, ScaleTargetRef},
};
use k8s_openapi::api::{
    autoscaling::v2::HorizontalPodAutoscaler,
    core::v1::{Pod, PodTemplateSpec},
};
use kube::{
    Api, Client, ResourceExt,
    api::{ApiResource, DynamicObject, GroupVersionKind, ListParams},
};

use super::{
    originals::Requests,
    stores::{Stores, active_anomalies, model_ready},
};

/// A read failed (transient: retried with backoff).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {what}: {error}")]
pub struct ReadError {
    /// What was being read.
    pub what: String,
    /// The API error.
    pub error: kube::Error,
}

/// The HPA that targets the workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpaTarget {
    /// Its name.
    pub name: String,
    /// Its current `minReplicas` (1 when unset, the API default).
    pub min_replicas: i32,
    /// The replicas it reports running now (`status.currentReplicas`), when it has a status.
    pub current_replicas: Option<i32>,
}

/// The workload's pod template, as far as requests go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Workload {
    /// Requests of each container of the pod template.
    pub containers: BTreeMap<String, Requests>,
    /// Label selector of its pods (`matchLabels`, as `k=v,k=v`).
    pub selector: Option<String>,
}

/// One running pod's requests.
#[derive(Clone, Debug, PartialEq)]
pub struct PodRequests {
    /// The pod's name.
    pub name: String,
    /// Requests of each container.
    pub containers: BTreeMap<String, Requests>,
}

/// Everything a decision is made from.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Forecasts by (Forecaster name, series), with the Forecaster's `ModelReady` applied.
    pub forecasts: HashMap<(String, String), ForecastView>,
    /// The HPA that targets the workload.
    pub hpa: Option<HpaTarget>,
    /// The first referenced AnomalyDetector with an active anomaly.
    pub freeze: Option<String>,
    /// The workload's replicas from its scale subresource, read when no HPA targets it.
    pub scale_replicas: Option<i32>,
    /// The workload, read when the policy sizes requests.
    pub workload: Option<Workload>,
    /// The workload's pods, read when requests are applied in place.
    pub pods: Vec<PodRequests>,
}

impl Inputs {
    /// The forecast of `series` from Forecaster `forecaster`.
    pub fn forecast(&self, forecaster: &str, series: &str) -> Option<&ForecastView> {
        self.forecasts.get(&(forecaster.to_owned(), series.to_owned()))
    }
}

fn read_error(what: impl Into<String>) -> impl FnOnce(kube::Error) -> ReadError {
    let what = what.into();
    move |error| ReadError { what, error }
}

/// The API of the policy's target workload kind.
pub fn workload_api(client: &Client, namespace: &str, target: &ScaleTargetRef) -> Api<DynamicObject> {
    let (group, version) = target.api_version.split_once('/').unwrap_or(("", target.api_version.as_str()));
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, &target.kind));
    Api::namespaced_with(client.clone(), namespace, &resource)
}

/// Reads every input of `policy` from `stores`; only the pods of a workload sized in place are listed (there is
/// no store of pods: they are the most numerous objects of a cluster, and only `InPlace` policies read them).
pub async fn read(stores: &Stores, client: &Client, policy: &AutoScalePolicy) -> Result<Inputs, ReadError> {
    let namespace = policy.namespace().unwrap_or_default();
    let spec = &policy.spec;
    let mut inputs = Inputs::default();

    // (forecaster, series) pairs in order of appearance; each Forecaster is read once.
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    if let Some(replicas) = &spec.replicas {
        wanted.push((&replicas.forecaster_ref.name, &replicas.series));
    }
    for container in spec.resources.iter().flat_map(|r| &r.containers) {
        for forecast in container.cpu.iter().chain(&container.memory) {
            wanted.push((&container.forecaster_ref.name, &forecast.series));
        }
    }
    let mut read_forecasters: HashMap<&str, Option<Forecaster>> = HashMap::new();
    for (name, series) in wanted {
        let forecaster = read_forecasters.entry(name).or_insert_with(|| stores.forecaster(&namespace, name));
        if let Some(view) = forecaster.as_ref().and_then(|f| forecast_of(f, series)) {
            inputs.forecasts.insert((name.to_owned(), series.to_owned()), view);
        }
    }

    if spec.replicas.is_some() {
        inputs.hpa = hpa_targeting(&stores.hpas_in(&namespace), &spec.target_ref);
    }
    inputs.freeze = spec
        .guardrails
        .freeze_scale_down_on
        .iter()
        .find(|reference| stores.detector(&namespace, &reference.name).is_some_and(|d| active_anomalies(&d) > 0))
        .map(|reference| reference.name.clone());

    let target = stores.workload(&namespace, &spec.target_ref.kind, &spec.target_ref.name);
    if spec.replicas.is_some() && inputs.hpa.is_none() {
        inputs.scale_replicas = target.as_ref().map(|(replicas, _)| *replicas);
    }
    if let Some(resources) = &spec.resources {
        inputs.workload = target.map(|(_, workload)| workload);
        let in_place = resources.update == ResourceUpdate::InPlace && spec.mode == Mode::Enforce;
        if let (true, Some(selector)) = (in_place, inputs.workload.as_ref().and_then(|w| w.selector.clone())) {
            inputs.pods = pods(client, &namespace, &selector).await?;
        }
    }
    Ok(inputs)
}

/// The running pods matching `selector`, with their requests.
pub async fn pods(client: &Client, namespace: &str, selector: &str) -> Result<Vec<PodRequests>, ReadError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let listed = api
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(read_error(format!("pods {selector} in {namespace}")))?;
    Ok(listed
        .items
        .iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .map(|pod| PodRequests {
            name: pod.name_any(),
            containers: pod
                .spec
                .iter()
                .flat_map(|s| &s.containers)
                .map(|c| {
                    let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
                    let get = |key: &str| requests.and_then(|r| r.get(key).cloned());
                    (c.name.clone(), Requests { cpu: get("cpu"), memory: get("memory") })
                })
                .collect(),
        })
        .collect())
}

/// The published forecast of `series` in `forecaster`'s status, marked not ready when its `ModelReady` is False.
pub fn forecast_of(forecaster: &Forecaster, series: &str) -> Option<ForecastView> {
    let status = forecaster.status.as_ref()?;
    let published = status.forecasts.iter().find(|f| f.series == series)?;
    let mut view = ForecastView::from(published);
    view.model_ready = model_ready(forecaster);
    Some(view)
}

/// The HPA whose `scaleTargetRef` is `target` (the first by name when several are, which the HPA controller itself
/// refuses to act on).
pub fn hpa_targeting(hpas: &[HorizontalPodAutoscaler], target: &ScaleTargetRef) -> Option<HpaTarget> {
    let group = |api_version: &str| api_version.split_once('/').map_or("", |(g, _)| g).to_owned();
    let mut matching: Vec<HpaTarget> = hpas
        .iter()
        .filter_map(|hpa| {
            let spec = hpa.spec.as_ref()?;
            let reference = &spec.scale_target_ref;
            let same_group = reference.api_version.as_deref().is_none_or(|v| group(v) == group(&target.api_version));
            (reference.kind == target.kind && reference.name == target.name && same_group).then(|| HpaTarget {
                name: hpa.name_any(),
                min_replicas: spec.min_replicas.unwrap_or(1),
                current_replicas: hpa.status.as_ref().and_then(|s| s.current_replicas),
            })
        })
        .collect();
    matching.sort_by(|a, b| a.name.cmp(&b.name));
    matching.into_iter().next()
}

impl Workload {
    /// The workload whose pods `match_labels` selects and run `template`.
    pub fn of(match_labels: Option<&BTreeMap<String, String>>, template: Option<&PodTemplateSpec>) -> Self {
        let selector = match_labels
            .filter(|labels| !labels.is_empty())
            .map(|labels| labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","));
        let containers = template.and_then(|t| t.spec.as_ref()).map(|s| s.containers.as_slice()).unwrap_or_default();
        let containers = containers
            .iter()
            .map(|c| {
                let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
                let get = |key: &str| requests.and_then(|r| r.get(key).cloned());
                (c.name.clone(), Requests { cpu: get("cpu"), memory: get("memory") })
            })
            .collect();
        Self { containers, selector }
    }
}

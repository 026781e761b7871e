//! The AutoScalePolicy controller's inputs, watched once and kept in reflector stores, so a reconcile reads memory
//! instead of asking the API server: the Forecasters' published forecasts, the AnomalyDetectors' active anomalies,
//! the HPAs, and the workloads (Deployments, StatefulSets, ReplicaSets) policies may target.
//!
//! HPAs and workloads are the users' objects and carry no label of ours, and a policy may name any of them, so
//! their watches cannot be narrowed by label to what Augur manages. They are kept bounded instead:
//! - each object is reduced on arrival to what a policy reads ([`reduce`]: an HPA's target and `minReplicas`, a
//!   workload's replicas, selector and container requests; no status, no `managedFields`, no annotations), a few
//!   hundred bytes whatever the object's size;
//! - a change wakes the policies that use the object only when that reduced form changes ([`triggers`]), so the
//!   status updates the controller manager makes all the time cost a decode and nothing more;
//! - ReplicaSets that a Deployment made (ten per Deployment by default, labelled `pod-template-hash`) are left out
//!   by a label selector: a policy targets the Deployment, not its ReplicaSets.
//!
//! A metadata-only watch would be smaller still, but a policy needs the replicas and requests, and reading those
//! with a GET per reconcile is what the stores replace.

use std::pin::Pin;

use augur_crds::{AnomalyDetector, Forecaster, common::condition_type};
use futures::{Stream, StreamExt};
use k8s_openapi::api::{
    apps::v1::{Deployment, ReplicaSet, StatefulSet},
    autoscaling::v2::HorizontalPodAutoscaler,
    core::v1::{Container, PodSpec, PodTemplateSpec, ResourceRequirements},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::{
    Api, Client, Resource,
    core::DeserializeGuard,
    runtime::{
        WatchStreamExt,
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use serde::{Serialize, de::DeserializeOwned};

use super::inputs::Workload;
use crate::controllers::{
    slim::slim,
    triggers::{self, New, hash_of},
};

/// A stream of changed objects of kind `K`.
pub type Changes<K> = Pin<Box<dyn Stream<Item = Result<K, watcher::Error>> + Send>>;

/// Where a reconcile reads its inputs.
#[derive(Clone)]
pub struct Stores {
    /// Forecasters (status: forecasts and conditions).
    pub forecasters: Store<DeserializeGuard<Forecaster>>,
    /// AnomalyDetectors (status: active anomalies).
    pub detectors: Store<DeserializeGuard<AnomalyDetector>>,
    /// HPAs (target and `minReplicas`).
    pub hpas: Store<HorizontalPodAutoscaler>,
    /// Deployments (replicas, selector, requests).
    pub deployments: Store<Deployment>,
    /// StatefulSets (replicas, selector, requests).
    pub stateful_sets: Store<StatefulSet>,
    /// ReplicaSets not made by a Deployment (replicas, selector, requests).
    pub replica_sets: Store<ReplicaSet>,
}

/// The changes of each input, for the controller to map to the policies that use them.
pub struct Inputs {
    /// Forecasters whose forecasts or `ModelReady` changed.
    pub forecasters: Changes<DeserializeGuard<Forecaster>>,
    /// AnomalyDetectors that started or stopped having an active anomaly.
    pub detectors: Changes<DeserializeGuard<AnomalyDetector>>,
    /// HPAs whose target or `minReplicas` changed.
    pub hpas: Changes<HorizontalPodAutoscaler>,
    /// Deployments whose replicas, selector or requests changed.
    pub deployments: Changes<Deployment>,
    /// StatefulSets whose replicas, selector or requests changed.
    pub stateful_sets: Changes<StatefulSet>,
    /// ReplicaSets whose replicas, selector or requests changed.
    pub replica_sets: Changes<ReplicaSet>,
}

/// The label every ReplicaSet a Deployment makes carries.
const MADE_BY_A_DEPLOYMENT: &str = "pod-template-hash";

/// A watch of `api` (within `config`), each object reduced by `reduce` before it is stored; passes on the objects
/// whose `summary` changed.
fn watch<K>(api: Api<K>, config: watcher::Config, reduce: fn(&mut K), summary: fn(&K) -> u64) -> (Store<K>, Changes<K>)
where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + DeserializeOwned + Send + Sync + 'static,
{
    let (store, writer) = reflector::store();
    let events = watcher(api, config).default_backoff().modify(reduce).reflect(writer);
    (store, triggers::on_change(events, summary, New::Trigger).boxed())
}

/// The hash of `value`'s JSON (for objects whose fields do not all implement `Hash`).
fn json_hash(value: &impl Serialize) -> u64 {
    hash_of(&serde_json::to_string(value).unwrap_or_default())
}

/// Starts the watches (they run as the returned streams are polled).
pub fn watch_all(client: &Client) -> (Stores, Inputs) {
    let all = watcher::Config::default;
    let (forecasters, forecaster_changes) = watch(Api::all(client.clone()), all(), reduce::forecaster, |f| {
        json_hash(&f.0.as_ref().ok().map(|f| (f.status.as_ref().map(|s| &s.forecasts), model_ready(f))))
    });
    let (detectors, detector_changes) = watch(Api::all(client.clone()), all(), reduce::detector, |d| {
        hash_of(&d.0.as_ref().ok().map(|d| active_anomalies(d) > 0))
    });
    let (hpas, hpa_changes) = watch(Api::all(client.clone()), all(), reduce::hpa, |h| json_hash(&h.spec));
    let (deployments, deployment_changes) =
        watch(Api::all(client.clone()), all(), reduce::deployment, |d| json_hash(&d.spec));
    let (stateful_sets, stateful_set_changes) =
        watch(Api::all(client.clone()), all(), reduce::stateful_set, |s| json_hash(&s.spec));
    let bare = watcher::Config::default().labels(&format!("!{MADE_BY_A_DEPLOYMENT}"));
    let (replica_sets, replica_set_changes) =
        watch(Api::all(client.clone()), bare, reduce::replica_set, |r| json_hash(&r.spec));
    let stores = Stores { forecasters, detectors, hpas, deployments, stateful_sets, replica_sets };
    let inputs = Inputs {
        forecasters: forecaster_changes,
        detectors: detector_changes,
        hpas: hpa_changes,
        deployments: deployment_changes,
        stateful_sets: stateful_set_changes,
        replica_sets: replica_set_changes,
    };
    (stores, inputs)
}

/// Whether the Forecaster's models are ready (`ModelReady` not False).
pub fn model_ready(forecaster: &Forecaster) -> bool {
    let status = forecaster.status.as_ref();
    let condition = status.and_then(|s| s.runtime.observed.condition(condition_type::MODEL_READY));
    condition.is_none_or(|c| c.status != "False")
}

/// Series of the AnomalyDetector now in an anomaly.
pub fn active_anomalies(detector: &AnomalyDetector) -> i32 {
    detector.status.as_ref().and_then(|s| s.active_anomalies).unwrap_or(0)
}

impl Stores {
    /// The Forecaster `namespace/name`, if it exists and is readable.
    pub fn forecaster(&self, namespace: &str, name: &str) -> Option<Forecaster> {
        let guard = self.forecasters.get(&ObjectRef::new(name).within(namespace))?;
        guard.0.as_ref().ok().cloned()
    }

    /// The AnomalyDetector `namespace/name`, if it exists and is readable.
    pub fn detector(&self, namespace: &str, name: &str) -> Option<AnomalyDetector> {
        let guard = self.detectors.get(&ObjectRef::new(name).within(namespace))?;
        guard.0.as_ref().ok().cloned()
    }

    /// The HPAs of `namespace`.
    pub fn hpas_in(&self, namespace: &str) -> Vec<HorizontalPodAutoscaler> {
        let in_namespace = |hpa: &HorizontalPodAutoscaler| hpa.metadata.namespace.as_deref() == Some(namespace);
        self.hpas.state_filter(in_namespace).iter().map(|hpa| hpa.as_ref().clone()).collect()
    }

    /// Workload `kind/name` in `namespace` (apps/v1 kinds only): its `spec.replicas` (1 when unset, the API
    /// default; what its scale subresource reports), selector and pod template.
    pub fn workload(&self, namespace: &str, kind: &str, name: &str) -> Option<(i32, Workload)> {
        let of = |replicas: Option<i32>, selector: &LabelSelector, template: Option<&PodTemplateSpec>| {
            (replicas.unwrap_or(1), Workload::of(selector.match_labels.as_ref(), template))
        };
        match kind {
            "Deployment" => self.deployments.get(&ObjectRef::new(name).within(namespace)).and_then(|d| {
                let spec = d.spec.as_ref()?;
                Some(of(spec.replicas, &spec.selector, Some(&spec.template)))
            }),
            "StatefulSet" => self.stateful_sets.get(&ObjectRef::new(name).within(namespace)).and_then(|s| {
                let spec = s.spec.as_ref()?;
                Some(of(spec.replicas, &spec.selector, Some(&spec.template)))
            }),
            "ReplicaSet" => self.replica_sets.get(&ObjectRef::new(name).within(namespace)).and_then(|r| {
                let spec = r.spec.as_ref()?;
                Some(of(spec.replicas, &spec.selector, spec.template.as_ref()))
            }),
            _ => None,
        }
    }
}

/// Reducing each object, before it is stored, to what a policy reads.
pub mod reduce {
    use super::*;

    /// A Forecaster: its status's forecasts and conditions (not its pods' entries).
    pub fn forecaster(guard: &mut DeserializeGuard<Forecaster>) {
        slim(guard);
        if let Ok(forecaster) = &mut guard.0
            && let Some(status) = &mut forecaster.status
        {
            status.runtime.pods.clear();
        }
    }

    /// An AnomalyDetector: its number of active anomalies, nothing else of its status.
    pub fn detector(guard: &mut DeserializeGuard<AnomalyDetector>) {
        slim(guard);
        if let Ok(detector) = &mut guard.0 {
            let active = active_anomalies(detector);
            detector.status = Some(augur_crds::kinds::anomaly_detector::AnomalyDetectorStatus {
                active_anomalies: Some(active),
                ..Default::default()
            });
        }
    }

    /// An HPA: its target and `minReplicas`.
    pub fn hpa(hpa: &mut HorizontalPodAutoscaler) {
        slim(hpa);
        hpa.metadata.annotations = None;
        hpa.metadata.labels = None;
        hpa.status = None;
        if let Some(spec) = &mut hpa.spec {
            spec.metrics = None;
            spec.behavior = None;
        }
    }

    /// A pod template: container names and requests.
    fn template(template: &mut PodTemplateSpec) {
        let containers = template.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
        let containers = containers
            .iter()
            .map(|c| Container {
                name: c.name.clone(),
                resources: c
                    .resources
                    .as_ref()
                    .map(|r| ResourceRequirements { requests: r.requests.clone(), ..ResourceRequirements::default() }),
                ..Container::default()
            })
            .collect();
        *template = PodTemplateSpec { metadata: None, spec: Some(PodSpec { containers, ..PodSpec::default() }) };
    }

    /// Metadata a policy does not read.
    fn metadata<K: kube::ResourceExt>(object: &mut K) {
        slim(object);
        object.meta_mut().annotations = None;
        object.meta_mut().labels = None;
        object.meta_mut().owner_references = None;
    }

    /// A Deployment: replicas, selector, container requests.
    pub fn deployment(deployment: &mut Deployment) {
        metadata(deployment);
        deployment.status = None;
        if let Some(spec) = &mut deployment.spec {
            template(&mut spec.template);
            spec.strategy = None;
        }
    }

    /// A StatefulSet: replicas, selector, container requests.
    pub fn stateful_set(stateful_set: &mut StatefulSet) {
        metadata(stateful_set);
        stateful_set.status = None;
        if let Some(spec) = &mut stateful_set.spec {
            template(&mut spec.template);
            spec.volume_claim_templates = None;
            spec.update_strategy = None;
        }
    }

    /// A ReplicaSet: replicas, selector, container requests.
    pub fn replica_set(replica_set: &mut ReplicaSet) {
        metadata(replica_set);
        replica_set.status = None;
        if let Some(template_spec) = replica_set.spec.as_mut().and_then(|s| s.template.as_mut()) {
            template(template_spec);
        }
    }
}

/// Stores holding `objects` (JSON of any input kind), each reduced as the watches reduce it, for tests.
#[cfg(test)]
pub fn of_objects(objects: &[serde_json::Value]) -> Stores {
    fn fill<K>(objects: &[serde_json::Value], kind: &str, reduce: fn(&mut K)) -> Store<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned,
    {
        let mut writer = reflector::store::Writer::<K>::default();
        for object in objects.iter().filter(|o| o["kind"] == kind) {
            let mut object: K = serde_json::from_value(object.clone()).unwrap_or_else(|e| panic!("{kind}: {e}"));
            reduce(&mut object);
            writer.apply_watcher_event(&watcher::Event::Apply(object));
        }
        writer.as_reader()
    }
    Stores {
        forecasters: fill(objects, "Forecaster", reduce::forecaster),
        detectors: fill(objects, "AnomalyDetector", reduce::detector),
        hpas: fill(objects, "HorizontalPodAutoscaler", reduce::hpa),
        deployments: fill(objects, "Deployment", reduce::deployment),
        stateful_sets: fill(objects, "StatefulSet", reduce::stateful_set),
        replica_sets: fill(objects, "ReplicaSet", reduce::replica_set),
    }
}

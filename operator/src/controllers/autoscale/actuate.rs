//! Writing a decision to other owners' objects, each time only the fields the policy sets, under
//! [`SCALER_MANAGER`] with `force` (the policy takes those fields over; the owner keeps the
//! rest):
//! - an HPA's `spec.minReplicas` (server-side apply);
//! - a workload's `spec.replicas` through its scale subresource, when no HPA targets it (server-side apply);
//! - container requests in the pod template (`update: Template`, server-side apply: a rollout);
//! - container requests of running pods through the `resize` subresource (`update: InPlace`, Kubernetes 1.33+: no
//!   restart), as a strategic merge patch keyed by container name, the form the subresource documents.

use std::collections::BTreeMap;

use augur_crds::kinds::autoscale_policy::ScaleTargetRef;
use k8s_openapi::api::{autoscaling::v2::HorizontalPodAutoscaler, core::v1::Pod};
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
};
use serde_json::{Map, Value, json};

use super::{SCALER_MANAGER, inputs::workload_api, originals::Requests};

/// A write failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot {what}: {error}")]
pub struct ActuateError {
    /// What was being written.
    pub what: String,
    /// The API error.
    pub error: kube::Error,
}

impl ActuateError {
    /// Whether the API server refused the content (422 Invalid, 403 Forbidden for a resize the node cannot do):
    /// retrying the same write will not help.
    pub fn is_refused(&self) -> bool {
        matches!(&self.error, kube::Error::Api(status) if status.code == 422 || status.code == 403)
    }

    /// Whether the object is gone, or going with its namespace: a namespace being deleted refuses every write
    /// (403, "is being terminated"), and everything in it goes anyway, so there is nothing left to put back.
    pub fn is_gone(&self) -> bool {
        matches!(&self.error, kube::Error::Api(status)
            if status.is_not_found() || (status.code == 403 && status.message.contains("is being terminated")))
    }
}

fn apply() -> PatchParams {
    PatchParams::apply(SCALER_MANAGER).force()
}

/// The server-side apply body that sets only `spec.minReplicas` of HPA `namespace/name`.
pub fn hpa_floor_body(namespace: &str, name: &str, min_replicas: i32) -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"minReplicas": min_replicas},
    })
}

/// Sets the `minReplicas` of HPA `namespace/name`.
pub async fn set_hpa_floor(
    client: &Client,
    namespace: &str,
    name: &str,
    min_replicas: i32,
) -> Result<(), ActuateError> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), namespace);
    api.patch(name, &apply(), &Patch::Apply(hpa_floor_body(namespace, name, min_replicas))).await.map(|_| ()).map_err(
        |error| ActuateError { what: format!("set minReplicas of HPA {namespace}/{name} to {min_replicas}"), error },
    )
}

/// Sets the replicas of the target workload through its scale subresource.
pub async fn set_scale(
    client: &Client,
    namespace: &str,
    target: &ScaleTargetRef,
    replicas: i32,
) -> Result<(), ActuateError> {
    let body = json!({
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": target.name, "namespace": namespace},
        "spec": {"replicas": replicas},
    });
    workload_api(client, namespace, target)
        .patch_scale(&target.name, &apply(), &Patch::Apply(&body))
        .await
        .map(|_| ())
        .map_err(|error| ActuateError {
            what: format!("scale {} {namespace}/{} to {replicas}", target.kind, target.name),
            error,
        })
}

/// `{"cpu": .., "memory": ..}` of the requests that are set.
fn requests_json(requests: &Requests) -> Value {
    let mut map = Map::new();
    if let Some(cpu) = &requests.cpu {
        map.insert("cpu".into(), json!(cpu.0));
    }
    if let Some(memory) = &requests.memory {
        map.insert("memory".into(), json!(memory.0));
    }
    Value::Object(map)
}

/// Container entries setting only `resources.requests` (no requests at all: only the name, which releases them).
fn containers_json(containers: &BTreeMap<String, Requests>) -> Vec<Value> {
    containers
        .iter()
        .map(|(name, requests)| {
            let requests = requests_json(requests);
            if requests.as_object().is_some_and(Map::is_empty) {
                json!({"name": name})
            } else {
                json!({"name": name, "resources": {"requests": requests}})
            }
        })
        .collect()
}

/// Sets container requests in the target workload's pod template (a rollout).
pub async fn set_template_requests(
    client: &Client,
    namespace: &str,
    target: &ScaleTargetRef,
    containers: &BTreeMap<String, Requests>,
) -> Result<(), ActuateError> {
    let body = json!({
        "apiVersion": target.api_version,
        "kind": target.kind,
        "metadata": {"name": target.name, "namespace": namespace},
        "spec": {"template": {"spec": {"containers": containers_json(containers)}}},
    });
    workload_api(client, namespace, target)
        .patch(&target.name, &apply(), &Patch::Apply(&body))
        .await
        .map(|_| ())
        .map_err(|error| ActuateError {
            what: format!("set requests in the pod template of {} {namespace}/{}", target.kind, target.name),
            error,
        })
}

/// Resizes the containers of a running pod in place.
pub async fn resize_pod(
    client: &Client,
    namespace: &str,
    pod: &str,
    containers: &BTreeMap<String, Requests>,
) -> Result<(), ActuateError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let patch = json!({"spec": {"containers": containers_json(containers)}});
    let params = PatchParams { field_manager: Some(SCALER_MANAGER.into()), ..PatchParams::default() };
    api.patch_subresource("resize", pod, &params, &Patch::Strategic(patch))
        .await
        .map(|_| ())
        .map_err(|error| ActuateError { what: format!("resize pod {namespace}/{pod}"), error })
}

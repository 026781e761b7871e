//! What the policy changed, and the values before: recorded on the policy in the annotation [`ANNOTATION`] (JSON)
//! before the first change, read back to restore them when the policy is deleted or stops enforcing.
//!
//! An annotation rather than a status field: status must be reproducible from observation, and the original values
//! cannot be observed again once overwritten. The annotation is written by server-side apply under the scaler's field
//! manager, which owns nothing else on the policy, so clearing it is applying without it.

use std::collections::BTreeMap;

use augur_crds::AutoScalePolicy;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::SCALER_MANAGER;

/// The annotation holding the original values.
pub const ANNOTATION: &str = "autoscale.augur.dev/originals";

/// Values the policy overwrote.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Originals {
    /// The HPA whose `minReplicas` the policy set, and its value before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa: Option<HpaOriginal>,
    /// The workload's replicas before the policy set them through the scale subresource (no HPA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Pod template requests before the policy patched them (`update: Template`), by container.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub template_requests: BTreeMap<String, Requests>,
    /// Whether running pods were resized (`update: InPlace`); restoring resizes them back to the template.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resized_pods: bool,
}

/// An HPA's floor before the policy changed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaOriginal {
    /// The HPA's name.
    pub name: String,
    /// Its `minReplicas`.
    pub min_replicas: i32,
}

/// CPU and memory requests of one container (absent: not set).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requests {
    /// CPU request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

impl Originals {
    /// The originals recorded on `policy`; an unreadable annotation (edited by hand) counts as none, with a warning.
    pub fn of(policy: &AutoScalePolicy) -> Self {
        let Some(text) = policy.annotations().get(ANNOTATION) else { return Self::default() };
        serde_json::from_str(text).unwrap_or_else(|error| {
            tracing::warn!(policy = %policy.name_any(), error = %error, "unreadable {ANNOTATION} annotation; ignored");
            Self::default()
        })
    }

    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// The HPA's own `minReplicas`: the recorded original when the policy changed this HPA, else `live`.
    pub fn hpa_min_replicas(&self, hpa: &str, live: i32) -> i32 {
        self.hpa.as_ref().filter(|h| h.name == hpa).map_or(live, |h| h.min_replicas)
    }
}

/// Records `originals` on the policy (or clears the annotation when they are empty).
pub async fn record(client: &Client, policy: &AutoScalePolicy, originals: &Originals) -> Result<(), kube::Error> {
    let name = policy.name_any();
    let api: Api<AutoScalePolicy> = Api::namespaced(client.clone(), &policy.namespace().unwrap_or_default());
    let mut metadata = json!({"name": name});
    if !originals.is_empty() {
        let text = serde_json::to_string(originals).unwrap_or_default();
        metadata["annotations"] = json!({ ANNOTATION: text });
    }
    let body = json!({
        "apiVersion": format!("{}/{}", augur_crds::GROUP, augur_crds::VERSION),
        "kind": "AutoScalePolicy",
        "metadata": metadata,
    });
    api.patch(&name, &PatchParams::apply(SCALER_MANAGER).force(), &Patch::Apply(&body)).await.map(|_| ())
}

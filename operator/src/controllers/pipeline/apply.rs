//! Applying built children with server-side apply: one field manager per controller, `force` so the operator owns
//! what it declares, no read-modify-write. Dependencies first, the Deployment last.

use k8s_openapi::api::apps::v1::Deployment;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use serde::{Serialize, de::DeserializeOwned};

use super::Children;

/// Children as the API server stored them; status is computed from these, never from what was merely built.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The runtime Deployment, with its status.
    pub deployment: Deployment,
}

/// Why applying failed (transient: retried with backoff).
#[derive(Debug, thiserror::Error)]
#[error("cannot apply {kind} {name}: {error}")]
pub struct ApplyError {
    /// Kind of the child.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// The API error.
    pub error: kube::Error,
}

async fn apply_one<K>(client: &Client, object: &K, manager: &str) -> Result<K, ApplyError>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Serialize
        + DeserializeOwned
        + std::fmt::Debug,
{
    let namespace = object.namespace().unwrap_or_default();
    let name = object.name_any();
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    let params = PatchParams::apply(manager).force();
    api.patch(&name, &params, &Patch::Apply(object)).await.map_err(|error| ApplyError {
        kind: std::any::type_name::<K>().rsplit("::").next().unwrap_or("object"),
        name,
        error,
    })
}

/// Applies every child under `manager`.
pub async fn apply(client: &Client, children: &Children, manager: &str) -> Result<Applied, ApplyError> {
    apply_one(client, &children.service_account, manager).await?;
    apply_one(client, &children.role, manager).await?;
    apply_one(client, &children.role_binding, manager).await?;
    apply_one(client, &children.config_map, manager).await?;
    apply_one(client, &children.service, manager).await?;
    let deployment = apply_one(client, &children.deployment, manager).await?;
    Ok(Applied { deployment })
}

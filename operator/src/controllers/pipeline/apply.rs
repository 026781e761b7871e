//! Applying built children with server-side apply: one field manager per controller, `force` so the operator owns
//! what it declares, no read-modify-write. Dependencies first (together), the Deployment last.

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

/// Deletes objects of kind `K` that carry this resource's labels but are not among `keep`.
async fn remove_orphans<K>(client: &Client, namespace: &str, selector: &str, keep: &[&str]) -> Result<(), ApplyError>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let kind = std::any::type_name::<K>().rsplit("::").next().unwrap_or("object");
    // Names only, from the API server's watch cache (`resourceVersion=0`): a leftover listed a moment late is found
    // at the next look; the listing costs the server no etcd read.
    let params = kube::api::ListParams::default().labels(selector).match_any();
    let listed =
        api.list_metadata(&params).await.map_err(|error| ApplyError { kind, name: selector.to_owned(), error })?;
    for orphan in listed.items.iter().map(ResourceExt::name_any).filter(|name| !keep.contains(&name.as_str())) {
        tracing::info!(kind, name = %orphan, "removing orphaned child");
        match api.delete(&orphan, &kube::api::DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.is_not_found() => {}
            Err(error) => return Err(ApplyError { kind, name: orphan, error }),
        }
    }
    Ok(())
}

/// Removes children of a previous build that the current one no longer names (found by the stable labels).
pub async fn remove_orphaned_children(client: &Client, children: &Children) -> Result<(), ApplyError> {
    let namespace = children.deployment.namespace().unwrap_or_default();
    let labels = children.deployment.labels();
    let selector: String =
        ["app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/component"]
            .iter()
            .filter_map(|key| labels.get(*key).map(|value| format!("{key}={value}")))
            .collect::<Vec<_>>()
            .join(",");
    let name = children.deployment.name_any();
    let config = children.config_map.name_any();
    remove_orphans::<k8s_openapi::api::core::v1::ServiceAccount>(client, &namespace, &selector, &[&name]).await?;
    remove_orphans::<k8s_openapi::api::rbac::v1::Role>(client, &namespace, &selector, &[&name]).await?;
    remove_orphans::<k8s_openapi::api::rbac::v1::RoleBinding>(client, &namespace, &selector, &[&name]).await?;
    remove_orphans::<k8s_openapi::api::core::v1::ConfigMap>(client, &namespace, &selector, &[&config]).await?;
    remove_orphans::<k8s_openapi::api::core::v1::Service>(client, &namespace, &selector, &[&name]).await?;
    remove_orphans::<Deployment>(client, &namespace, &selector, &[&name]).await
}

/// Applies every child under `manager`: the Deployment's dependencies at once (the Role before its RoleBinding,
/// which RBAC checks against it), then the Deployment, so a reconcile waits for three answers rather than six.
pub async fn apply(client: &Client, children: &Children, manager: &str) -> Result<Applied, ApplyError> {
    let rbac = async {
        apply_one(client, &children.role, manager).await?;
        apply_one(client, &children.role_binding, manager).await
    };
    futures::try_join!(
        apply_one(client, &children.service_account, manager),
        rbac,
        apply_one(client, &children.config_map, manager),
        apply_one(client, &children.service, manager),
    )?;
    let deployment = apply_one(client, &children.deployment, manager).await?;
    Ok(Applied { deployment })
}

//! The watch loop of one streaming kind: reconcile on changes of the resource or of the children it owns, back off
//! per object on transient failures, wait for a change after an invalid spec, and survive malformed objects.

use std::{fmt::Debug, sync::Arc, time::Duration};

use augur_crds::AugurResource;
use futures::StreamExt;
use k8s_openapi::api::{apps::v1::Deployment, core::v1::ConfigMap};
use kube::{
    Api, Resource, ResourceExt,
    core::DeserializeGuard,
    runtime::{Controller, controller::Action, watcher},
};
use serde::de::DeserializeOwned;

use super::{Context, Outcome, ReconcileError, reconcile};

/// Re-check healthy resources at least this often (status drift, missed events).
const RESYNC: Duration = Duration::from_secs(300);

/// Why one reconciliation failed, for the controller's error policy.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// The reconciler failed.
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
}

fn key<K: Resource>(object: &K) -> String {
    format!("{}/{}", object.namespace().unwrap_or_default(), object.name_any())
}

/// Runs the controller of kind `K` until `shutdown` resolves.
pub async fn run<K>(context: Context, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static)
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static + Into<AugurResource>,
{
    let client = context.client.clone();
    let resources: Api<DeserializeGuard<K>> = Api::all(client.clone());
    let context = Arc::new(context);
    Controller::new(resources, watcher::Config::default())
        .owns(Api::<Deployment>::all(client.clone()), watcher::Config::default())
        .owns(Api::<ConfigMap>::all(client), watcher::Config::default())
        .graceful_shutdown_on(shutdown)
        .run(reconcile_guarded::<K>, error_policy::<K>, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(error = %error, "reconcile loop");
            }
        })
        .await;
}

async fn reconcile_guarded<K>(guard: Arc<DeserializeGuard<K>>, context: Arc<Context>) -> Result<Action, ControllerError>
where
    K: Resource<DynamicType = ()> + Clone + Into<AugurResource>,
{
    let resource = match &guard.0 {
        Ok(resource) => resource,
        Err(invalid) => {
            // The schema should make this impossible; if an object slips through, say so and wait for a fix.
            tracing::warn!(
                name = invalid.metadata.name.as_deref().unwrap_or_default(),
                namespace = invalid.metadata.namespace.as_deref().unwrap_or_default(),
                error = %invalid.error,
                "cannot read the object; waiting for it to change"
            );
            return Ok(Action::await_change());
        }
    };
    let object_key = key(resource);
    let kind = K::kind(&());
    tracing::debug!(kind = kind.as_ref(), object = %object_key, "reconcile");
    let started = std::time::Instant::now();
    let result = reconcile(&resource.clone().into(), &context).await;
    let outcome = match &result {
        Ok(Outcome::Applied) => "applied",
        Ok(Outcome::InvalidSpec(_)) => "invalid_spec",
        Err(error) => error.category(),
    };
    context.metrics.record(&kind, outcome, started.elapsed().as_secs_f64());
    match result? {
        Outcome::Applied => {
            context.backoff.lock().unwrap_or_else(|e| e.into_inner()).succeeded(&object_key);
            Ok(Action::requeue(RESYNC))
        }
        Outcome::InvalidSpec(message) => {
            tracing::info!(reason = "InvalidSpec", message, "waiting for a spec change");
            Ok(Action::await_change())
        }
    }
}

fn error_policy<K>(guard: Arc<DeserializeGuard<K>>, error: &ControllerError, context: Arc<Context>) -> Action
where
    K: Resource<DynamicType = ()> + Clone + Into<AugurResource> + Send + Sync + 'static,
{
    let object_key = match &guard.0 {
        Ok(resource) => key(resource),
        Err(invalid) => format!(
            "{}/{}",
            invalid.metadata.namespace.as_deref().unwrap_or_default(),
            invalid.metadata.name.as_deref().unwrap_or_default()
        ),
    };
    let ControllerError::Reconcile(inner) = error;
    let delay = context.backoff.lock().unwrap_or_else(|e| e.into_inner()).failed(&object_key);
    tracing::warn!(object = %object_key, category = inner.category(), error = %error, retry_in_s = delay.as_secs(), "reconcile failed");
    if let Ok(resource) = &guard.0 {
        // The error policy is synchronous; the Warning Event goes out on its own task.
        super::reconcile::warn_in_background(&context, K::clone(resource).into(), inner.category(), error.to_string());
    }
    Action::requeue(delay)
}

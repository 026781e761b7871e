//! The watch loop of one streaming kind: reconcile on changes of the resource or of the children it owns, back off
//! per object on transient failures, wait for a change after an invalid spec, and survive malformed objects.
//!
//! What it watches, and what wakes a reconcile ([`triggers`]):
//! - the resources of its kind, cluster-wide, kept in a reflector store: a reconcile when the spec changes
//!   (`generation`) or the problems the runtime pods report in `status.pods[]` do, not when the pods refresh their
//!   figures every 30 s, nor when the operator writes the status;
//! - its Deployments, selected by label (`app.kubernetes.io/managed-by=augur-operator` and the kind's component),
//!   never anyone else's: a reconcile when the rollout the status reports changes ([`Rollout`]) or one is deleted;
//! - its ConfigMaps, by the same labels and metadata only (the body is the operator's own rendering): a reconcile
//!   when one is deleted or someone else edits it.
//!
//! A new child does not wake its resource: the reconcile that made it already reported it. At most `CONCURRENCY`
//! reconciles of a kind run at once, so a burst of new resources costs a bounded number of connections and buffers.

use std::{fmt::Debug, sync::Arc, time::Duration};

use augur_crds::{AugurResource, common::RuntimeStatus};
use futures::StreamExt;
use k8s_openapi::api::{apps::v1::Deployment, core::v1::ConfigMap};
use kube::{
    Api, Resource, ResourceExt,
    core::{DeserializeGuard, PartialObjectMeta},
    runtime::{
        Controller, WatchStreamExt,
        controller::{self, Action},
        reflector, watcher,
    },
};
use serde::de::DeserializeOwned;

use super::{Context, Outcome, PipelineKind, ReconcileError, reconcile, status::Rollout};
use crate::{
    controllers::{
        slim::slim,
        triggers::{self, New, hash_of},
    },
    labels,
};

/// Re-check healthy resources at least this often: children the operator does not watch (Service, ServiceAccount,
/// Role, RoleBinding) are put back if someone changed them, and missed events cannot stall a resource for longer.
const RESYNC: Duration = Duration::from_secs(30 * 60);
/// Reconciles of one kind in flight at once. On a real API server with two shared cores, 64 did not help: 500 new
/// resources took 38.9 s at 64 against 27.1 s at 16 (noisy; the server's CPU, not this bound, is the limit there).
const CONCURRENCY: u16 = 16;

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

/// A kind whose status has the part the runtime and the operator share.
pub trait Streaming {
    /// That part of the status.
    fn runtime(&self) -> Option<&RuntimeStatus>;
}

macro_rules! streaming {
    ($($kind:ident),*) => {$(
        impl Streaming for augur_crds::$kind {
            fn runtime(&self) -> Option<&RuntimeStatus> {
                self.status.as_ref().map(|s| &s.runtime)
            }
        }
    )*};
}

streaming!(AnomalyDetector, Forecaster, LogClusterer);

/// The shared part of a streaming resource's status.
pub fn runtime_status(resource: &AugurResource) -> Option<&RuntimeStatus> {
    match resource {
        AugurResource::AnomalyDetector(r) => r.runtime(),
        AugurResource::Forecaster(r) => r.runtime(),
        AugurResource::LogClusterer(r) => r.runtime(),
        AugurResource::AutoScalePolicy(_) => None,
    }
}

/// What of a resource its reconcile depends on: the generation, and the problems its runtime pods report.
fn resource_summary<K: Resource + Streaming>(guard: &DeserializeGuard<K>) -> u64 {
    let Ok(resource) = &guard.0 else { return hash_of(&guard.meta().generation) };
    let problems: Vec<(&str, Vec<(&str, &str)>)> = resource
        .runtime()
        .iter()
        .flat_map(|runtime| &runtime.pods)
        .filter(|pod| !pod.problems.is_empty())
        .map(|pod| (pod.name.as_str(), pod.problems.iter().map(|p| (p.reason.as_str(), p.message.as_str())).collect()))
        .collect();
    hash_of(&(resource.meta().generation, problems))
}

/// What of a ConfigMap (metadata only) could need a reconcile: the writes of anyone but `manager` (the operator's
/// own writes come from a reconcile, which knows what it wrote).
fn config_map_summary(manager: String) -> impl Fn(&PartialObjectMeta<ConfigMap>) -> u64 {
    move |config_map| {
        let others: Vec<(&str, Option<String>)> = config_map
            .managed_fields()
            .iter()
            .filter(|entry| entry.manager.as_deref() != Some(manager.as_str()))
            .map(|entry| (entry.manager.as_deref().unwrap_or_default(), entry.time.as_ref().map(|t| t.0.to_string())))
            .collect();
        hash_of(&others)
    }
}

/// Runs the controller of kind `K` until `shutdown` resolves.
pub async fn run<K>(context: Context, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static)
where
    K: Resource<DynamicType = ()>
        + Streaming
        + Clone
        + Debug
        + DeserializeOwned
        + Send
        + Sync
        + 'static
        + Into<AugurResource>,
{
    let Some(kind) = PipelineKind::of_kind(&K::kind(&())) else {
        tracing::error!(kind = %K::kind(&()), "not a streaming kind");
        return;
    };
    let client = context.client.clone();
    let children = watcher::Config::default().labels(&labels::managed_selector(kind.component()));
    let (store, writer) = reflector::store();
    let resources = triggers::on_change(
        watcher(Api::<DeserializeGuard<K>>::all(client.clone()), watcher::Config::default())
            .default_backoff()
            .modify(slim)
            .reflect(writer),
        resource_summary::<K>,
        New::Trigger,
    );
    let deployments = triggers::on_change(
        watcher(Api::<Deployment>::all(client.clone()), children.clone()).default_backoff(),
        |deployment: &Deployment| hash_of(&Rollout::of_child(deployment)),
        New::Ignore,
    );
    let config_maps = triggers::on_change(
        watcher(Api::<PartialObjectMeta<ConfigMap>>::all(client), children).default_backoff(),
        config_map_summary(super::field_manager(&K::kind(&()))),
        New::Ignore,
    );
    let context = Arc::new(context);
    Controller::for_stream(resources, store)
        .owns_stream(deployments)
        .owns_stream(config_maps)
        .with_config(controller::Config::default().concurrency(CONCURRENCY))
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
    let resource: AugurResource = resource.clone().into();
    let result = reconcile(&resource, &context).await;
    let outcome = match &result {
        Ok(Outcome::Applied) => "applied",
        Ok(Outcome::InvalidSpec(_)) => "invalid_spec",
        Err(error) => error.category(),
    };
    context.metrics.record(&kind, outcome, started.elapsed().as_secs_f64());
    match result? {
        Outcome::Applied => {
            context.backoff.lock().unwrap_or_else(|e| e.into_inner()).succeeded(&object_key);
            // A pod's problem stops counting once its entry is stale, which no watch event announces.
            let pods = runtime_status(&resource).map(|r| r.pods.as_slice()).unwrap_or_default();
            let stale_in = super::status::problems_turn_stale_in(pods, &(context.clock)());
            Ok(Action::requeue(stale_in.map_or(RESYNC, |d| d.min(RESYNC))))
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

#[cfg(test)]
mod tests {
    use augur_crds::AnomalyDetector;
    use serde_json::json;

    use super::*;

    fn detector(generation: i64, pods: serde_json::Value) -> DeserializeGuard<AnomalyDetector> {
        let object = json!({
            "apiVersion": "augur.dev/v1alpha1", "kind": "AnomalyDetector",
            "metadata": {"name": "d", "namespace": "n", "generation": generation},
            "spec": {"source": {"kafka": {"bootstrapServers": ["k:9092"], "topic": "t"}}},
            "status": {"observedGeneration": 1, "conditions": [], "pods": pods},
        });
        serde_json::from_value(object).unwrap_or_else(|e| panic!("{e}"))
    }

    fn pod(updated: &str, records: i64, problems: serde_json::Value) -> serde_json::Value {
        json!({"name": "d-ad-0", "updated": updated, "records": records, "problems": problems})
    }

    #[test]
    fn a_runtime_pod_refreshing_its_figures_does_not_wake_the_resource() {
        let before = detector(1, json!([pod("2027-01-15T08:00:00Z", 10, json!([]))]));
        let refreshed = detector(1, json!([pod("2027-01-15T08:00:30Z", 99, json!([]))]));
        assert_eq!(resource_summary(&before), resource_summary(&refreshed));
    }

    #[test]
    fn a_spec_change_or_a_new_pod_problem_wakes_the_resource() {
        let before = detector(1, json!([pod("2027-01-15T08:00:00Z", 10, json!([]))]));
        let problem = json!([{"reason": "SinkUnavailable", "message": "topic out unreachable"}]);
        assert_ne!(resource_summary(&before), resource_summary(&detector(2, json!([]))));
        assert_ne!(
            resource_summary(&before),
            resource_summary(&detector(1, json!([pod("2027-01-15T08:00:30Z", 11, problem)])))
        );
    }
}

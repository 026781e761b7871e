//! The AutoScalePolicy watch loop: reconcile when a policy's spec changes, when what it reads of a Forecaster or
//! AnomalyDetector it refers to changes (a new forecast, an anomaly starting or ending), when the HPA or workload it
//! targets changes in what a policy reads ([`stores`]), and at least every
//! [`REEVALUATE`](super::reconcile::REEVALUATE) because forecasts age. Back off per policy on transient failures;
//! survive malformed objects.

use std::{sync::Arc, time::Duration};

use augur_crds::AutoScalePolicy;
use futures::StreamExt;
use kube::{
    Api, Resource, ResourceExt,
    core::DeserializeGuard,
    runtime::{
        Controller, WatchStreamExt,
        controller::Action,
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};

use super::{
    reconcile::{AutoscaleError, reconcile},
    stores::{self, Stores},
};
use crate::controllers::{
    pipeline::Context,
    slim::slim,
    triggers::{self, New, hash_of},
};

type Guarded = DeserializeGuard<AutoScalePolicy>;

/// The policies in `store` of `namespace` that `refers` selects.
fn policies_where(
    store: &Store<Guarded>,
    namespace: Option<String>,
    refers: impl Fn(&AutoScalePolicy) -> bool,
) -> Vec<ObjectRef<Guarded>> {
    let Some(namespace) = namespace else { return Vec::new() };
    store
        .state()
        .iter()
        .filter_map(|guard| guard.0.as_ref().ok())
        .filter(|policy| policy.namespace().as_deref() == Some(namespace.as_str()) && refers(policy))
        .map(|policy| ObjectRef::new(&policy.name_any()).within(&namespace))
        .collect()
}

/// Whether `policy` reads forecasts from Forecaster `name`.
pub fn uses_forecaster(policy: &AutoScalePolicy, name: &str) -> bool {
    policy.spec.replicas.as_ref().is_some_and(|r| r.forecaster_ref.name == name)
        || policy.spec.resources.iter().flat_map(|r| &r.containers).any(|c| c.forecaster_ref.name == name)
}

/// Whether `policy` freezes scale-down on AnomalyDetector `name`.
pub fn uses_detector(policy: &AutoScalePolicy, name: &str) -> bool {
    policy.spec.guardrails.freeze_scale_down_on.iter().any(|r| r.name == name)
}

/// Whether `policy` targets workload `kind/name`.
pub fn targets(policy: &AutoScalePolicy, kind: &str, name: &str) -> bool {
    policy.spec.target_ref.kind == kind && policy.spec.target_ref.name == name
}

/// What a reconcile needs: the shared context and the stores of the inputs.
pub struct Scaler {
    /// Client, clock, metrics, Events.
    pub context: Context,
    /// The inputs.
    pub stores: Stores,
}

/// What of a policy needs a reconcile: its spec (`generation`, which deletion also moves) and its finalizers
/// (the first reconcile adds the finalizer, and waits for that change to come back). Its status and the originals
/// annotation are the reconcile's own writes.
fn policy_summary(guard: &Guarded) -> u64 {
    let meta = guard.meta();
    hash_of(&(meta.generation, &meta.finalizers, meta.deletion_timestamp.is_some()))
}

/// Runs the controller until `shutdown` resolves.
pub async fn run(context: Context, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let client = context.client.clone();
    let (policies, writer) = reflector::store();
    let policy_changes = triggers::on_change(
        watcher(Api::<Guarded>::all(client.clone()), watcher::Config::default())
            .default_backoff()
            .modify(slim)
            .reflect(writer),
        policy_summary,
        New::Trigger,
    );
    let (stores, inputs) = stores::watch_all(&client);
    let [forecasters, detectors, hpas, deployments, stateful_sets, replica_sets] = [(); 6].map(|()| policies.clone());
    let scaler = Arc::new(Scaler { context, stores });
    Controller::for_stream(policy_changes, policies)
        .watches_stream(inputs.forecasters, move |f| {
            let name = f.name_any();
            policies_where(&forecasters, f.namespace(), |p| uses_forecaster(p, &name))
        })
        .watches_stream(inputs.detectors, move |d| {
            let name = d.name_any();
            policies_where(&detectors, d.namespace(), |p| uses_detector(p, &name))
        })
        .watches_stream(inputs.hpas, move |hpa| {
            let target = hpa.spec.as_ref().map(|s| s.scale_target_ref.clone());
            policies_where(&hpas, hpa.namespace(), |p| target.as_ref().is_some_and(|t| targets(p, &t.kind, &t.name)))
        })
        .watches_stream(inputs.deployments, move |workload| {
            let name = workload.name_any();
            policies_where(&deployments, workload.namespace(), |p| targets(p, "Deployment", &name))
        })
        .watches_stream(inputs.stateful_sets, move |workload| {
            let name = workload.name_any();
            policies_where(&stateful_sets, workload.namespace(), |p| targets(p, "StatefulSet", &name))
        })
        .watches_stream(inputs.replica_sets, move |workload| {
            let name = workload.name_any();
            policies_where(&replica_sets, workload.namespace(), |p| targets(p, "ReplicaSet", &name))
        })
        .graceful_shutdown_on(shutdown)
        .run(reconcile_guarded, error_policy, scaler)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(error = %error, "autoscale reconcile loop");
            }
        })
        .await;
}

fn key(guard: &Guarded) -> String {
    match &guard.0 {
        Ok(policy) => format!("{}/{}", policy.namespace().unwrap_or_default(), policy.name_any()),
        Err(invalid) => format!(
            "{}/{}",
            invalid.metadata.namespace.as_deref().unwrap_or_default(),
            invalid.metadata.name.as_deref().unwrap_or_default()
        ),
    }
}

async fn reconcile_guarded(guard: Arc<Guarded>, scaler: Arc<Scaler>) -> Result<Action, AutoscaleError> {
    let context = &scaler.context;
    let policy = match &guard.0 {
        Ok(policy) => policy,
        Err(invalid) => {
            tracing::warn!(policy = %key(&guard), error = %invalid.error, "cannot read the AutoScalePolicy; waiting for it to change");
            return Ok(Action::await_change());
        }
    };
    let object_key = key(&guard);
    tracing::debug!(policy = %object_key, "reconcile");
    let started = std::time::Instant::now();
    let result = reconcile(Arc::new(policy.clone()), context, &scaler.stores).await;
    let outcome = match &result {
        Ok(_) => "applied",
        Err(error) => error.category(),
    };
    context.metrics.record("AutoScalePolicy", outcome, started.elapsed().as_secs_f64());
    let action = result?;
    context.backoff.lock().unwrap_or_else(|e| e.into_inner()).succeeded(&object_key);
    Ok(action)
}

fn error_policy(guard: Arc<Guarded>, error: &AutoscaleError, scaler: Arc<Scaler>) -> Action {
    let context = &scaler.context;
    let object_key = key(&guard);
    let delay: Duration = context.backoff.lock().unwrap_or_else(|e| e.into_inner()).failed(&object_key);
    tracing::warn!(policy = %object_key, category = error.category(), error = %error, retry_in_s = delay.as_secs(), "reconcile failed");
    if let Ok(policy) = &guard.0 {
        crate::controllers::pipeline::reconcile::warn_in_background(
            context,
            policy.clone().into(),
            error.category(),
            error.to_string(),
        );
    }
    Action::requeue(delay)
}

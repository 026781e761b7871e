//! One reconciliation of a streaming resource: validate, build, apply, then patch the status. An invalid spec is
//! reported on the Ready condition and waits for a change; an API failure is returned for a retry with backoff.

use std::sync::Arc;

use augur_crds::{
    AugurResource,
    common::{ObservedConditions, RuntimePod},
};
use k8s_openapi::{api::core::v1::ObjectReference, apimachinery::pkg::apis::meta::v1::Time};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams},
    runtime::events::{Event, EventType, Recorder},
};
use serde::Serialize;
use serde_json::json;

use super::{
    apply::{ApplyError, apply, remove_orphaned_children},
    build::{BuildError, build},
    status,
    validate::validate,
};
use crate::config::OperatorConfig;

/// What a reconciler needs: a client, the operator's settings and a clock (injected, so tests control time).
#[derive(Clone)]
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Operator-wide settings.
    pub operator: OperatorConfig,
    /// Now.
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
    /// Per-object retry delays after transient failures.
    pub backoff: Arc<std::sync::Mutex<crate::controllers::backoff::Backoff>>,
    /// Reconcile counts and durations.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Publishes Events on the resources (none in tests that assert the exact API calls).
    pub events: Option<Recorder>,
}

/// A reference to `resource` for Events.
pub fn object_reference(resource: &AugurResource) -> ObjectReference {
    match resource {
        AugurResource::AnomalyDetector(r) => r.object_ref(&()),
        AugurResource::Forecaster(r) => r.object_ref(&()),
        AugurResource::LogClusterer(r) => r.object_ref(&()),
        AugurResource::AutoScalePolicy(r) => r.object_ref(&()),
    }
}

/// Publishes an Event about `resource`; failures are logged, never fatal (Events are best effort).
pub async fn publish(context: &Context, resource: &AugurResource, type_: EventType, reason: &str, note: String) {
    let Some(recorder) = &context.events else { return };
    let event =
        Event { type_, reason: reason.to_owned(), note: Some(note), action: "Reconcile".into(), secondary: None };
    if let Err(error) = recorder.publish(&event, &object_reference(resource)).await {
        tracing::debug!(error = %error, "could not publish an Event");
    }
}

/// Publishes a Warning Event about `resource` on its own task (for synchronous error policies).
pub fn warn_in_background(context: &Context, resource: AugurResource, reason: &'static str, note: String) {
    let context = context.clone();
    tokio::spawn(async move { publish(&context, &resource, EventType::Warning, reason, note).await });
}

/// How a reconciliation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Children applied and status written.
    Applied,
    /// The spec cannot be built; status says why; nothing to do until it changes.
    InvalidSpec(String),
}

/// A failure worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// A child could not be applied.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The RuntimeConfig could not be serialised.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The status could not be written.
    #[error("cannot write the status of {0}: {1}")]
    Status(String, kube::Error),
}

impl ReconcileError {
    /// The bounded reason used on Warning Events and metrics.
    pub fn category(&self) -> &'static str {
        match self {
            Self::Apply(_) => "ApplyFailed",
            Self::Build(_) => "BuildFailed",
            Self::Status(..) => "StatusFailed",
        }
    }
}

/// The field manager of a kind's controller, e.g. `augur-anomalydetector`.
pub fn field_manager(kind: &str) -> String {
    format!("augur-{}", kind.to_ascii_lowercase())
}

/// Generation, the conditions currently in the status of `resource`, and its runtime pods' entries.
fn observed(resource: &AugurResource) -> (Option<i64>, ObservedConditions, Vec<RuntimePod>) {
    let (meta, runtime) = match resource {
        AugurResource::AnomalyDetector(r) => (&r.metadata, r.status.as_ref().map(|s| &s.runtime)),
        AugurResource::Forecaster(r) => (&r.metadata, r.status.as_ref().map(|s| &s.runtime)),
        AugurResource::LogClusterer(r) => (&r.metadata, r.status.as_ref().map(|s| &s.runtime)),
        AugurResource::AutoScalePolicy(r) => {
            return (
                r.metadata.generation,
                r.status.as_ref().map(|s| s.observed.clone()).unwrap_or_default(),
                Vec::new(),
            );
        }
    };
    let conditions = runtime.map(|r| r.observed.clone()).unwrap_or_default();
    (meta.generation, conditions, runtime.map(|r| r.pods.clone()).unwrap_or_default())
}

fn name_and_namespace(resource: &AugurResource) -> (String, String) {
    match resource {
        AugurResource::AnomalyDetector(r) => (r.name_any(), r.namespace().unwrap_or_default()),
        AugurResource::Forecaster(r) => (r.name_any(), r.namespace().unwrap_or_default()),
        AugurResource::LogClusterer(r) => (r.name_any(), r.namespace().unwrap_or_default()),
        AugurResource::AutoScalePolicy(r) => (r.name_any(), r.namespace().unwrap_or_default()),
    }
}

/// Server-side applies `status` to the status subresource under `manager`.
async fn patch_status(
    client: &Client,
    resource: &AugurResource,
    manager: &str,
    status: &impl Serialize,
) -> Result<(), ReconcileError> {
    let (name, namespace) = name_and_namespace(resource);
    let kind = resource.kind();
    let api_resource = ApiResource::from_gvk(&GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, kind));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &namespace, &api_resource);
    let patch = json!({
        "apiVersion": format!("{}/{}", augur_crds::GROUP, augur_crds::VERSION),
        "kind": kind,
        "metadata": {"name": name},
        "status": status,
    });
    api.patch_status(&name, &PatchParams::apply(manager).force(), &Patch::Apply(&patch))
        .await
        .map(|_| ())
        .map_err(|e| ReconcileError::Status(format!("{kind} {namespace}/{name}"), e))
}

/// Reconciles one streaming resource.
pub async fn reconcile(resource: &AugurResource, context: &Context) -> Result<Outcome, ReconcileError> {
    let manager = field_manager(resource.kind());
    let (generation, previous, pods) = observed(resource);
    let now = (context.clock)();
    let validated = match validate(resource, &context.operator) {
        Ok(validated) => validated,
        Err(error) => {
            let message = error.to_string();
            patch_status(
                &context.client,
                resource,
                &manager,
                &status::invalid(message.clone(), &previous, generation, now),
            )
            .await?;
            return Ok(Outcome::InvalidSpec(message));
        }
    };
    let children = build(&validated, &context.operator)?;
    let applied = apply(&context.client, &children, &manager).await?;
    remove_orphaned_children(&context.client, &children).await?;
    let status = status::from_applied(&validated, &applied, &previous, &pods, generation, now);
    patch_status(&context.client, resource, &manager, &status).await?;
    let ready = status.observed.condition(augur_crds::common::condition_type::READY);
    let was = previous.condition(augur_crds::common::condition_type::READY);
    if let Some(ready) = ready.filter(|r| was.is_none_or(|w| w.status != r.status || w.reason != r.reason)) {
        publish(context, resource, EventType::Normal, &ready.reason, ready.message.clone()).await;
    }
    Ok(Outcome::Applied)
}

//! One reconciliation of a streaming resource: validate, build, apply, then patch the status. An invalid spec is
//! reported on the Ready condition and waits for a change; an API failure is returned for a retry with backoff.

use std::sync::Arc;

use augur_crds::{AugurResource, common::RuntimeStatus};
use k8s_openapi::{
    api::core::v1::ObjectReference,
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time},
};
use kube::{
    Api, Client, Resource,
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
    /// Resources whose orphans this process has looked for.
    pub orphans_checked: Arc<OrphansChecked>,
}

impl Context {
    /// A context on `client` with `operator`'s settings, the wall clock, fresh metrics and no Events.
    pub fn new(client: Client, operator: OperatorConfig) -> Self {
        Self {
            client,
            operator,
            clock: Arc::new(|| Time(k8s_openapi::jiff::Timestamp::now())),
            backoff: Arc::default(),
            metrics: Arc::default(),
            events: None,
            orphans_checked: Arc::default(),
        }
    }
}

/// The UIDs of resources whose orphaned children were looked for. Children are named after their resource alone, so
/// orphans come only from an earlier operator version naming them differently: looking once per resource and process
/// is enough. Bounded: when full it starts over, which costs one more look per resource.
#[derive(Debug, Default)]
pub struct OrphansChecked(std::sync::Mutex<std::collections::HashSet<String>>);

/// Resources remembered before [`OrphansChecked`] starts over.
const ORPHANS_CHECKED_MAX: usize = 10_000;

impl OrphansChecked {
    /// Records `uid`; whether it was new.
    pub fn first_time(&self, uid: &str) -> bool {
        let mut checked = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if checked.len() >= ORPHANS_CHECKED_MAX {
            checked.clear();
        }
        checked.insert(uid.to_owned())
    }
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

/// Whether `runtime` (the status as it is) already shows everything in `status` (what the operator would write).
fn shows(runtime: &RuntimeStatus, status: &status::OperatorStatus) -> bool {
    runtime.observed.observed_generation == status.observed.observed_generation
        && runtime.replicas == Some(status.replicas)
        && runtime.ready_replicas == Some(status.ready_replicas)
        && status.observed.conditions.iter().all(|c| runtime.observed.condition(&c.type_) == Some(c))
}

/// The metadata of `resource`.
pub fn metadata(resource: &AugurResource) -> &ObjectMeta {
    match resource {
        AugurResource::AnomalyDetector(r) => &r.metadata,
        AugurResource::Forecaster(r) => &r.metadata,
        AugurResource::LogClusterer(r) => &r.metadata,
        AugurResource::AutoScalePolicy(r) => &r.metadata,
    }
}

fn name_and_namespace(resource: &AugurResource) -> (String, String) {
    let meta = metadata(resource);
    (meta.name.clone().unwrap_or_default(), meta.namespace.clone().unwrap_or_default())
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
    let generation = metadata(resource).generation;
    let none = RuntimeStatus::default();
    let runtime = super::controller::runtime_status(resource).unwrap_or(&none);
    let previous = &runtime.observed;
    let now = (context.clock)();
    let validated = match validate(resource, &context.operator) {
        Ok(validated) => validated,
        Err(error) => {
            let message = error.to_string();
            patch_status(
                &context.client,
                resource,
                &manager,
                &status::invalid(message.clone(), previous, generation, now),
            )
            .await?;
            return Ok(Outcome::InvalidSpec(message));
        }
    };
    let children = build(&validated, &context.operator)?;
    let applied = apply(&context.client, &children, &manager).await?;
    // A resource the operator never reported on was never built before, so it can have no orphans.
    let reported = previous.observed_generation.is_some();
    if reported && context.orphans_checked.first_time(metadata(resource).uid.as_deref().unwrap_or_default()) {
        remove_orphaned_children(&context.client, &children).await?;
    }
    let status = status::from_applied(&validated, &applied, previous, &runtime.pods, generation, now);
    if !shows(runtime, &status) {
        patch_status(&context.client, resource, &manager, &status).await?;
    }
    let ready = status.observed.condition(augur_crds::common::condition_type::READY);
    let was = previous.condition(augur_crds::common::condition_type::READY);
    if let Some(ready) = ready.filter(|r| was.is_none_or(|w| w.status != r.status || w.reason != r.reason)) {
        // On its own task: an Event is best effort, and the reconcile (holding one of the kind's slots) need not
        // wait for it.
        let (context, resource, ready) = (context.clone(), resource.clone(), ready.clone());
        tokio::spawn(
            async move { publish(&context, &resource, EventType::Normal, &ready.reason, ready.message).await },
        );
    }
    Ok(Outcome::Applied)
}

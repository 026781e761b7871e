//! One reconciliation of an AutoScalePolicy, inside the finalizer [`FINALIZER`]:
//! - apply: (`Off`/`Recommend`: restore anything an earlier `Enforce` changed) → read inputs → decide → (`Enforce`:
//!   record originals, then actuate) → status → Events and metrics;
//! - cleanup (the policy is being deleted): restore what it changed; the finalizer is removed only after that
//!   succeeded, so a failed restore is retried and the policy stays until it works.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use augur_autoscale::ResourceDecision;
use augur_crds::{
    AutoScalePolicy,
    kinds::autoscale_policy::{ContainerRequests, Mode, ResourceUpdate},
};
use kube::{
    Api, ResourceExt,
    runtime::{
        controller::Action,
        events::EventType,
        finalizer::{Event as Finalizer, finalizer},
    },
};

use super::{
    FINALIZER,
    actuate::{self, ActuateError},
    decide::{FloorTarget, Held, Plan, decide, millis},
    inputs::{self, Inputs, ReadError},
    originals::{self, HpaOriginal, Originals, Requests},
    status::{self, InForce},
    stores::Stores,
};
use crate::controllers::pipeline::{Context, reconcile::publish};

/// Re-evaluate at least this often: forecasts age and move on even when no object changes.
pub const REEVALUATE: Duration = Duration::from_secs(60);

/// Event reasons (and actuation metric labels).
pub mod action {
    /// The floor went up.
    pub const FLOOR_RAISED: &str = "FloorRaised";
    /// The floor went down.
    pub const FLOOR_LOWERED: &str = "FloorLowered";
    /// The forecast could not be used: the floor went back to the HPA's own.
    pub const RELEASED: &str = "Released";
    /// Pod template requests changed.
    pub const REQUESTS_UPDATED: &str = "RequestsUpdated";
    /// Running pods were resized.
    pub const PODS_RESIZED: &str = "PodsResized";
    /// What the policy changed was put back.
    pub const RESTORED: &str = "Restored";
}

/// Reason in `status.blocked` when the API server refused a resize (limits, node capacity, feature off).
pub const RESIZE_REFUSED: &str = "ResizeRefused";

/// A failure worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum AutoscaleError {
    /// An input could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A change could not be written.
    #[error(transparent)]
    Actuate(#[from] ActuateError),
    /// The original values could not be recorded on the policy.
    #[error("cannot record the original values on the policy: {0}")]
    Record(kube::Error),
    /// The status could not be written.
    #[error("cannot write the status: {0}")]
    Status(kube::Error),
    /// The finalizer could not be added or removed.
    #[error("finalizer: {0}")]
    Finalizer(String),
}

impl AutoscaleError {
    /// The bounded reason used on Warning Events and metrics.
    pub fn category(&self) -> &'static str {
        match self {
            Self::Read(_) => "ReadFailed",
            Self::Actuate(_) => "ActuateFailed",
            Self::Record(_) => "RecordFailed",
            Self::Status(_) => "StatusFailed",
            Self::Finalizer(_) => "FinalizerFailed",
        }
    }
}

/// Reconciles one policy, reading its inputs from `stores`.
pub async fn reconcile(
    policy: Arc<AutoScalePolicy>,
    context: &Context,
    stores: &Stores,
) -> Result<Action, AutoscaleError> {
    let api: Api<AutoScalePolicy> = Api::namespaced(context.client.clone(), &policy.namespace().unwrap_or_default());
    finalizer(&api, FINALIZER, policy, |event| async move {
        match event {
            Finalizer::Apply(policy) => apply(&policy, context, stores).await,
            Finalizer::Cleanup(policy) => cleanup(&policy, context, stores).await,
        }
    })
    .await
    .map_err(|error| match error {
        kube::runtime::finalizer::Error::ApplyFailed(inner) | kube::runtime::finalizer::Error::CleanupFailed(inner) => {
            inner
        }
        other => AutoscaleError::Finalizer(other.to_string()),
    })
}

async fn event(context: &Context, policy: &AutoScalePolicy, type_: EventType, reason: &str, note: String) {
    publish(context, &policy.clone().into(), type_, reason, note).await;
}

async fn apply(policy: &AutoScalePolicy, context: &Context, stores: &Stores) -> Result<Action, AutoscaleError> {
    let now = (context.clock)();
    let (namespace, name) = (policy.namespace().unwrap_or_default(), policy.name_any());
    let mut originals = Originals::of(policy);
    if policy.spec.mode != Mode::Enforce && !originals.is_empty() {
        restore(context, stores, policy, &originals).await?;
        originals = Originals::default();
        originals::record(&context.client, policy, &originals).await.map_err(AutoscaleError::Record)?;
    }
    if policy.spec.mode == Mode::Off {
        write_status(context, policy, status::build(policy, None, None, None, &now)).await?;
        context.metrics.set_floor(&namespace, &name, None);
        return Ok(Action::requeue(REEVALUATE));
    }
    let inputs = inputs::read(stores, &context.client, policy).await?;
    let plan = decide(policy, &inputs, &originals, millis(&now));
    let (in_force, refused) = match policy.spec.mode {
        Mode::Enforce => {
            let (in_force, refused) = enforce(context, policy, &plan, &inputs, originals).await?;
            (Some(in_force), refused)
        }
        Mode::Off | Mode::Recommend => (None, None),
    };
    let held = refused.or_else(|| plan.held.clone());
    write_status(context, policy, status::build(policy, Some(&plan), in_force.as_ref(), held.as_ref(), &now)).await?;
    context.metrics.set_floor(&namespace, &name, plan.replicas.as_ref().map(|r| r.decision.floor));
    context.metrics.set_blocked(&namespace, &name, held.as_ref().map(|h| h.reason.as_str()));
    let running = inputs.hpa.as_ref().map_or(inputs.scale_replicas, |hpa| hpa.current_replicas);
    context.metrics.set_target_replicas(&namespace, &name, running);
    Ok(Action::requeue(REEVALUATE))
}

/// Writes `status` unless the policy already shows exactly it (times only move with values, so an unchanged
/// evaluation costs no write).
async fn write_status(
    context: &Context,
    policy: &AutoScalePolicy,
    status: augur_crds::kinds::autoscale_policy::AutoScalePolicyStatus,
) -> Result<(), AutoscaleError> {
    if policy.status.as_ref() == Some(&status) {
        return Ok(());
    }
    status::write(&context.client, policy, &status).await.map_err(AutoscaleError::Status)
}

async fn cleanup(policy: &AutoScalePolicy, context: &Context, stores: &Stores) -> Result<Action, AutoscaleError> {
    let originals = Originals::of(policy);
    if !originals.is_empty() {
        restore(context, stores, policy, &originals).await?;
    }
    context.metrics.set_floor(&policy.namespace().unwrap_or_default(), &policy.name_any(), None);
    Ok(Action::await_change())
}

/// Records `updated` on the policy when it differs from `current` (always before the change it makes possible).
async fn remember(
    context: &Context,
    policy: &AutoScalePolicy,
    current: &mut Originals,
    updated: Originals,
) -> Result<(), AutoscaleError> {
    if &updated != current {
        originals::record(&context.client, policy, &updated).await.map_err(AutoscaleError::Record)?;
        *current = updated;
    }
    Ok(())
}

/// Applies `plan`: the floor, then requests. Returns what is in force and, if the API server refused a resize, why.
async fn enforce(
    context: &Context,
    policy: &AutoScalePolicy,
    plan: &Plan,
    inputs: &Inputs,
    mut originals: Originals,
) -> Result<(InForce, Option<Held>), AutoscaleError> {
    let namespace = policy.namespace().unwrap_or_default();
    let client = &context.client;
    let mut in_force = InForce::default();
    if let Some(replicas) = &plan.replicas {
        let (floor, live) = (replicas.decision.floor, replicas.live());
        if floor != live {
            let mut updated = originals.clone();
            match &replicas.target {
                FloorTarget::Hpa(hpa) => {
                    if updated.hpa.as_ref().is_none_or(|h| h.name != hpa.name) {
                        // The workload is now targeted by another HPA: give the previous one its floor back first.
                        if let Some(previous) = updated.hpa.take() {
                            restore_hpa(client, &namespace, &previous).await?;
                        }
                        updated.hpa = Some(HpaOriginal { name: hpa.name.clone(), min_replicas: live });
                    }
                    remember(context, policy, &mut originals, updated).await?;
                    actuate::set_hpa_floor(client, &namespace, &hpa.name, floor).await?;
                }
                FloorTarget::Scale(_) => {
                    updated.replicas.get_or_insert(live);
                    remember(context, policy, &mut originals, updated).await?;
                    actuate::set_scale(client, &namespace, &policy.spec.target_ref, floor).await?;
                }
            }
            let action = if replicas.decision.released() {
                action::RELEASED
            } else if floor > live {
                action::FLOOR_RAISED
            } else {
                action::FLOOR_LOWERED
            };
            let why = replicas.decision.block.as_ref().map(|b| format!(": {}", b.message)).unwrap_or_default();
            let note = match &replicas.target {
                FloorTarget::Hpa(hpa) => format!("minReplicas of HPA {} {live} -> {floor}{why}", hpa.name),
                FloorTarget::Scale(_) => format!("replicas of {} {live} -> {floor}{why}", policy.spec.target_ref.name),
            };
            tracing::info!(policy = %policy.name_any(), action, note, "actuated");
            context.metrics.actuated(action);
            event(context, policy, EventType::Normal, action, note).await;
        }
        in_force.min_replicas = Some(floor);
    }
    let mut refused = None;
    if let (Some(resources), Some(workload)) = (&policy.spec.resources, &inputs.workload) {
        let sized = sized_resources(policy);
        let desired = desired_requests(&plan.containers, &workload.containers);
        match resources.update {
            ResourceUpdate::Template => {
                let changed = desired.iter().any(|(name, want)| {
                    workload.containers.get(name).is_none_or(|have| !same(&only(have, &sized, name), want))
                });
                if changed {
                    let mut updated = originals.clone();
                    for name in desired.keys() {
                        let current = workload.containers.get(name).cloned().unwrap_or_default();
                        updated.template_requests.entry(name.clone()).or_insert_with(|| only(&current, &sized, name));
                    }
                    remember(context, policy, &mut originals, updated).await?;
                    actuate::set_template_requests(client, &namespace, &policy.spec.target_ref, &desired).await?;
                    context.metrics.actuated(action::REQUESTS_UPDATED);
                    let note = format!("pod template requests set: {}", describe(&desired));
                    event(context, policy, EventType::Normal, action::REQUESTS_UPDATED, note).await;
                }
            }
            ResourceUpdate::InPlace => {
                let mut resized = 0;
                for pod in &inputs.pods {
                    let changes: BTreeMap<String, Requests> = desired
                        .iter()
                        .filter(|(name, want)| {
                            pod.containers.get(*name).is_some_and(|have| !same(&only(have, &sized, name), want))
                        })
                        .map(|(name, want)| (name.clone(), want.clone()))
                        .collect();
                    if changes.is_empty() {
                        continue;
                    }
                    if !originals.resized_pods {
                        let updated = Originals { resized_pods: true, ..originals.clone() };
                        remember(context, policy, &mut originals, updated).await?;
                    }
                    match actuate::resize_pod(client, &namespace, &pod.name, &changes).await {
                        Ok(()) => resized += 1,
                        Err(error) if error.is_gone() => {}
                        Err(error) if error.is_refused() => {
                            refused.get_or_insert(Held { reason: RESIZE_REFUSED.into(), message: error.to_string() });
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
                if resized > 0 {
                    context.metrics.actuated(action::PODS_RESIZED);
                    let note = format!("{resized} pods resized in place: {}", describe(&desired));
                    event(context, policy, EventType::Normal, action::PODS_RESIZED, note).await;
                }
            }
        }
        in_force.containers = desired
            .iter()
            .map(|(name, requests)| ContainerRequests {
                container_name: name.clone(),
                cpu: requests.cpu.clone(),
                memory: requests.memory.clone(),
            })
            .collect();
    }
    Ok((in_force, refused))
}

/// Which resources (cpu, memory) the policy sizes, by container.
fn sized_resources(policy: &AutoScalePolicy) -> BTreeMap<String, (bool, bool)> {
    let containers = policy.spec.resources.iter().flat_map(|r| &r.containers);
    containers.map(|c| (c.container_name.clone(), (c.cpu.is_some(), c.memory.is_some()))).collect()
}

/// Whether two sets of requests are equal as quantities (`1` and `1000m` are the same CPU).
pub fn same(a: &Requests, b: &Requests) -> bool {
    let value = |q: &Option<k8s_openapi::apimachinery::pkg::api::resource::Quantity>| {
        q.as_ref().map(|q| augur_autoscale::quantity::parse_quantity(&q.0).map_err(|_| q.0.clone()))
    };
    value(&a.cpu) == value(&b.cpu) && value(&a.memory) == value(&b.memory)
}

/// `requests` reduced to the resources the policy sizes for `container`.
fn only(requests: &Requests, sized: &BTreeMap<String, (bool, bool)>, container: &str) -> Requests {
    let (cpu, memory) = sized.get(container).copied().unwrap_or((false, false));
    Requests { cpu: requests.cpu.clone().filter(|_| cpu), memory: requests.memory.clone().filter(|_| memory) }
}

/// The requests to set per container: the engine's where it computed one, the current value where it held back
/// (so the apply keeps it rather than dropping the field). Containers with nothing to set are left out.
pub fn desired_requests(
    decisions: &[augur_autoscale::ContainerDecision],
    current: &BTreeMap<String, Requests>,
) -> BTreeMap<String, Requests> {
    let pick = |decision: &Option<ResourceDecision>,
                now: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>| {
        decision.as_ref().and_then(|d| d.request.clone().or_else(|| now.cloned()))
    };
    decisions
        .iter()
        .filter(|d| current.contains_key(&d.container_name))
        .filter_map(|d| {
            let now = current.get(&d.container_name);
            let requests = Requests {
                cpu: pick(&d.cpu, now.and_then(|r| r.cpu.as_ref())),
                memory: pick(&d.memory, now.and_then(|r| r.memory.as_ref())),
            };
            let computed = [&d.cpu, &d.memory].into_iter().flatten().any(|r| r.request.is_some());
            computed.then(|| (d.container_name.clone(), requests))
        })
        .collect()
}

fn describe(requests: &BTreeMap<String, Requests>) -> String {
    requests
        .iter()
        .map(|(name, r)| {
            let parts: Vec<String> = [("cpu", &r.cpu), ("memory", &r.memory)]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|q| format!("{k} {}", q.0)))
                .collect();
            format!("{name} {}", parts.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

async fn restore_hpa(client: &kube::Client, namespace: &str, original: &HpaOriginal) -> Result<(), AutoscaleError> {
    match actuate::set_hpa_floor(client, namespace, &original.name, original.min_replicas).await {
        Err(error) if error.is_gone() => Ok(()),
        other => Ok(other?),
    }
}

/// Puts back everything recorded in `originals`. Objects that no longer exist need nothing.
async fn restore(
    context: &Context,
    stores: &Stores,
    policy: &AutoScalePolicy,
    originals: &Originals,
) -> Result<(), AutoscaleError> {
    let namespace = policy.namespace().unwrap_or_default();
    let client = &context.client;
    let target = &policy.spec.target_ref;
    let mut restored = Vec::new();
    if let Some(hpa) = &originals.hpa {
        restore_hpa(client, &namespace, hpa).await?;
        restored.push(format!("minReplicas {} of HPA {}", hpa.min_replicas, hpa.name));
    }
    let ignore_missing = |result: Result<(), ActuateError>| match result {
        Err(error) if error.is_gone() => Ok(()),
        other => other,
    };
    if let Some(replicas) = originals.replicas {
        ignore_missing(actuate::set_scale(client, &namespace, target, replicas).await)?;
        restored.push(format!("{replicas} replicas of {}", target.name));
    }
    if !originals.template_requests.is_empty() {
        let result = actuate::set_template_requests(client, &namespace, target, &originals.template_requests).await;
        ignore_missing(result)?;
        restored.push(format!("pod template requests of {}", target.name));
    }
    if originals.resized_pods {
        let template =
            stores.workload(&namespace, &target.kind, &target.name).map(|(_, workload)| workload).unwrap_or_default();
        let sized = sized_resources(policy);
        if let Some(selector) = &template.selector {
            for pod in inputs::pods(client, &namespace, selector).await? {
                let back: BTreeMap<String, Requests> = template
                    .containers
                    .iter()
                    .filter(|(name, _)| sized.contains_key(*name))
                    .map(|(name, want)| (name.clone(), only(want, &sized, name)))
                    .filter(|(name, want)| {
                        pod.containers.get(name).is_some_and(|have| !same(&only(have, &sized, name), want))
                    })
                    .collect();
                if back.is_empty() {
                    continue;
                }
                match actuate::resize_pod(client, &namespace, &pod.name, &back).await {
                    Err(error) if error.is_refused() || error.is_gone() => {
                        tracing::warn!(pod = %pod.name, error = %error, "cannot resize the pod back; it keeps its size until replaced");
                    }
                    other => other?,
                }
            }
        }
        restored.push(format!("requests of the pods of {}", target.name));
    }
    let note = format!("restored {}", restored.join(", "));
    tracing::info!(policy = %policy.name_any(), note, "restored");
    context.metrics.actuated(action::RESTORED);
    event(context, policy, EventType::Normal, action::RESTORED, note).await;
    Ok(())
}

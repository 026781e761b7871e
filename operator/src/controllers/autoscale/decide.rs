//! The decision, pure: the engine (`augur-autoscale`) computes the floor and requests from the inputs; this step
//! chooses what the floor acts on (the HPA, or the scale subresource), what the HPA's own floor is (the recorded
//! original once the policy changed it), and what the engine remembers between evaluations (from status).

use augur_autoscale::{ContainerDecision, FloorMemory, ReplicaDecision, container_requests, replica_floor};
use augur_crds::{AutoScalePolicy, kinds::autoscale_policy::Mode};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::{
    inputs::{HpaTarget, Inputs},
    originals::Originals,
};

/// Reason when the workload (or its scale subresource) does not exist.
pub const TARGET_NOT_FOUND: &str = "TargetNotFound";

/// What the floor is written to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FloorTarget {
    /// The `minReplicas` of this HPA.
    Hpa(HpaTarget),
    /// The workload's replicas through its scale subresource (no HPA targets it); the current value.
    Scale(i32),
}

/// The replica part of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaPlan {
    /// The engine's decision.
    pub decision: ReplicaDecision,
    /// Where the floor goes.
    pub target: FloorTarget,
    /// The floor without the policy: the HPA's own `minReplicas` (or the workload's replicas) before any change.
    pub own_floor: i32,
}

impl ReplicaPlan {
    /// The value currently set on the target.
    pub fn live(&self) -> i32 {
        match &self.target {
            FloorTarget::Hpa(hpa) => hpa.min_replicas,
            FloorTarget::Scale(replicas) => *replicas,
        }
    }
}

/// Why something was held back, for status and Events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// CamelCase reason.
    pub reason: String,
    /// For people.
    pub message: String,
}

/// What the policy would do now.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The floor, when the policy has `replicas` and the target exists.
    pub replicas: Option<ReplicaPlan>,
    /// Requests, one entry per container the policy sizes.
    pub containers: Vec<ContainerDecision>,
    /// The first reason anything was held back (the floor's first, then the containers').
    pub held: Option<Held>,
}

/// Milliseconds since the epoch of a Kubernetes time.
pub fn millis(time: &Time) -> i64 {
    time.0.as_millisecond()
}

/// The engine's memory: the floor last applied and when it changed (`Enforce`), or the floor last recommended and
/// when that changed (other modes, so a recommendation follows the same guardrails an applied floor would).
pub fn memory(policy: &AutoScalePolicy) -> FloorMemory {
    let status = policy.status.as_ref();
    let last = match policy.spec.mode {
        Mode::Enforce => status.and_then(|s| s.applied.as_ref()),
        Mode::Off | Mode::Recommend => status.and_then(|s| s.recommendation.as_ref()),
    };
    match last.and_then(|r| r.min_replicas.map(|floor| (floor, millis(&r.time)))) {
        Some((floor, changed_at)) => FloorMemory { floor: Some(floor), changed_at_ms: Some(changed_at) },
        None => FloorMemory::default(),
    }
}

/// Decides at `now_ms`.
pub fn decide(policy: &AutoScalePolicy, inputs: &Inputs, originals: &Originals, now_ms: i64) -> Plan {
    let spec = &policy.spec;
    let guardrails = &spec.guardrails;
    let mut held = None;
    let replicas = spec.replicas.as_ref().and_then(|replicas| {
        let (target, own_floor) = match (&inputs.hpa, inputs.scale_replicas) {
            (Some(hpa), _) => (FloorTarget::Hpa(hpa.clone()), originals.hpa_min_replicas(&hpa.name, hpa.min_replicas)),
            (None, Some(live)) => (FloorTarget::Scale(live), originals.replicas.unwrap_or(live)),
            (None, None) => {
                held = Some(Held {
                    reason: TARGET_NOT_FOUND.into(),
                    message: format!(
                        "{} {} not found (or it has no scale subresource), and no HPA targets it",
                        spec.target_ref.kind, spec.target_ref.name
                    ),
                });
                return None;
            }
        };
        let forecast = inputs.forecast(&replicas.forecaster_ref.name, &replicas.series);
        let decision =
            replica_floor(replicas, guardrails, forecast, &memory(policy), own_floor, inputs.freeze.is_some(), now_ms);
        Some(ReplicaPlan { decision, target, own_floor })
    });
    if held.is_none() {
        held = replicas
            .as_ref()
            .and_then(|r| r.decision.block.as_ref())
            .map(|block| Held { reason: block.reason.as_str().to_owned(), message: block.message.clone() });
    }
    let containers: Vec<ContainerDecision> = spec
        .resources
        .iter()
        .flat_map(|r| r.containers.iter().map(move |container| (r.update, container)))
        .map(|(update, container)| {
            let forecaster = &container.forecaster_ref.name;
            let cpu = container.cpu.as_ref().and_then(|f| inputs.forecast(forecaster, &f.series));
            let memory = container.memory.as_ref().and_then(|f| inputs.forecast(forecaster, &f.series));
            container_requests(container, update, guardrails, (cpu, memory), now_ms)
        })
        .collect();
    if held.is_none() {
        held = containers.iter().find_map(|c| {
            let block = [&c.cpu, &c.memory].into_iter().flatten().find_map(|d| d.block.as_ref())?;
            Some(Held {
                reason: block.reason.as_str().to_owned(),
                message: format!("container {}: {}", c.container_name, block.message),
            })
        });
    }
    if held.is_none() && spec.resources.is_some() && inputs.workload.is_none() {
        held = Some(Held {
            reason: TARGET_NOT_FOUND.into(),
            message: format!("{} {} not found", spec.target_ref.kind, spec.target_ref.name),
        });
    }
    Plan { replicas, containers, held }
}

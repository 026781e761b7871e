//! The operator's part of a streaming resource's status: `observedGeneration`, the Ready / Progressing / Degraded
//! conditions and replica counts, computed (purely) from the applied Deployment and the problems the runtime pods
//! report in their entries. The runtime owns the other fields (live figures, ModelReady) under its own field
//! managers, so neither overwrites the other.
//!
//! The conditions mean what they mean on a Deployment: `Progressing` is True while a rollout is under way (new pods
//! not yet all updated and available), `Ready` once every wanted pod is, and `Degraded` when the rollout is stuck or a
//! runtime pod reports a problem (a sink that cannot deliver, a topic it may not create).

use augur_crds::common::{ObservedConditions, RuntimePod, condition_type, reason};
use k8s_openapi::{api::apps::v1::Deployment, apimachinery::pkg::apis::meta::v1::Time};
use serde::Serialize;

/// Pod entries older than this are from pods that are gone: their problems no longer count.
const POD_ENTRY_FRESH_MS: i64 = 5 * 60 * 1000;

use super::{Validated, apply::Applied};

/// The status fields the operator owns.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorStatus {
    /// Generation and conditions.
    #[serde(flatten)]
    pub observed: ObservedConditions,
    /// Runtime pods wanted.
    pub replicas: i32,
    /// Runtime pods ready.
    pub ready_replicas: i32,
}

/// Milliseconds until `pod`'s entry turns stale (negative: it is).
fn fresh_for_ms(pod: &RuntimePod, now: &Time) -> i64 {
    pod.updated.0.as_millisecond() + POD_ENTRY_FRESH_MS - now.0.as_millisecond()
}

/// The problems fresh runtime pods report, as `(reason, "pod: message")`, at most three.
fn pod_problems(pods: &[RuntimePod], now: &Time) -> Vec<(String, String)> {
    pods.iter()
        .filter(|pod| fresh_for_ms(pod, now) >= 0)
        .flat_map(|pod| pod.problems.iter().map(move |p| (p.reason.clone(), format!("{}: {}", pod.name, p.message))))
        .take(3)
        .collect()
}

/// What the status takes from a Deployment: two Deployments with the same `Rollout` give the same status, so a
/// change of anything else (a condition's time, a ReplicaSet's name) needs no reconcile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rollout {
    /// Pods ready.
    pub ready: i32,
    /// Pods of the current template.
    pub updated: i32,
    /// Pods available.
    pub available: i32,
    /// The Deployment controller has seen the current spec, and every wanted pod is updated and available (and no
    /// old one is left).
    pub rolled_out: bool,
    /// The rollout is stuck (progress deadline exceeded, or pods cannot be created), with the controller's message.
    pub stuck: Option<String>,
}

impl Rollout {
    /// The rollout of `deployment` towards `wanted` pods.
    pub fn of(deployment: &Deployment, wanted: i32) -> Self {
        let status = deployment.status.clone().unwrap_or_default();
        let updated = status.updated_replicas.unwrap_or(0);
        let available = status.available_replicas.unwrap_or(0);
        let stuck = status.conditions.iter().flatten().find(|c| {
            (c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
                || (c.type_ == "ReplicaFailure" && c.status == "True")
        });
        Self {
            ready: status.ready_replicas.unwrap_or(0),
            updated,
            available,
            rolled_out: status.observed_generation >= deployment.metadata.generation
                && updated >= wanted
                && available >= wanted
                && status.replicas.unwrap_or(0) <= wanted,
            stuck: stuck.map(|c| c.message.clone().unwrap_or_default()),
        }
    }

    /// The rollout of a Deployment the operator made, towards the replicas in its spec.
    pub fn of_child(deployment: &Deployment) -> Self {
        Self::of(deployment, deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1))
    }
}

/// How long until the problems of a fresh pod entry stop counting (its entry turns stale), if any pod has problems.
pub fn problems_turn_stale_in(pods: &[RuntimePod], now: &Time) -> Option<std::time::Duration> {
    pods.iter()
        .filter(|pod| !pod.problems.is_empty())
        .map(|pod| fresh_for_ms(pod, now))
        .filter(|remaining| *remaining >= 0)
        .min()
        .map(|remaining| std::time::Duration::from_millis(remaining.unsigned_abs() + 1))
}

/// Status after a successful apply; `pods` are the runtime pods' entries in the resource's status.
pub fn from_applied(
    validated: &Validated,
    applied: &Applied,
    previous: &ObservedConditions,
    pods: &[RuntimePod],
    generation: Option<i64>,
    now: Time,
) -> OperatorStatus {
    let wanted = if validated.settings.paused { 0 } else { validated.settings.parallelism };
    let Rollout { ready, updated, available, rolled_out, stuck } = Rollout::of(&applied.deployment, wanted);
    let problems = pod_problems(pods, &now);
    let condition = |type_: &str, status: bool, reason: &str, message: String| {
        previous.next(type_, status, reason, message, generation, &now)
    };
    let conditions = if validated.settings.paused {
        vec![
            condition(
                condition_type::READY,
                false,
                reason::PAUSED,
                "spec.paused is true: the runtime is scaled to zero, its state kept".into(),
            ),
            condition(condition_type::PROGRESSING, false, reason::PAUSED, "paused".into()),
            condition(condition_type::DEGRADED, false, reason::PAUSED, "paused".into()),
        ]
    } else {
        let pods = format!("{ready}/{wanted} runtime pods ready");
        vec![
            condition(
                condition_type::READY,
                rolled_out && ready >= wanted,
                if rolled_out && ready >= wanted { reason::RUNNING } else { reason::ROLLING_OUT },
                pods.clone(),
            ),
            condition(
                condition_type::PROGRESSING,
                !rolled_out,
                if rolled_out { reason::RUNNING } else { reason::ROLLING_OUT },
                if rolled_out {
                    format!("rollout complete: {wanted}/{wanted} runtime pods updated and available")
                } else {
                    format!("rolling out: {updated}/{wanted} runtime pods updated, {available}/{wanted} available")
                },
            ),
            match (stuck, problems.first()) {
                (Some(why), _) => {
                    let message = if why.is_empty() { pods } else { why };
                    condition(condition_type::DEGRADED, true, reason::ROLLOUT_STUCK, message)
                }
                (None, Some((why, _))) => {
                    let message = problems.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; ");
                    condition(condition_type::DEGRADED, true, why, message)
                }
                (None, None) => {
                    condition(condition_type::DEGRADED, false, reason::RUNNING, "no rollout or runtime problem".into())
                }
            },
        ]
    };
    OperatorStatus {
        observed: ObservedConditions { observed_generation: generation, conditions },
        replicas: wanted,
        ready_replicas: ready,
    }
}

/// Status of a spec the operator cannot build: Ready=False with the reason, until the spec changes.
pub fn invalid(
    message: String,
    previous: &ObservedConditions,
    generation: Option<i64>,
    now: Time,
) -> ObservedConditions {
    let conditions = vec![
        previous.next(condition_type::READY, false, reason::INVALID_SPEC, message, generation, &now),
        previous.next(
            condition_type::PROGRESSING,
            false,
            reason::INVALID_SPEC,
            "waiting for a valid spec".into(),
            generation,
            &now,
        ),
    ];
    ObservedConditions { observed_generation: generation, conditions }
}

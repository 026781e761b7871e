//! The policy's status, computed purely from the plan and what is in force, then server-side applied to the status
//! subresource under [`STATUS_MANAGER`].
//!
//! - `recommendation`: what the policy would set now; its `time` is when its values last changed.
//! - `applied`: what the policy has in force (`Enforce` only); its `time` is when that last changed, which is also
//!   what the cooldown counts from.
//! - `blocked`: why the recommendation is held back or the floor released; `since` is kept while the reason holds.
//! - conditions: `Ready` (mode, or why the target cannot be acted on) and `ForecastUsed` (False with the gate's reason
//!   when the floor is released to the HPA's own), with `observedGeneration`, transition times kept unless the
//!   status flips. Times only move when values do, so an unchanged status is an unchanged object.

use augur_autoscale::ContainerDecision;
use augur_crds::{
    AutoScalePolicy,
    common::{ObservedConditions, condition_type},
    kinds::autoscale_policy::{AutoScalePolicyStatus, Blocked, ContainerRequests, Mode, Recommendation},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
};
use serde_json::json;

use super::{
    STATUS_MANAGER,
    decide::{Held, Plan, TARGET_NOT_FOUND},
};

/// Condition type: whether the forecast is in use (False: the floor is released, scaling is reactive only).
pub const FORECAST_USED: &str = "ForecastUsed";

/// Condition reasons of this controller.
pub mod reason {
    /// Mode Enforce: the recommendation is applied.
    pub const ENFORCING: &str = "Enforcing";
    /// Mode Recommend: status only.
    pub const RECOMMENDING: &str = "Recommending";
    /// Mode Off: nothing computed, nothing applied.
    pub const OFF: &str = "Off";
    /// The forecast passed every gate.
    pub const FORECAST_TRUSTED: &str = "ForecastTrusted";
}

/// The values in force, as reported in `status.applied`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InForce {
    /// The floor.
    pub min_replicas: Option<i32>,
    /// Container requests.
    pub containers: Vec<ContainerRequests>,
}

/// The requests a plan recommends, per container (containers with no request computed are left out).
pub fn recommended_requests(containers: &[ContainerDecision]) -> Vec<ContainerRequests> {
    containers
        .iter()
        .filter_map(|c| {
            let cpu = c.cpu.as_ref().and_then(|d| d.request.clone());
            let memory = c.memory.as_ref().and_then(|d| d.request.clone());
            (cpu.is_some() || memory.is_some()).then(|| ContainerRequests {
                container_name: c.container_name.clone(),
                cpu,
                memory,
            })
        })
        .collect()
}

/// A recommendation with `time` kept from `previous` when the floor and requests are the same.
fn stamped(
    previous: Option<&Recommendation>,
    min_replicas: Option<i32>,
    forecast: (Option<f64>, Option<f64>),
    containers: Vec<ContainerRequests>,
    now: &Time,
) -> Recommendation {
    let time = previous
        .filter(|p| p.min_replicas == min_replicas && p.containers == containers)
        .map_or_else(|| now.clone(), |p| p.time.clone());
    let (forecast_load, forecast_skill) = forecast;
    Recommendation { min_replicas, forecast_load, forecast_skill: forecast_skill.map(round2), containers, time }
}

/// Two decimals: a skill is not more precise than that, and an unchanged status stays unchanged.
fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The status after a reconcile: `plan` is `None` in mode Off; `in_force` is what the policy has applied (`None`
/// when nothing is); `held` why anything was held back.
pub fn build(
    policy: &AutoScalePolicy,
    plan: Option<&Plan>,
    in_force: Option<&InForce>,
    held: Option<&Held>,
    now: &Time,
) -> AutoScalePolicyStatus {
    let previous = policy.status.clone().unwrap_or_default();
    let generation = policy.metadata.generation;
    let condition = |type_: &str, status: bool, reason: &str, message: String| {
        previous.observed.next(type_, status, reason, message, generation, now)
    };
    let recommendation = plan.map(|plan| {
        let floor = plan.replicas.as_ref().map(|r| r.decision.floor);
        let forecast =
            plan.replicas.as_ref().map_or((None, None), |r| (r.decision.forecast_load, r.decision.forecast_skill));
        stamped(previous.recommendation.as_ref(), floor, forecast, recommended_requests(&plan.containers), now)
    });
    let applied = in_force.map(|in_force| {
        let forecast = recommendation.as_ref().map_or((None, None), |r| (r.forecast_load, r.forecast_skill));
        stamped(previous.applied.as_ref(), in_force.min_replicas, forecast, in_force.containers.clone(), now)
    });
    let blocked = held.map(|held| Blocked {
        reason: held.reason.clone(),
        message: held.message.clone(),
        since: previous
            .blocked
            .as_ref()
            .filter(|b| b.reason == held.reason)
            .map_or_else(|| now.clone(), |b| b.since.clone()),
    });

    let target_missing = held.filter(|h| h.reason == TARGET_NOT_FOUND);
    let (mode_reason, mode_message) = match policy.spec.mode {
        Mode::Enforce => (reason::ENFORCING, "recommendations are applied".to_owned()),
        Mode::Recommend => (reason::RECOMMENDING, "recommendations are reported in status only".to_owned()),
        Mode::Off => (reason::OFF, "the policy is off: nothing is computed or applied".to_owned()),
    };
    let mut conditions = vec![match target_missing {
        Some(held) => condition(condition_type::READY, false, &held.reason, held.message.clone()),
        None => condition(condition_type::READY, true, mode_reason, mode_message),
    }];
    if let Some(plan) = plan {
        let decision = plan.replicas.as_ref().map(|r| &r.decision);
        let released = decision.and_then(|d| d.block.as_ref()).filter(|b| b.reason.releases_floor());
        conditions.push(match released {
            Some(block) => condition(FORECAST_USED, false, block.reason.as_str(), block.message.clone()),
            None => condition(FORECAST_USED, true, reason::FORECAST_TRUSTED, trusted_message(decision)),
        });
    }
    AutoScalePolicyStatus {
        observed: ObservedConditions { observed_generation: generation, conditions },
        recommendation,
        applied,
        blocked,
    }
}

/// Why the forecast is in use: its skill, and partial trust while its series warms up.
fn trusted_message(decision: Option<&augur_autoscale::ReplicaDecision>) -> String {
    let mut message = "the forecast passed every gate".to_owned();
    if let Some(skill) = decision.and_then(|d| d.forecast_skill) {
        message.push_str(&format!(" (skill {skill:.2} against repeating the last value)"));
    }
    if let Some(share) = decision.and_then(|d| d.partial_trust) {
        message.push_str(&format!(
            "; its series has {:.0}% of the history its full model needs, so the floor follows that share of its rise",
            share * 100.0
        ));
    }
    message
}

/// Server-side applies `status` to the policy's status subresource.
pub async fn write(
    client: &Client,
    policy: &AutoScalePolicy,
    status: &AutoScalePolicyStatus,
) -> Result<(), kube::Error> {
    let name = policy.name_any();
    let api: Api<AutoScalePolicy> = Api::namespaced(client.clone(), &policy.namespace().unwrap_or_default());
    let body = json!({
        "apiVersion": format!("{}/{}", augur_crds::GROUP, augur_crds::VERSION),
        "kind": "AutoScalePolicy",
        "metadata": {"name": name},
        "status": status,
    });
    api.patch_status(&name, &PatchParams::apply(STATUS_MANAGER).force(), &Patch::Apply(&body)).await.map(|_| ())
}

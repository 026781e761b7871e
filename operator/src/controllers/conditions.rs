//! Status conditions as every controller writes them.

use augur_crds::common::ObservedConditions;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// A condition, keeping `lastTransitionTime` from `previous` unless the status flips.
pub fn condition(
    previous: &ObservedConditions,
    type_: &str,
    status: bool,
    reason: &str,
    message: String,
    generation: Option<i64>,
    now: &Time,
) -> Condition {
    let status = if status { "True" } else { "False" }.to_owned();
    let last_transition_time = previous
        .condition(type_)
        .filter(|c| c.status == status)
        .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
    Condition {
        type_: type_.into(),
        status,
        reason: reason.into(),
        message,
        observed_generation: generation,
        last_transition_time,
    }
}

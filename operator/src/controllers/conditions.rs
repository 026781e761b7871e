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
    previous.next(type_, status, reason, message, generation, now)
}

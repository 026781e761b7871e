//! The AutoScalePolicy controller: forecasts published in Forecaster status become an HPA's `minReplicas` (or the
//! workload's replicas through the scale subresource when no HPA targets it) and container requests.
//!
//! One reconcile: [`inputs`] reads what the policy refers to from the controller's [`stores`] (its Forecasters'
//! published forecasts, the HPA that targets the workload, the AnomalyDetectors that freeze scale-down, the workload),
//! [`decide`] calls the pure engine (`augur-autoscale`) and turns its answer into a [`decide::Plan`], [`actuate`]
//! applies it in `Enforce` mode, and [`status`] reports the recommendation, what was applied and when, and what was
//! blocked and why.
//!
//! Invariants:
//! - Every write to someone else's object is a server-side apply under [`SCALER_MANAGER`] carrying only the fields
//!   the policy sets (the HPA's `spec.minReplicas`, the scale's `spec.replicas`, container `resources.requests`), so
//!   the owner's other fields are untouched. Pod resizes go to the `resize` subresource.
//! - Before the first change the original values are recorded on the policy ([`originals`]), so deleting the policy
//!   (finalizer [`FINALIZER`]) or switching it to `Off` or `Recommend` restores exactly what was there.
//! - The status only changes when its content does (times are kept while values hold), so writing it does not wake
//!   the controller in a loop.

pub mod actuate;
pub mod controller;
pub mod decide;
pub mod inputs;
pub mod originals;
pub mod reconcile;
pub mod status;
pub mod stores;

pub use reconcile::{AutoscaleError, reconcile};

/// Field manager of every change the policy makes to HPAs, workloads and pods (and of its own annotation).
pub const SCALER_MANAGER: &str = "augur-autoscaler";
/// Field manager of the policy's status.
pub const STATUS_MANAGER: &str = "augur-autoscalepolicy";
/// The finalizer that restores what the policy changed before it is deleted.
pub const FINALIZER: &str = "augur.dev/autoscale-restore";

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reconcile_tests;

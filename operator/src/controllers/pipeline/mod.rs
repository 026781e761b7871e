//! Reconciling a streaming resource into its runtime: a ConfigMap with the rendered RuntimeConfig, a Deployment of
//! runtime pods, a metrics Service, and a ServiceAccount, Role and RoleBinding that let the pods read their own
//! resource and patch its status.

pub mod apply;
pub mod build;
pub mod controller;
pub mod reconcile;
pub mod status;
pub mod validate;

pub use build::{Children, build};
pub use reconcile::{Context, Outcome, ReconcileError, field_manager, reconcile};
pub use validate::{PipelineKind, ValidateError, Validated, validate};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reconcile_tests;

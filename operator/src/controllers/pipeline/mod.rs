//! Reconciling a streaming resource into its runtime: a ConfigMap with the rendered RuntimeConfig, a Deployment of
//! runtime pods, a metrics Service, and a ServiceAccount, Role and RoleBinding that let the pods read their own
//! resource and patch its status.

pub mod build;
pub mod validate;

pub use build::{Children, build};
pub use validate::{PipelineKind, ValidateError, Validated, validate};

#[cfg(test)]
mod tests;

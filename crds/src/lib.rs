//! Augur's Kubernetes API and the contract between operator and runtime.
//!
//! - [`kinds`]: the custom resources of group `augur.dev`, version `v1alpha1`: [`AnomalyDetector`],
//!   [`Forecaster`], [`LogClusterer`] and [`AutoScalePolicy`]. Doc comments on their fields are the text
//!   `kubectl explain` shows.
//! - [`common`]: the types they share (sources, outputs, durations, status, CEL rule builders).
//! - [`runtime_config`]: [`RuntimeConfig`], the versioned document the operator renders into a ConfigMap and the
//!   runtime parses, built from each kind by one function.
//! - [`crd`]: the generated CustomResourceDefinitions, as written to `charts/augur/crds/` by the `crdgen` binary.
//! - `validation` (feature `validation`): checks a manifest as the API server would (defaults, schema, CEL).

pub mod common;
pub mod crd;
pub mod kinds;
pub mod resource;
pub mod runtime_config;
#[cfg(feature = "validation")]
pub mod validation;

pub use kinds::{AnomalyDetector, AutoScalePolicy, Forecaster, LogClusterer};
pub use resource::{AugurResource, ManifestError};
pub use runtime_config::RuntimeConfig;

/// API group of every Augur kind.
pub const GROUP: &str = "augur.dev";
/// API version of every Augur kind.
pub const VERSION: &str = "v1alpha1";

//! Support for the workspace-level tests: loading the manifests under `examples/`.
//!
//! Validation itself lives in `augur_crds::validation`, shared with `augur try`.

pub mod examples;

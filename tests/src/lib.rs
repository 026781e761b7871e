//! Support for the workspace-level tests: the manifests under `examples/` and access to a real cluster.
//!
//! Validation itself lives in `augur_crds::validation`, shared with the `augur` CLI.

pub mod cluster;
pub mod examples;

//! Support for the workspace-level tests: the manifests under `examples/`, access to a real cluster, and the real
//! Kafka-compatible broker and Prometheus of the integration tests.
//!
//! Validation itself lives in `augur_crds::validation`, shared with the `augur` CLI.

pub mod cluster;
pub mod examples;
pub mod streams;

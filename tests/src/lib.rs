//! Support for the workspace-level tests: the manifests under `examples/`, the real Kafka-compatible broker and
//! Prometheus of the integration tests (and a broker of a test's own to kill and restart: [`broker`]), and for the end-to-end tests a real cluster ([`cluster`]), the Helm chart as
//! a user installs it ([`chart`]), the project's binaries ([`binaries`]) and a stand-in kubelet that runs pods as
//! processes ([`kubelet`]); and the chart's Argo CD health checks run as Argo CD runs them ([`argocd`]).
//!
//! Validation itself lives in `augur_crds::validation`, shared with the `augur` CLI.

pub mod argocd;
pub mod binaries;
pub mod broker;
pub mod chart;
pub mod cluster;
pub mod examples;
pub mod kubelet;
pub mod streams;

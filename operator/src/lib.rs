//! Augur's operator: the controllers that reconcile AnomalyDetector, Forecaster and LogClusterer resources into
//! runtime Deployments, and act on AutoScalePolicies.
//!
//! Reconcilers follow `validate -> build -> apply -> status`: [`controllers::pipeline::validate`] and
//! [`controllers::pipeline::build`] are pure (no client), so everything a resource becomes is tested without a
//! cluster; apply and status run against a mocked API in tests. `augur-operator run` runs the watch loops with
//! health and metrics endpoints, behind Lease leader election.

pub mod bench;
pub mod cli;
pub mod config;
pub mod controllers;
pub mod health;
pub mod labels;
pub mod leader;
pub mod metrics;
pub mod run;

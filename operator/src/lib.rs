//! Augur's operator: the controllers that reconcile AnomalyDetector, Forecaster and LogClusterer resources into
//! runtime Deployments, and act on AutoScalePolicies.
//!
//! Reconcilers follow `validate -> build -> apply -> status`: [`controllers::pipeline::validate`] and
//! [`controllers::pipeline::build`] are pure (no client), so everything a resource becomes is tested without a
//! cluster. The apply and status steps, leader election and the watch loop come next.

pub mod cli;
pub mod config;
pub mod controllers;
pub mod labels;

//! Augur's operator: the controllers that reconcile AnomalyDetector, Forecaster and LogClusterer resources into
//! runtime Deployments, and act on AutoScalePolicies.
//!
//! Today the crate holds the command line and the CRD printer; the controllers follow the reconciler shape of
//! `validate -> build -> apply -> status`, one folder per kind.

pub mod cli;

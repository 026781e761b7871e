//! The four custom resource kinds of group `augur.dev`, version `v1alpha1`.

pub mod anomaly_detector;
pub mod autoscale_policy;
pub mod forecaster;
pub mod log_clusterer;

pub use anomaly_detector::{AnomalyDetector, AnomalyDetectorSpec, AnomalyDetectorStatus};
pub use autoscale_policy::{AutoScalePolicy, AutoScalePolicySpec, AutoScalePolicyStatus};
pub use forecaster::{Forecaster, ForecasterSpec, ForecasterStatus};
pub use log_clusterer::{LogClusterer, LogClustererSpec, LogClustererStatus};

//! Controllers, one folder per concern. `pipeline/` holds the machinery shared by the three kinds that run a
//! streaming runtime (AnomalyDetector, Forecaster, LogClusterer): `validate -> build -> apply -> status`, where
//! validate and build are pure. `autoscale/` acts on AutoScalePolicies: forecasts become HPA floors and container
//! requests.

pub mod autoscale;
pub mod backoff;
pub mod pipeline;
pub mod slim;
pub mod triggers;

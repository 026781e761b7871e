//! Controllers, one folder per concern. `pipeline/` holds the machinery shared by the three kinds that run a
//! streaming runtime (AnomalyDetector, Forecaster, LogClusterer): `validate -> build -> apply -> status`, where
//! validate and build are pure.

pub mod backoff;
pub mod pipeline;

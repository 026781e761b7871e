//! What a runtime pod publishes into its resource's status, where people (`kubectl get`), AutoScalePolicies
//! (forecasts, active anomalies) and the operator (problems, folded into `Degraded`) read it.
//!
//! Every kind goes the same way:
//! 1. after each flush the runner shows the stage and the results to the kind's part of the job
//!    ([`crate::job::Kind`]), which keeps what it needs (the anomaly tracker, the log metrics);
//! 2. once per publication interval, on the injected clock ([`Publication`]), the kind builds this pod's
//!    [`PodReport`]: figures, model progress, and its entries ([`forecasts`], [`anomalies`], templates), bounded;
//! 3. a task ([`publisher`]) reads the resource, merges the report with the other pods' entries ([`merge`]) and
//!    server-side applies the result under the pod's own field manager (`augur-runtime/<pod>`), so several pods
//!    never overwrite one another; entries of pods that are gone are removed.
//!
//! The operator owns `observedGeneration`, `replicas`, `readyReplicas` and the Ready/Progressing/Degraded
//! conditions; the runtime owns the rest.

pub mod anomalies;
mod cadence;
pub mod forecasts;
mod health;
pub mod merge;
pub mod publisher;
mod report;
#[cfg(test)]
mod tests;

pub use anomalies::AnomalyTracker;
pub use cadence::Publication;
pub use forecasts::{Limits, SeriesForecast, forecast_report, series_referenced_by};
pub use health::Health;
pub use publisher::{FIELD_MANAGER_PREFIX, PublisherHandle, Target, field_manager, spawn};
pub use report::{KindEntries, ModelProgress, PodReport};

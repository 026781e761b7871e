//! Forecasts published into the Forecaster's status, where AutoScalePolicies read them; and anomalies into the
//! AnomalyDetector's status ([`AnomalyTracker`]), where they hold scale-down.
//!
//! Two halves:
//! - [`status_patch`] (pure): per-series forecasts become a bounded
//!   [`ForecasterStatus`](augur_crds::kinds::forecaster::ForecasterStatus): only the series the policies reference
//!   (when a list is given), at most [`Limits::max_series`] of them, each cut to a number of points that keeps the
//!   whole status small (etcd objects are limited to about 1.5 MB), values rounded to 6 significant digits, and a
//!   `ModelReady` condition that says which series still lack history. Series still warming up are not
//!   published: their "forecast" is only the last value, and a policy should see that no forecast exists rather
//!   than act on it.
//! - [`Publisher`]: server-side applies that status to the `forecasters/status` subresource under the field manager
//!   [`FIELD_MANAGER`], at most once per interval. The operator owns `observedGeneration`, `replicas`,
//!   `readyReplicas` and the Ready/Progressing/Degraded conditions under its own manager; the runtime owns the rest,
//!   so neither overwrites the other (conditions are a list map keyed on `type`). Everything the runtime owns should go
//!   out in one apply ([`Publisher::build`], add live figures, [`Publisher::apply`]): a field a manager leaves out of
//!   its next apply is removed.
//!
//! Limitation: `status.forecasts` is an atomic list in the CRD, so with several runtime pods (each forecasting the
//! series of its partitions) the last pod to apply replaces the others' forecasts. Until it becomes a list map keyed
//! by `series` with one field manager per pod ([`Publisher::with_field_manager`]), publish from one pod only.

mod anomalies;
mod body;
mod publisher;
#[cfg(test)]
mod tests;

pub use anomalies::{AnomalyTracker, apply_anomaly_status};
pub use body::{Limits, SeriesForecast, series_referenced_by, status_patch};
pub use publisher::{FIELD_MANAGER, PublishError, Publisher, referenced_series};
